"""upsertRecord and upsertRecords by ``matchFields`` against the stateful fake Odoo: a row whose
match value is empty is refused by name (Odoo's search would take it for "records without a
value" and overwrite one), and a match field holding a list of records (many2many, one2many) is
an input error naming the rule, before anything is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from odoo_connector import client as client_module
from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.errors import InputError

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
MODELS = {"res.partner": {"email": "char", "is_company": "boolean", "category_id": "many2many"}}


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo(models=MODELS)


@pytest.fixture(params=["json2", "jsonrpc"])
def client(request: pytest.FixtureRequest, fake: FakeOdoo) -> Any:
    return fake_client(fake, fake_connection(request.param))


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_a_row_with_an_empty_match_value_is_refused_by_name_and_nothing_is_written(fake, client, empty):
    without = fake.create("res.partner", name="No email on file")
    records = [
        {"parameters": {"name": "Ann", "email": "ann@example.com"}},
        {"parameters": {"name": "Bob", "email": empty}},
    ]
    inputs = {"model": "res.partner", "records": records, "matchFields": ["email"]}
    with pytest.raises(InputError) as err:
        invoke("upsertRecords", CONN, inputs, client=client)
    assert err.value.message.startswith("Row 1: Cannot match on an empty email:")
    assert err.value.path == "records[1].parameters.email"
    assert "load" not in fake.methods()
    assert fake.tables["res.partner"] == {without: fake.tables["res.partner"][without]}
    assert fake.tables["res.partner"][without]["name"] == "No email on file"


def test_skip_mode_reports_the_row_with_an_empty_match_value_and_writes_the_others(fake, client):
    without = fake.create("res.partner", name="No email on file")
    records = [
        {"parameters": {"name": "Ann", "email": "ann@example.com"}},
        {"parameters": {"name": "Bob", "email": None}},
    ]
    inputs = {"model": "res.partner", "records": records, "matchFields": ["email"], "onError": "skip"}
    report = invoke("upsertRecords", CONN, inputs, client=client)["data"]
    assert report["rows"][1]["error"]["field"] == "email"
    assert report["rows"][1]["error"]["message"].startswith("Cannot match on an empty email:")
    assert (report["written"], report["failed"]) == (1, 1)
    assert fake.tables["res.partner"][without]["name"] == "No email on file"


def test_upsert_record_refuses_an_empty_match_value_but_false_is_a_boolean_value(fake, client):
    without = fake.create("res.partner", name="No email on file", is_company=False)
    inputs = {"model": "res.partner", "parameters": {"name": "Bob", "email": None}, "matchFields": ["email"]}
    with pytest.raises(InputError) as err:
        invoke("upsertRecord", CONN, inputs, client=client)
    assert err.value.message.startswith("Cannot match on an empty email:")
    assert "load" not in fake.methods()
    assert fake.tables["res.partner"][without]["name"] == "No email on file"
    # a boolean's False is a value, not an empty one
    inputs["parameters"] = {"name": "No email on file", "is_company": False}
    inputs["matchFields"] = ["name", "is_company"]
    assert invoke("upsertRecord", CONN, inputs, client=client)["data"] == {"id": without, "created": False}


def test_match_fields_naming_a_many2many_is_an_input_error_naming_the_rule(fake, monkeypatch, capsys):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(
        client_module, "make_client", lambda connection, **options: fake_client(fake, connection)
    )
    records = [{"parameters": {"name": "Ann", "category_id": [1, 2]}}]
    for key, inputs in (
        ("upsertRecords", {"model": "res.partner", "records": records, "matchFields": ["category_id"]}),
        ("upsertRecord", {"model": "res.partner", **records[0], "matchFields": ["category_id"]}),
    ):
        assert main(["run", key, "--input", json.dumps(inputs)]) == 2
        error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["error"]
        assert error["type"] == "InputError"
        assert error["message"].startswith(
            "matchFields names 'category_id', a many2many field: a row is matched on fields that hold "
            "one value each"
        )
        assert error["path"] == "matchFields"
    assert "load" not in fake.methods() and "search_read" not in fake.methods()


@pytest.mark.parametrize("raw", [False, True])
def test_a_boolean_match_value_given_as_null_matches_the_record_where_it_is_false(fake, client, raw):
    """Odoo stores null in a boolean as false, so null is that value, not an empty one: the row
    updates the record whose flag is false, not the one whose flag is true, and is not refused.
    With rawValues the null reaches the match as given."""
    fake.create("res.partner", name="Ann", email="ann@example.com", is_company=False)
    fake.create("res.partner", name="Ann Co", email="ann@example.com", is_company=True)
    row = {"parameters": {"email": "ann@example.com", "is_company": None, "name": "Ann again"}}
    inputs = {"model": "res.partner", "records": [row], "matchFields": ["email", "is_company"]}
    report = invoke("upsertRecords", CONN, {**inputs, "rawValues": raw}, client=client)["data"]
    assert report["rows"] == [{"index": 0, "id": 1, "created": False}]
    names = {record["name"]: record["is_company"] for record in fake.tables["res.partner"].values()}
    assert names == {"Ann again": False, "Ann Co": True}

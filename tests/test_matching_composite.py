"""Upserts by two match fields, one of them a many2one (odoo_connector.actions.matching), against
the stateful fake Odoo: each row updates the one record holding both of its values, a row whose
pair no record holds creates one, and nothing is duplicated.

Every match search is one ``search_read`` for all the rows' keys, ``|`` between the keys and ``&``
between a key's fields: a wrong count of either turns "(email and company) or (email and company)"
into another question, which finds the wrong record or none (and then creates a duplicate). The
many2one comes back from Odoo's read as ``[id, name]`` and must compare equal to the id a row
gives. Match values here are never empty, so these hold whatever an empty value is made to mean.
"""

from __future__ import annotations

from typing import Any

import pytest

from odoo_connector import invoke

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
MATCH = ["email", "company_id"]


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    """Contacts with an email and a company (res.company 1 "My Company", 2 "Acme Branch BE"):
    the same address at both companies is two contacts."""
    odoo = FakeOdoo(models={"res.partner": {"email": "char", "company_id": "many2one", "phone": "char"}})
    odoo.relations[("res.partner", "company_id")] = "res.company"
    odoo.create("res.partner", name="Ann at My Company", email="ann@example.com", company_id=1)
    odoo.create("res.partner", name="Ann at Acme", email="ann@example.com", company_id=2)
    odoo.create("res.partner", name="Bob at My Company", email="bob@example.com", company_id=1)
    return odoo


def upsert(fake: FakeOdoo, transport: str, records: list[dict[str, Any]], **inputs: Any) -> dict[str, Any]:
    client = fake_client(fake, fake_connection(transport))
    result = invoke(
        "upsertRecords",
        CONN,
        {"model": "res.partner", "matchFields": MATCH, "records": records, **inputs},
        client=client,
    )
    data: dict[str, Any] = result["data"]
    return data


def table(fake: FakeOdoo) -> dict[int, tuple[str, str, int, str]]:
    return {
        i: (r["name"], r["email"], r["company_id"], r.get("phone") or "")
        for i, r in fake.tables["res.partner"].items()
    }


# skipUnchanged finds the records before sending (unchanged.compare); without it, the rows go
# through load and the search right before it (batch._resolve_matches): both must match alike.
PATHS = [
    pytest.param("json2", {}, id="json2-compared"),
    pytest.param("jsonrpc", {}, id="xmlrpc-compared"),
    pytest.param("json2", {"skipUnchanged": False}, id="json2-load"),
    pytest.param("jsonrpc", {"skipUnchanged": False}, id="xmlrpc-load"),
]


@pytest.mark.parametrize(("transport", "options"), PATHS)
def test_each_row_updates_the_record_holding_both_its_values_and_a_new_pair_creates(fake, transport, options):
    report = upsert(
        fake,
        transport,
        [
            {"parameters": {"email": "ann@example.com", "company_id": 2, "phone": "+32 1"}},
            {"parameters": {"email": "bob@example.com", "company_id": 2, "name": "Bob at Acme"}},
            {"parameters": {"email": "ann@example.com", "company_id": 1, "phone": "+33 1"}},
        ],
        **options,
    )
    assert table(fake) == {
        1: ("Ann at My Company", "ann@example.com", 1, "+33 1"),
        2: ("Ann at Acme", "ann@example.com", 2, "+32 1"),
        3: ("Bob at My Company", "bob@example.com", 1, ""),
        4: ("Bob at Acme", "bob@example.com", 2, ""),
    }
    assert [(r["index"], r["id"], r["created"]) for r in report["rows"]] == [
        (0, 2, False),
        (1, 4, True),
        (2, 1, False),
    ]
    assert (report["written"], report["created"], report["failed"]) == (3, 1, 0)


@pytest.mark.parametrize(("transport", "options"), PATHS)
def test_the_many2one_matches_as_odoo_reads_it_and_as_a_read_pair(fake, transport, options):
    """A row may pass back a read value: ``[2, "Acme Branch BE"]`` names the company by id."""
    report = upsert(
        fake,
        transport,
        [{"parameters": {"email": "ann@example.com", "company_id": [2, "Acme Branch BE"], "phone": "+32 2"}}],
        **options,
    )
    assert [(r["id"], r["created"]) for r in report["rows"]] == [(2, False)]
    assert table(fake)[2] == ("Ann at Acme", "ann@example.com", 2, "+32 2")
    assert len(fake.tables["res.partner"]) == 3


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
def test_a_second_run_of_the_same_rows_changes_nothing_and_creates_nothing(fake, transport):
    rows = [
        {"parameters": {"email": "ann@example.com", "company_id": 2, "phone": "+32 1"}},
        {"parameters": {"email": "carl@example.com", "company_id": 1, "name": "Carl"}},
    ]
    first = upsert(fake, transport, rows)
    again = upsert(fake, transport, rows)
    assert [(r["id"], r["created"]) for r in first["rows"]] == [(2, False), (4, True)]
    assert [(r["id"], r.get("unchanged")) for r in again["rows"]] == [(2, True), (4, True)]
    assert (again["written"], again["unchanged"], again["created"]) == (0, 2, 0)
    assert len(fake.tables["res.partner"]) == 4


@pytest.mark.parametrize(("transport", "options"), PATHS)
def test_two_records_holding_one_pair_are_the_rows_error_and_nothing_is_written(fake, transport, options):
    fake.create("res.partner", name="Ann again at Acme", email="ann@example.com", company_id=2)
    report = upsert(
        fake,
        transport,
        [
            {"parameters": {"email": "bob@example.com", "company_id": 1, "phone": "+33 9"}},
            {"parameters": {"email": "ann@example.com", "company_id": 2, "phone": "+32 9"}},
        ],
        onError="skip",
        **options,
    )
    assert report["rows"][0] == {"index": 0, "id": 3, "created": False}
    assert report["rows"][1] == {
        "index": 1,
        "error": {
            "type": "OdooValidationError",
            "message": "2 res.partner records match email='ann@example.com', company_id=2: ids [2, 4].",
            "field": "email",
            "ids": [2, 4],
        },
    }
    assert [r[3] for r in table(fake).values()] == ["", "", "+33 9", ""]

"""Which external IDs a flow may write (odoo_connector.actions.external_ids), against the stateful
fake Odoo: not one under the name of an Odoo module (Odoo deletes such records when the module is
upgraded), whether the module is one of Odoo's standard ones (no request) or one the server knows
(``ir.module.module``, asked once per prefix and connection); ``__import__`` and a prefix of the
user's own are fine. A user who may not read the module list is checked against the standard
modules only, with a warning."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.errors import InputError

from .fakes import FakeOdoo, OdooFault, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}


def refusal(external_id: str, module: str) -> str:
    return (
        f"The external ID {external_id!r} is under the name of the Odoo module {module!r}: Odoo deletes "
        "such records when that module is upgraded, and writing it could overwrite Odoo's own data. "
        "Use __import__ or a prefix of your own (e.g. shop.customer_42)."
    )


@pytest.fixture
def odoo(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    """A server with one module of its own installed, ``acme_sync``."""
    fake = FakeOdoo()
    fake.add_model("ir.module.module", {"state": "char"})
    fake.create("ir.module.module", name="acme_sync", state="installed")
    return fake


def client_of(odoo: FakeOdoo) -> Any:
    return fake_client(odoo, fake_connection("json2"))


def create(client: Any, external_id: str) -> Any:
    """upsertRecord by ``external_id``: the record's id."""
    inputs = {"model": "res.partner", "externalId": external_id, "parameters": {"name": "Ann"}}
    return invoke("upsertRecord", CONN, inputs, client=client)["data"]["id"]


@pytest.mark.parametrize(
    ("external_id", "module"),
    [
        ("acme_sync.customer_1", "acme_sync"),  # the server's own module
        ("base.main_partner", "base"),  # a standard module
        ("sale.order.line_7", "sale"),  # the module is what comes before the first dot
    ],
)
def test_an_external_id_under_a_module_is_refused_before_anything_is_written(odoo, external_id, module):
    client = client_of(odoo)
    with pytest.raises(InputError) as err:
        create(client, external_id)
    assert err.value.message == refusal(external_id, module)
    assert err.value.path == "externalId"
    assert err.value.hint == "Use __import__.<name> or your own prefix."
    assert err.value.exit_code == 2
    assert not {"create", "load"} & set(odoo.methods())
    assert len(odoo.tables["res.partner"]) == 0


@pytest.mark.parametrize("external_id", ["__import__.ann", "__export__.res_partner_7_abc", "shop.ann"])
def test_odoos_import_prefixes_and_a_prefix_of_the_users_own_are_written(odoo, external_id):
    client = client_of(odoo)
    record_id = create(client, external_id)
    assert odoo.tables["res.partner"][record_id]["name"] == "Ann"
    asked = odoo.methods().count("search_count")
    assert asked == (1 if external_id.startswith("shop.") else 0)  # Odoo's own prefixes: no question


def test_the_server_is_asked_once_per_prefix_and_connection(odoo):
    client = client_of(odoo)
    for name in ("shop.a", "shop.b", "shop.c"):
        create(client, name)
    with pytest.raises(InputError):
        create(client, "acme_sync.x")
    with pytest.raises(InputError):
        create(client, "acme_sync.y")
    assert odoo.methods().count("search_count") == 2
    assert sorted(r["name"] for r in odoo.tables["res.partner"].values()) == ["Ann"] * 3


def test_a_user_who_cannot_read_the_module_list_is_checked_against_the_standard_modules(odoo, caplog):
    odoo.on_call("search_count", lambda: (_ for _ in ()).throw(OdooFault("access")), model="ir.module.module")
    client = client_of(odoo)
    with caplog.at_level(logging.WARNING, logger="odoo_connector.batch"):
        create(client, "acme_sync.customer_1")  # unknown to the standard list: written
        create(client, "acme_sync.customer_2")  # the answer is kept: not asked again
    assert [r.getMessage() for r in caplog.records] == [
        "cannot read the module list; checking external IDs against Odoo's standard modules only"
    ]
    assert odoo.methods().count("search_count") == 1
    with pytest.raises(InputError) as err:
        create(client, "stock.x")
    assert err.value.message == refusal("stock.x", "stock")


def test_a_batch_row_under_a_module_is_that_rows_error_and_the_others_are_written(odoo):
    client = client_of(odoo)
    records = [
        {"externalId": "acme_sync.customer_1", "parameters": {"name": "A"}},
        {"externalId": "__import__.customer_2", "parameters": {"name": "B"}},
    ]
    inputs = {"model": "res.partner", "records": records, "onError": "skip"}
    report = invoke("upsertRecords", CONN, inputs, client=client)["data"]
    assert report["rows"][0] == {
        "index": 0,
        "error": {
            "type": "InputError",
            "message": refusal("acme_sync.customer_1", "acme_sync"),
            "path": "records[0].externalId",
        },
    }
    assert report["rows"][1]["created"] is True
    assert [r["name"] for r in odoo.tables["res.partner"].values()] == ["B"]

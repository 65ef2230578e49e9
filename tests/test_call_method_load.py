"""callMethod ``load`` keeps the batch actions' rule against the stateful fake Odoo, on both
transports (and by position over XML-RPC): an external ID that ``load`` would write under an Odoo
module's name (``base.…``: in its ``id`` column, under a one2many, or without a module while the
context's ``module`` is one) is refused before anything runs; IDs that name existing records
(``country_id/id``) and IDs of one's own go through."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import pytest

from odoo_connector import invoke
from odoo_connector.errors import InputError, OdooValidationError

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}


class RelationalOdoo(FakeOdoo):
    """The fake with a one2many (child_ids) and a many2one (country_id) whose comodels
    ``fields_get`` names, as Odoo's does."""

    RELATIONS: ClassVar[dict[str, str]] = {"child_ids": "res.partner", "country_id": "res.country"}

    def __init__(self) -> None:
        super().__init__(
            models={
                "res.partner": {"email": "char", "child_ids": "one2many", "country_id": "many2one"},
                "res.country": {},
            }
        )

    def _m_fields_get(self, model: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
        fields = super()._m_fields_get(model, **kwargs)
        for name, relation in self.RELATIONS.items():
            if name in fields:
                fields[name]["relation"] = relation
        return fields


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> RelationalOdoo:
    return RelationalOdoo()


@pytest.fixture(params=["json2", "xmlrpc"])
def client(request: pytest.FixtureRequest, fake: FakeOdoo) -> Any:
    return fake_client(fake, fake_connection(request.param))


def load(client: Any, fields: list[str], data: list[list[str]], **extra: Any) -> Any:
    inputs = {"model": "res.partner", "method": "load", "kwargs": {"fields": fields, "data": data}, **extra}
    return invoke("callMethod", CONN, inputs, client=client)


@pytest.mark.parametrize(
    ("fields", "data", "extra", "where"),
    [
        (["id", "name"], [["__import__.ok", "Fine"], ["base.main_partner", "Mine now"]], {}, "Row 1"),
        (["name", "child_ids/id", "child_ids/name"], [["Acme", "sale.contact_1", "Ann"]], {}, "Row 0"),
        (["name", "child_ids:id", "child_ids/name"], [["Acme", "sale.contact_1", "Ann"]], {}, "Row 0"),
        (["id", "name"], [["customer_42", "Acme"]], {"context": {"module": "base"}}, "Row 0"),
    ],
    ids=["id column", "one2many line", "one2many line, colon", "context module"],
)
def test_load_refuses_an_external_id_under_an_odoo_module_before_anything_runs(
    fake, client, fields, data, extra, where
):
    with pytest.raises(InputError) as err:
        load(client, fields, data, **extra)
    assert err.value.message.startswith(
        f"{where} of load's data, column {fields[1 if fields[0] == 'name' else 0]!r}:"
    )
    assert "is under the name of the Odoo module" in err.value.message
    assert "load" not in fake.methods()
    assert fake.tables["res.partner"] == {}


def test_load_by_position_over_xml_rpc_is_checked_too(fake):
    client = fake_client(fake, fake_connection("xmlrpc"))
    inputs = {"model": "res.partner", "method": "load", "args": [["id", "name"], [["base.evil", "X"]]]}
    with pytest.raises(InputError) as err:
        invoke("callMethod", CONN, inputs, client=client)
    assert err.value.path == "args[1][0]"
    assert "load" not in fake.methods()
    # an ID of one's own is written; one that names an existing record (a many2one's) is read
    inputs["args"] = [["id", "name"], [["__import__.acme", "Acme"]]]
    assert invoke("callMethod", CONN, inputs, client=client)["data"]["result"]["messages"] == []
    assert fake.external_ids["__import__.acme"][0] == "res.partner"
    inputs["args"] = [["name", "country_id/id"], [["Acme", "base.be"]]]
    # the fake's load may take or refuse the reference; what matters is that it was sent
    with contextlib.suppress(OdooValidationError):
        invoke("callMethod", CONN, inputs, client=client)
    assert fake.methods().count("load") == 2  # sent: not refused by the external-ID rule

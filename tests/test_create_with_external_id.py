"""createRecord with an external ID ends with both or neither, for an ordinary user: one ``load``
(Odoo's import, one transaction) writes the record and its external ID. Scenarios a cassette
cannot reach: the exact calls, a taken ID, a refused row, a timeout on the write."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import InputError, OdooValidationError, TransportError

CONN = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "test-key"}
INPUTS = {"model": "res.partner", "parameters": {"name": "Acme"}, "externalId": "__import__.acme"}
NOT_FOUND = {
    "name": "builtins.ValueError",
    "message": "External ID not found in the system: __import__.acme",
}
FIELDS = {
    "name": {"type": "char", "string": "Name"},
    "country_id": {"type": "many2one", "relation": "res.country"},
    "category_id": {"type": "many2many", "relation": "res.partner.category"},
}


def odoo(answers: dict[str, Any]) -> tuple[OdooClient, list[tuple[str, dict[str, Any]]]]:
    """Answers ``model/method`` from ``answers``: a value (200), ``(status, error body)``, or an
    exception to raise (a lost answer)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        route = request.url.path.removeprefix("/json/2/")
        calls.append((route, json.loads(request.content)))
        answer = answers[route]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, tuple):
            return httpx.Response(answer[0], json=answer[1])
        return httpx.Response(200, json=answer)

    return make_client(parse_connection(CONN), http_transport=httpx.MockTransport(handler)), calls  # type: ignore[arg-type]


def test_the_record_and_its_external_id_are_written_by_one_load():
    client, calls = odoo(
        {
            "ir.model.data/check_object_reference": (500, NOT_FOUND),
            "res.partner/fields_get": FIELDS,
            "res.partner/load": {"ids": [42], "messages": [], "nextrow": 0},
        }
    )
    assert invoke("createRecord", CONN, INPUTS, client=client) == {"data": 42}
    assert calls == [
        ("res.partner/fields_get", calls[0][1]),
        ("ir.model.data/check_object_reference", {"module": "__import__", "xml_id": "acme"}),
        (
            "res.partner/load",
            {
                "fields": ["id", "name"],
                "data": [["__import__.acme", "Acme"]],
                "context": {"tz": "UTC", "active_test": False},
            },
        ),
    ]


def test_an_external_id_in_use_is_refused_before_writing():
    client, calls = odoo(
        {"ir.model.data/check_object_reference": ["res.partner", 9], "res.partner/fields_get": FIELDS}
    )
    with pytest.raises(OdooValidationError) as err:
        invoke("createRecord", CONN, INPUTS, client=client)
    assert err.value.message == "The external ID '__import__.acme' is already used by res.partner record 9."
    assert [route for route, _ in calls] == ["res.partner/fields_get", "ir.model.data/check_object_reference"]


def test_an_external_id_under_an_odoo_module_is_refused_before_any_request():
    client, calls = odoo({})
    with pytest.raises(InputError) as err:
        invoke("createRecord", CONN, {**INPUTS, "externalId": "base.main_partner"}, client=client)
    assert "the Odoo module 'base'" in err.value.message and err.value.path == "externalId"
    assert calls == []


def test_a_row_odoo_refuses_writes_neither_and_says_why():
    client, _ = odoo(
        {
            "ir.model.data/check_object_reference": (500, NOT_FOUND),
            "res.partner/fields_get": FIELDS,
            "res.partner/load": {
                "ids": False,
                "messages": [
                    {
                        "rows": {"from": 0, "to": 0},
                        "type": "error",
                        "field": "country_id",
                        "message": "No matching record found for database id '999' in field 'Country'",
                    }
                ],
                "nextrow": 0,
            },
        }
    )
    with pytest.raises(OdooValidationError) as err:
        invoke(
            "createRecord", CONN, {**INPUTS, "parameters": {"name": "Acme", "country_id": 999}}, client=client
        )
    assert err.value.message == (
        "Field 'country_id': No matching record found for database id '999' in field 'Country'. "
        "Nothing was written."
    )
    assert err.value.path == "parameters.country_id"


def test_a_value_load_cannot_express_is_refused_before_writing():
    client, calls = odoo(
        {"ir.model.data/check_object_reference": (500, NOT_FOUND), "res.partner/fields_get": FIELDS}
    )
    with pytest.raises(InputError) as err:
        invoke(
            "createRecord",
            CONN,
            {**INPUTS, "parameters": {"name": "Acme", "category_id": [[4, 3]]}},
            client=client,
        )
    assert err.value.message.startswith("res.partner.category_id is a many2many field: give the list")
    assert err.value.path == "parameters.category_id"
    assert [route for route, _ in calls] == ["res.partner/fields_get", "ir.model.data/check_object_reference"]


def test_a_timeout_on_the_write_is_retried_because_it_names_its_record_by_external_id():
    """Sending the same load again updates the record the first one created: never a second
    record. So this one write is retried after a timeout, unlike create."""
    attempts = {"load": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        route = request.url.path.removeprefix("/json/2/")
        if route == "res.partner/load":
            attempts["load"] += 1
            if attempts["load"] == 1:
                raise httpx.ReadTimeout("timed out", request=request)
            return httpx.Response(200, json={"ids": [42], "messages": [], "nextrow": 0})
        if route == "res.partner/fields_get":
            return httpx.Response(200, json=FIELDS)
        return httpx.Response(500, json=NOT_FOUND)

    client = make_client(parse_connection(CONN), http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    client.session.sleep = lambda seconds: None
    assert invoke("createRecord", CONN, INPUTS, client=client) == {"data": 42}
    assert attempts["load"] == 2


def test_a_timeout_on_a_plain_create_is_not_retried():
    attempts = {"create": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/fields_get"):
            return httpx.Response(200, json=FIELDS)
        attempts["create"] += 1
        raise httpx.ReadTimeout("timed out", request=request)

    client = make_client(parse_connection(CONN), http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    client.session.sleep = lambda seconds: None
    with pytest.raises(TransportError):
        invoke("createRecord", CONN, {"model": "res.partner", "parameters": {"name": "Acme"}}, client=client)
    assert attempts["create"] == 1

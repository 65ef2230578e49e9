"""createRecord with an external ID ends with both or neither, even when Odoo fails half-way:
scenarios a cassette cannot reach (a race on the external ID, a failing clean-up)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.client import Json2Client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import AccessDeniedError, OdooValidationError

CONN = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "test-key"}
INPUTS = {"model": "res.partner", "parameters": {"name": "Acme"}, "externalId": "__import__.acme"}
UNIQUE = {
    "name": "psycopg2.errors.UniqueViolation",
    "message": 'duplicate key value violates unique constraint "ir_model_data_module_name_uniq_index"',
}
FORBIDDEN = {"name": "odoo.exceptions.AccessError", "message": "You are not allowed to delete 'Contact'"}


def odoo(answers: dict[str, Any]) -> tuple[Json2Client, list[tuple[str, dict[str, Any]]]]:
    """Answers ``model/method`` from ``answers``: a value (200) or ``(status, error body)``."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        route = request.url.path.removeprefix("/json/2/")
        calls.append((route, json.loads(request.content)))
        answer = answers[route]
        if isinstance(answer, tuple):
            return httpx.Response(answer[0], json=answer[1])
        return httpx.Response(200, json=answer)

    return Json2Client(parse_connection(CONN), http_transport=httpx.MockTransport(handler)), calls  # type: ignore[arg-type]


def test_the_record_and_its_external_id_are_created_in_three_calls():
    client, calls = odoo(
        {"ir.model.data/search_read": [], "res.partner/create": [42], "ir.model.data/create": [7]}
    )
    assert invoke("createRecord", CONN, INPUTS, client=client) == {"data": 42}
    assert [route for route, _ in calls] == [
        "ir.model.data/search_read",
        "res.partner/create",
        "ir.model.data/create",
    ]
    assert calls[2][1] == {
        "vals_list": [{"module": "__import__", "name": "acme", "model": "res.partner", "res_id": 42}]
    }


def test_an_external_id_in_use_is_refused_before_creating():
    client, calls = odoo(
        {
            "ir.model.data/search_read": [
                {"id": 3, "module": "__import__", "name": "acme", "model": "res.partner", "res_id": 9}
            ]
        }
    )
    with pytest.raises(OdooValidationError, match=r"already used by res\.partner record 9"):
        invoke("createRecord", CONN, INPUTS, client=client)
    assert [route for route, _ in calls] == ["ir.model.data/search_read"]


def test_a_user_without_the_group_is_refused_before_creating():
    client, calls = odoo(
        {
            "ir.model.data/search_read": (
                403,
                {
                    "name": "odoo.exceptions.AccessError",
                    "message": "You are not allowed to access 'Model Data' (ir.model.data) records."
                    "\n\nThis operation is allowed for the following groups:\n\t- Access Rights"
                    "\n\nContact your administrator.",
                },
            )
        }
    )
    with pytest.raises(AccessDeniedError) as err:
        invoke("createRecord", CONN, INPUTS, client=client)
    assert err.value.groups == ["Access Rights"] and "base.group_erp_manager" in err.value.hint
    assert len(calls) == 1


def test_when_the_external_id_fails_after_creating_the_record_is_removed():
    client, calls = odoo(
        {
            "ir.model.data/search_read": [],
            "res.partner/create": [42],
            "ir.model.data/create": (500, UNIQUE),
            "res.partner/unlink": True,
        }
    )
    with pytest.raises(OdooValidationError) as err:
        invoke("createRecord", CONN, INPUTS, client=client)
    assert "was removed again, so nothing was created" in err.value.message
    assert "duplicate key value" in err.value.message
    assert calls[-1] == ("res.partner/unlink", {"ids": [42]})


def test_when_the_clean_up_fails_too_the_error_names_the_record_left_behind():
    client, _ = odoo(
        {
            "ir.model.data/search_read": [],
            "res.partner/create": [42],
            "ir.model.data/create": (500, UNIQUE),
            "res.partner/unlink": (403, FORBIDDEN),
        }
    )
    with pytest.raises(OdooValidationError) as err:
        invoke("createRecord", CONN, INPUTS, client=client)
    assert "Record 42 was left behind without an external ID" in err.value.message
    assert "setExternalId" in err.value.hint

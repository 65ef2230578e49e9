"""Every error shape a real Odoo 19 produced (tests/fixtures/odoo19_errors.json, trimmed from the
recorded reference exchanges) lands on the right class of the hierarchy, with Odoo's message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from odoo_connector.client.mapping import from_json2_error, from_jsonrpc_error
from odoo_connector.errors import (
    AccessDeniedError,
    AuthenticationError,
    DatabaseNotFoundError,
    NotFoundError,
    OdooValidationError,
    ServerError,
    UnsupportedServerError,
)

ERRORS = json.loads((Path(__file__).parent / "fixtures" / "odoo19_errors.json").read_text())["errors"]
BY_TITLE = {e["title"]: e for e in ERRORS}

EXPECTED = {
    "ir.model search_read": AccessDeniedError,
    "ir.model.data create (external id)": AccessDeniedError,
    "ir.model.data create duplicate (error)": AccessDeniedError,
    "ir.model.data search_read by module+name": AccessDeniedError,
    "write after unlink (error)": NotFoundError,
    "unlink missing id": NotFoundError,
    "wrong api key": AuthenticationError,
    "missing Authorization": AuthenticationError,
    "unknown database header": DatabaseNotFoundError,
    "unknown model": NotFoundError,
    "unknown method": NotFoundError,
    "private method": AccessDeniedError,
    "bad argument name": AccessDeniedError,
    "missing required argument": OdooValidationError,
    "ids on @api.model method": OdooValidationError,
    "unknown field in fields list": OdooValidationError,
    "unknown field in domain": OdooValidationError,
    "unknown field in create vals": OdooValidationError,
    "missing required field on create (crm.lead needs name)": OdooValidationError,
    "bad value type (many2one as string)": OdooValidationError,
    "access error (integration user reads ir.config_parameter)": AccessDeniedError,
    "GET instead of POST": UnsupportedServerError,
    "bad content type": OdooValidationError,
    "body not json": OdooValidationError,
    "execute_kw wrong password (jsonrpc)": AuthenticationError,
    "execute_kw unknown model (jsonrpc)": NotFoundError,
    "execute_kw access error (jsonrpc)": AccessDeniedError,
    "execute_kw unknown db (jsonrpc)": DatabaseNotFoundError,
    "execute_kw unknown method (jsonrpc)": NotFoundError,
    "execute_kw write after unlink (jsonrpc)": NotFoundError,
    "execute_kw unknown field in domain (jsonrpc)": OdooValidationError,
}


def _map(entry):
    if entry["transport"] == "json2":
        body = entry["body"]
        text = body if isinstance(body, str) else json.dumps(body)
        model, method = entry["path"].split("/")[3:5]
        return from_json2_error(entry["status"], entry["content_type"], text, model=model, method=method)
    return from_jsonrpc_error(entry["body"]["error"])


def test_every_recorded_error_shape_has_an_expectation():
    assert set(BY_TITLE) == set(EXPECTED)


@pytest.mark.parametrize("title", sorted(EXPECTED))
def test_recorded_error_maps_to_its_class(title):
    error = _map(BY_TITLE[title])
    assert type(error) is EXPECTED[title]
    assert error.message
    assert error.hint
    assert "Traceback" not in error.message


@pytest.mark.parametrize(
    "title", [t for t, e in BY_TITLE.items() if e["transport"] == "json2" and isinstance(e["body"], dict)]
)
def test_json2_error_keeps_odoos_message_and_hides_the_traceback(title):
    entry = BY_TITLE[title]
    error = _map(entry)
    assert error.message == entry["body"]["message"]
    assert error.odoo_name == entry["body"]["name"]
    assert "detail" not in error.to_dict()
    assert error.to_dict(debug=True).get("detail") == entry["body"]["debug"]


def test_access_error_lists_the_groups_odoo_names():
    error = _map(BY_TITLE["access error (integration user reads ir.config_parameter)"])
    assert error.groups == ["Role / Administrator"]
    assert error.to_dict()["missingGroups"] == ["Role / Administrator"]
    rpc = _map(BY_TITLE["execute_kw access error (jsonrpc)"])
    assert rpc.groups == ["Role / Administrator"]


def _rpc_error(name: str, message: str, debug: str = "") -> dict[str, object]:
    return {
        "code": 0,
        "message": "Odoo Server Error",
        "data": {"name": name, "message": message, "debug": debug},
    }


def test_an_unknown_jsonrpc_exception_is_a_server_error_with_odoos_message():
    error = from_jsonrpc_error(
        _rpc_error("builtins.RuntimeError", "boom", "Traceback (most recent call last):\n  File x")
    )
    assert type(error) is ServerError
    assert error.message == "boom"
    assert error.detail and "Traceback" in error.detail


@pytest.mark.parametrize("title", [t for t, e in BY_TITLE.items() if e["transport"] == "jsonrpc"])
def test_jsonrpc_error_keeps_odoos_name_and_message(title):
    data = BY_TITLE[title]["body"]["error"]["data"]
    error = _map(BY_TITLE[title])
    assert error.odoo_name == data["name"]
    if type(error) not in (
        AuthenticationError,
        DatabaseNotFoundError,
    ):  # these say it in the connector's words
        assert error.message == data["message"].strip()


def test_plain_5xx_without_json_is_a_server_error():
    error = from_json2_error(
        502, "text/html", "<html><title>502 Bad Gateway</title></html>", model="res.partner", method="read"
    )
    assert type(error) is ServerError
    assert "502 Bad Gateway" in error.message

"""Test doubles that stand in for a real Odoo, so the suite runs offline and fast."""

from __future__ import annotations

import json
from typing import Any

import httpx

from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import Connection, parse_connection

from .odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo, OdooFault, Transaction

__all__ = ["FakeOdoo", "OdooFault", "Transaction", "fake_client", "fake_connection"]

FAKE_URL = "http://fake.test"


def fake_connection(transport: str) -> Connection:
    """A connection the fake accepts: ``"json2"`` (API key) or ``"jsonrpc"`` (login/password)."""
    data: dict[str, Any] = {"baseUrl": FAKE_URL, "database": DATABASE}
    if transport == "json2":
        data.update(type="odooApiKey", apiKey=API_KEY)
    else:
        data.update(type="odooBasicAuth", username=LOGIN, password=PASSWORD)
    return parse_connection(data)


def fake_client(fake: FakeOdoo, connection: Connection, **options: Any) -> OdooClient:
    """What ``make_client`` would build, wired to the fake instead of a socket."""
    return make_client(connection, http_transport=fake, **options)


# --- /jsonrpc answers for hand-written mock servers ---------------------------------------------


def jsonrpc_params(request: httpx.Request) -> dict[str, Any]:
    """The ``params`` of a ``/jsonrpc`` request: ``{"service", "method", "args"}``."""
    params: dict[str, Any] = json.loads(request.content)["params"]
    return params


def jsonrpc_answer(result: Any) -> httpx.Response:
    """Odoo's ``/jsonrpc`` answer carrying ``result`` (left out when None, as Odoo does)."""
    answer = {"jsonrpc": "2.0", "id": None}
    return httpx.Response(200, json=answer if result is None else {**answer, "result": result})


def jsonrpc_fault(name: str, message: str, debug: str = "") -> httpx.Response:
    """Odoo's ``/jsonrpc`` error answer (status 200) for an exception ``name`` (e.g.
    ``odoo.exceptions.AccessError``) with ``message`` and a ``debug`` traceback."""
    data = {"name": name, "message": message, "arguments": [message], "context": {}, "debug": debug}
    error = {"code": 0, "message": "Odoo Server Error", "data": data}
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": None, "error": error})

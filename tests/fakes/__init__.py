"""Test doubles that stand in for a real Odoo, so the suite runs offline and fast."""

from __future__ import annotations

from typing import Any

from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import Connection, parse_connection

from .odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo, OdooFault, Transaction

__all__ = ["FakeOdoo", "OdooFault", "Transaction", "fake_client", "fake_connection"]

FAKE_URL = "http://fake.test"


def fake_connection(transport: str) -> Connection:
    """A connection the fake accepts: ``"json2"`` (API key) or ``"xmlrpc"`` (login/password)."""
    data: dict[str, Any] = {"baseUrl": FAKE_URL, "database": DATABASE}
    if transport == "json2":
        data.update(type="odooApiKey", apiKey=API_KEY)
    else:
        data.update(type="odooBasicAuth", username=LOGIN, password=PASSWORD)
    return parse_connection(data)


def fake_client(fake: FakeOdoo, connection: Connection, **options: Any) -> OdooClient:
    """What ``make_client`` would build, wired to the fake instead of a socket."""
    return make_client(connection, http_transport=fake, **options)

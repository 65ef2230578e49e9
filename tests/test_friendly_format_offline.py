"""``format: friendly`` offline: conversion goes by field type, and leaving ``format`` out changes
nothing and costs no ``fields_get``."""

from __future__ import annotations

import httpx

from odoo_connector import invoke
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.values import friendly_record


def test_without_format_rows_are_odoos_own_and_fields_get_is_not_asked():
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path.rsplit("/", 1)[-1])
        return httpx.Response(200, json=[{"id": 1, "partner_id": [7, "Acme"], "date": False}])

    conn = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "k" * 40}
    client = make_client(parse_connection(conn), http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    inputs = {"model": "res.partner", "recordId": 1, "fields": ["partner_id", "date"]}
    assert invoke("getRecordById", conn, inputs, client=client)["data"] == {
        "id": 1,
        "partner_id": [7, "Acme"],
        "date": False,
    }
    assert asked == ["read"]


def test_friendly_record_converts_by_field_type_only():
    record = {"id": 1, "partner_id": [7, "Acme"], "date": False, "note": "2026-01-01 10:00:00", "ok": False}
    fields = {
        "partner_id": {"type": "many2one"},
        "date": {"type": "date"},
        "note": {"type": "char"},  # looks like a datetime, is text: left alone
        "ok": {"type": "boolean"},
    }
    assert friendly_record(record, fields) == {
        "id": 1,
        "partner_id": {"id": 7, "name": "Acme"},
        "date": None,
        "note": "2026-01-01 10:00:00",
        "ok": False,
    }

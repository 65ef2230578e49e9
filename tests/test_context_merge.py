"""How the client merges the user's context (issue 17, point 3), offline: connection defaults,
then the call's ``context`` input, then what a handler passes; refused locally when malformed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import ConnectionSettingsError, InputError


def recording_client(conn: dict[str, Any]) -> tuple[OdooClient, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append({"path": request.url.path, **body})
        if request.url.path.endswith("/get_installed"):
            return httpx.Response(200, json=[["en_US", "English (US)"], ["fr_FR", "French"]])
        return httpx.Response(200, json=[{"id": 1, "name": "A"}])

    parsed = parse_connection(conn)
    return make_client(parsed, http_transport=httpx.MockTransport(handler)), sent  # type: ignore[arg-type]


BASE = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "k" * 40}
READ = {"model": "res.partner", "recordId": 1, "fields": ["name"]}


def test_connection_defaults_ride_every_call_and_a_call_overrides_them():
    conn = {**BASE, "companyId": 2, "language": "fr_FR", "timezone": "Europe/Brussels"}
    client, sent = recording_client(conn)
    invoke("getRecordById", conn, READ, client=client)
    invoke(
        "getRecordById",
        conn,
        {**READ, "context": {"companyId": [3, 2], "includeArchived": True}},
        client=client,
    )
    invoke("getRecordById", conn, {**READ, "context": {"lang": "en_US", "my_flag": 1}}, client=client)
    reads = [s["context"] for s in sent if s["path"].endswith("/read")]
    assert reads == [
        {"allowed_company_ids": [2], "lang": "fr_FR", "tz": "Europe/Brussels"},
        {"allowed_company_ids": [3, 2], "lang": "fr_FR", "tz": "Europe/Brussels", "active_test": False},
        {"allowed_company_ids": [2], "lang": "en_US", "tz": "Europe/Brussels", "my_flag": 1},
    ]
    assert [s["path"] for s in sent].count("/json/2/res.lang/get_installed") == 1  # asked once per client


def test_no_context_sends_no_context():
    client, sent = recording_client(BASE)
    invoke("getRecordById", BASE, READ, client=client)
    assert "context" not in sent[0]


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"companyId": 0}, "context.companyId"),
        ({"companyId": [2, "x"]}, "context.companyId"),
        ({"language": "french"}, "context.language"),
        ({"timezone": "Europe/../x"}, "context.timezone"),
        ({"includeArchived": "yes please"}, "context.includeArchived"),
    ],
)
def test_a_bad_context_is_refused_before_sending(context, path):
    client, sent = recording_client(BASE)
    with pytest.raises(InputError) as err:
        invoke("getRecordById", BASE, {**READ, "context": context}, client=client)
    assert err.value.path == path and sent == []


@pytest.mark.parametrize(
    ("field", "value"), [("companyId", "two"), ("language", "French"), ("timezone", "a b")]
)
def test_bad_connection_defaults_are_connection_errors(field, value):
    with pytest.raises(ConnectionSettingsError) as err:
        parse_connection({**BASE, field: value})
    assert err.value.path == field

"""invoke reuses clients within a process (issue 19): one keep-alive pool and one XML-RPC login
per connection, a new client for a changed secret, a bounded pool, and a stale login retried once."""

from __future__ import annotations

from typing import Any

import pytest

import odoo_connector.client as client_module
from odoo_connector import invoke
from odoo_connector.client import make_client
from odoo_connector.client.pool import MAX_CLIENTS, close_pooled_clients
from odoo_connector.connections import parse_connection
from odoo_connector.errors import AuthenticationError

from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, UID, FakeOdoo

BASIC = {
    "type": "odooBasicAuth",
    "baseUrl": "http://fake.test",
    "database": DATABASE,
    "username": LOGIN,
    "password": PASSWORD,
}
READ = {"model": "res.partner", "recordId": 1, "fields": ["name"]}


@pytest.fixture
def odoo(monkeypatch: pytest.MonkeyPatch) -> FakeOdoo:
    fake = FakeOdoo()
    fake.create("res.partner", name="Acme")
    built: list[Any] = []

    def make(connection: Any, **options: Any) -> Any:
        client = make_client(
            connection, http_transport=fake, **options
        )
        built.append(client)
        return client

    monkeypatch.setattr(client_module, "make_client", make)
    fake.built = built  # type: ignore[attr-defined]
    yield fake
    close_pooled_clients()


def test_repeated_invokes_log_in_once_and_share_one_client(odoo: FakeOdoo) -> None:
    for _ in range(5):
        assert invoke("getRecordById", dict(BASIC), READ)["data"]["name"] == "Acme"
    assert odoo.methods().count("login") == 1
    assert odoo.methods().count("read") == 5
    assert len(odoo.built) == 1  # type: ignore[attr-defined]


def test_another_secret_or_login_is_another_client(odoo: FakeOdoo) -> None:
    invoke("getRecordById", dict(BASIC), READ)
    invoke("getRecordById", {**BASIC, "timeout": 30}, READ)
    api = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
    invoke("getRecordById", api, READ)
    with pytest.raises(AuthenticationError):  # the fake knows one key: the other is refused...
        invoke("getRecordById", {**api, "apiKey": API_KEY + "x"}, READ)
    assert len(odoo.built) == 4  # type: ignore[attr-defined]  # ...by a client of its own


def test_the_pool_key_holds_no_secret() -> None:
    identity = parse_connection(BASIC).identity()
    assert PASSWORD not in repr(identity) and LOGIN in identity


def test_the_pool_is_bounded_and_closes_what_it_drops(odoo: FakeOdoo) -> None:
    for n in range(MAX_CLIENTS + 3):
        invoke("getRecordById", {**BASIC, "timeout": n + 1}, READ)
    built = odoo.built  # type: ignore[attr-defined]
    assert len(built) == MAX_CLIENTS + 3
    assert [c.session.client.is_closed for c in built[:3]] == [True, True, True]
    assert not any(c.session.client.is_closed for c in built[3:])


def test_a_stale_login_is_dropped_and_the_call_retried_once(odoo: FakeOdoo) -> None:
    invoke("getRecordById", dict(BASIC), READ)
    client = odoo.built[0]  # type: ignore[attr-defined]
    client.wire.uid = UID + 40  # the cached login no longer matches the server's user
    assert invoke("getRecordById", dict(BASIC), READ)["data"]["name"] == "Acme"
    assert odoo.methods().count("login") == 2 and client.uid() == UID

"""The retry policy: retry only when the request cannot have run twice on the server."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from odoo_connector.client import Json2Client
from odoo_connector.client.http import parse_retry_after
from odoo_connector.connections import parse_connection
from odoo_connector.errors import RateLimitedError, ServerError, TransportError

CONN = {"type": "odooApiKey", "baseUrl": "https://odoo.test", "database": "odoo19", "apiKey": "test-key"}


def scripted(*steps: httpx.Response | Exception) -> tuple[Json2Client, list[httpx.Request], list[float]]:
    """A client whose server answers with ``steps`` in order (an exception is raised instead)."""
    queue = list(steps)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    client = Json2Client(parse_connection(CONN), http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    waits: list[float] = []
    client.session.sleep = waits.append
    return client, seen, waits


def OK(body: object = None) -> httpx.Response:
    """Odoo's answer: a create's list of ids, or rows when ``body`` is given."""
    return httpx.Response(200, json=[1] if body is None else body)


ROWS = [{"id": 1, "name": "Acme"}]


def test_a_connection_never_made_is_retried_even_for_writes():
    client, seen, waits = scripted(httpx.ConnectError("refused"), OK())
    assert client.call("res.partner", "create", vals_list=[{"name": "x"}]) == [1]
    assert len(seen) == 2 and waits == [0.5]


def test_a_read_timeout_is_retried_for_reads_only():
    client, seen, _ = scripted(httpx.ReadTimeout("slow"), OK(ROWS))
    assert client.call("res.partner", "search_read", domain=[]) == ROWS
    assert len(seen) == 2

    client, seen, _ = scripted(httpx.ReadTimeout("slow"), OK())
    with pytest.raises(TransportError, match="did not answer within"):
        client.call("res.partner", "create", vals_list=[{"name": "x"}])
    assert len(seen) == 1  # the create may have run: never sent twice


def test_a_gateway_error_is_retried_for_reads_not_writes():
    client, seen, waits = scripted(httpx.Response(503), httpx.Response(502), OK(ROWS))
    assert client.call("res.partner", "read", [1], fields=["name"]) == ROWS
    assert len(seen) == 3 and waits == [0.5, 1.0]

    client, seen, _ = scripted(httpx.Response(503, text="<title>503 Service Unavailable</title>"))
    with pytest.raises(ServerError, match="503 Service Unavailable"):
        client.call("res.partner", "write", [1], vals={"name": "x"})
    assert len(seen) == 1


def test_429_is_retried_after_the_time_the_server_asks():
    client, _, waits = scripted(httpx.Response(429, headers={"Retry-After": "3"}), OK())
    assert client.call("res.partner", "create", vals_list=[{"name": "x"}]) == [1]
    assert waits == [3.0]


def test_429_asking_for_too_long_a_wait_is_reported():
    client, _, waits = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as err:
        client.call("res.partner", "search_read", domain=[])
    assert err.value.retry_after == 3600.0 and waits == []
    assert err.value.exit_code == 5


def test_retries_stop_after_the_limit():
    client, seen, _ = scripted(*(httpx.ConnectError("refused") for _ in range(3)))
    with pytest.raises(TransportError, match=r"Could not connect to https://odoo\.test"):
        client.call("res.partner", "search_read", domain=[])
    assert len(seen) == 3  # one try and two retries


def test_a_tls_failure_is_not_retried_and_says_so():
    client, seen, _ = scripted(
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    )
    with pytest.raises(TransportError, match=r"TLS connection to https://odoo\.test failed") as err:
        client.call("res.partner", "search_read", domain=[])
    assert "certificate" in err.value.hint and len(seen) == 1


def test_every_request_carries_the_key_database_and_user_agent():
    client, seen, _ = scripted(OK(ROWS))
    client.call("res.partner", "search_read", domain=[], context={"lang": "fr_FR"})
    request = seen[0]
    assert request.headers["Authorization"] == "bearer test-key"
    assert request.headers["X-Odoo-Database"] == "odoo19"
    assert request.headers["User-Agent"].startswith("odoo-connector/")
    assert request.url == "https://odoo.test/json/2/res.partner/search_read"
    assert request.content == b'{"domain":[],"context":{"lang":"fr_FR"}}'


def test_retry_after_as_an_http_date():
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None

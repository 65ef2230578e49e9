"""The retry policy: retry only when the request cannot have run twice on the server."""

from __future__ import annotations

import logging
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from odoo_connector.client import Json2Client
from odoo_connector.client.http import parse_retry_after
from odoo_connector.connections import parse_connection
from odoo_connector.errors import RateLimitedError, ServerError, TransportError

CONN = {"type": "odooApiKey", "baseUrl": "https://odoo.test", "database": "odoo19", "apiKey": "test-key"}


def scripted(
    *steps: httpx.Response | Exception, forever: httpx.Response | Exception | None = None, **conn: Any
) -> tuple[Json2Client, list[httpx.Request], list[float]]:
    """A client whose server answers with ``steps`` in order (an exception is raised instead), then
    with ``forever`` for good. Its waits are recorded, not slept: they move the session's clock,
    and are not shortened at random (the jitter is tested on its own)."""
    queue = list(steps)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0) if queue else forever
        assert step is not None, "more requests than the script has answers"
        if isinstance(step, Exception):
            raise step
        return step

    connection = parse_connection({**CONN, **conn})
    client = Json2Client(connection, http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    waits: list[float] = []
    now = [1000.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    client.session.sleep = sleep
    client.session.clock = lambda: now[0]
    client.session.jitter = lambda: 1.0  # the full wait
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


def test_before_odoo_ever_answered_retries_stop_after_two():
    """A refused first connection is more often a wrong URL or port than a restart: said in seconds."""
    client, seen, waits = scripted(forever=httpx.ConnectError("refused"))
    with pytest.raises(TransportError, match=r"Could not connect to https://odoo\.test") as err:
        client.call("res.partner", "search_read", domain=[])
    assert len(seen) == 3 and waits == [0.5, 1.0]  # one try and two retries
    assert "retryFor" not in err.value.hint


REFUSED = httpx.ConnectError("[Errno 111] Connection refused")
DROPPED = httpx.RemoteProtocolError("Server disconnected without sending a response.")


def test_once_odoo_answered_a_restart_is_waited_out(caplog):
    """What stopping and starting Odoo looks like: the request in flight loses its connection,
    connections are refused, a proxy answers 502 and 503, then Odoo answers again."""
    steps = [DROPPED, *[REFUSED] * 6, httpx.Response(502), httpx.Response(503), httpx.Response(504)]
    client, seen, waits = scripted(OK(ROWS), *steps, OK(ROWS))
    client.call("res.partner", "search_read", domain=[])  # Odoo answered once
    with caplog.at_level(logging.INFO, logger="odoo_connector.http"):
        assert client.call("res.partner", "search_read", domain=[]) == ROWS
    assert len(seen) == 2 + len(steps)
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]  # doubling, at most 5 s
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "retrying in" in line]) == len(waits)  # one line per wait
    assert "POST /json/2/res.partner/search_read: could not connect; retrying in 1.0s (attempt 3)" in lines
    assert "Odoo answers again, after 37.5s (10 retries)" in lines


def test_retrying_stops_after_retry_for_and_says_how_to_wait_longer():
    client, seen, waits = scripted(OK(ROWS), forever=REFUSED, retryFor=20)
    client.call("res.partner", "search_read", domain=[])
    with pytest.raises(TransportError) as err:
        client.call("res.partner", "read", [1], fields=["name"])
    assert sum(waits) == 20.0 and waits[-1] == 20.0 - 0.5 - 1 - 2 - 4 - 5 - 5  # the last cut to fit
    assert "retried for 20 s" in err.value.message and "retryFor" in err.value.hint
    assert len(seen) == 1 + len(waits) + 1


def test_retry_for_zero_fails_at_the_first_failure():
    client, seen, waits = scripted(OK(ROWS), REFUSED, retryFor=0)
    client.call("res.partner", "search_read", domain=[])
    with pytest.raises(TransportError, match="Could not connect"):
        client.call("res.partner", "search_read", domain=[])
    assert len(seen) == 2 and waits == []


def test_a_retry_after_is_honoured_within_retry_for():
    client, _, waits = scripted(OK(ROWS), httpx.Response(503, headers={"Retry-After": "7"}), OK(ROWS))
    client.call("res.partner", "search_read", domain=[])
    assert client.call("res.partner", "search_read", domain=[]) == ROWS and waits == [7.0]


@pytest.mark.parametrize("failure", [DROPPED, httpx.ReadTimeout("slow"), httpx.Response(502)], ids=repr)
def test_after_odoo_answered_a_write_is_still_never_sent_again_once_it_may_have_run(failure):
    client, seen, waits = scripted(OK(ROWS), failure, forever=OK())
    client.call("res.partner", "search_read", domain=[])
    with pytest.raises((TransportError, ServerError)):
        client.call("res.partner", "create", vals_list=[{"name": "x"}])
    assert len(seen) == 2 and waits == []  # the create was sent once


def test_after_odoo_answered_a_refused_write_is_retried_through_the_restart():
    client, seen, _ = scripted(OK(ROWS), *[REFUSED] * 5, OK())
    client.call("res.partner", "search_read", domain=[])
    assert client.call("res.partner", "create", vals_list=[{"name": "x"}]) == [1]
    assert len(seen) == 7  # refused: the create never reached Odoo


@pytest.mark.parametrize(("draw", "share"), [(0.0, 0.5), (0.5, 0.75), (0.999, 0.9995)])
def test_waits_are_shortened_at_random_by_up_to_half(draw, share):
    client, _, waits = scripted(OK(ROWS), REFUSED, REFUSED, REFUSED, OK(ROWS))
    client.session.jitter = lambda: draw
    client.call("res.partner", "search_read", domain=[])
    client.call("res.partner", "search_read", domain=[])
    assert waits == pytest.approx([0.5 * share, 1.0 * share, 2.0 * share])


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

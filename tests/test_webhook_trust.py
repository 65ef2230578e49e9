"""A webhook post is a wake-up call, not data (issue 25): forged posts carrying the real secret
(Odoo writes it to its server log) against the listener on a real loopback socket, huge and
dripping bodies, and the log of a flood of refused posts."""

from __future__ import annotations

import http.client
import json
import logging
import select
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

pytest.importorskip("uvicorn", reason="the webhook extra: pip install -e '.[webhook]'")

from odoo_connector import invoke
from odoo_connector.runner import listen_http, post_queue
from tests.fakes import FakeOdoo
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import serve_transport
from tests.test_webhook_listen import ListEvents, Running, free_port, wait_for
from tests.test_webhook_receive import Subscribed

MODEL = "res.partner"


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo()
    fake.install_automation()
    yield fake


def secret(odoo: FakeOdoo) -> str:
    """The subscription's secret, as anyone reading Odoo's server log sees it."""
    url = next(iter(odoo.tables["ir.actions.server"].values()))["webhook_url"]
    return parse_qs(urlsplit(url).query)["token"][0]


def forge(run: Running, record_id: int, event: str = "change", **values: Any) -> int:
    """Posts a body of Odoo's shape, with the real secret; returns the status."""
    body = {"_action": "x(#1)", "_id": record_id, "_model": MODEL, "id": record_id, **values}
    body.setdefault("write_date", "2026-01-01 12:00:00.000001")
    url = f"{run.url}?token={secret(run.odoo)}&event={event}"
    return httpx.post(url, json=body).status_code


def post_like_odoo(url: str, body: bytes) -> None:
    """Odoo's way (a new connection per post, 1 s timeout, errors ignored), without the 70 ms
    that building an httpx client costs here (certificates), so a burst posts at Odoo's pace."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=1.0)
    try:
        connection.request("POST", f"{parts.path}?{parts.query}", body, {"Content-Type": "application/json"})
        connection.getresponse().read()
    except OSError:
        pass
    finally:
        connection.close()


def settle(sink: ListEvents, count: int) -> None:
    """Waits for ``count`` events, then long enough for any further batch to have emitted."""
    wait_for(lambda: len(sink.events) >= count)
    time.sleep(0.4)  # a batch closes 0.05 s after its last post


# --- F-1: the post names a record; Odoo says what it is ----------------------------------------


def test_forged_changes_emit_only_records_odoo_holds_with_odoos_values(
    odoo: FakeOdoo, tmp_path: Path
) -> None:
    """A made-up id, a record the user may not read and one outside the domain emit nothing; a
    real record named by a forged body is emitted as Odoo has it, with the subscription's
    fields only."""
    sink = ListEvents()
    rows: list[dict[str, Any]] = []
    sink.deliver_events = lambda events, stop: rows.extend(  # type: ignore[method-assign]
        r for branch in ("created", "updated", "deleted") for r in events.get(branch, [])
    )
    inputs = {"model": MODEL, "fields": ["name", "email"], "domain": [["is_company", "=", False]]}
    with Running(odoo, tmp_path / "state.sqlite", sink, inputs) as run:
        odoo.drop_webhooks(3)  # Odoo's own posts for these three are lost
        real = odoo.create(MODEL, name="Real", email="real@example.com")
        hidden = odoo.create(MODEL, name="Hidden", email="h@example.com")
        company = odoo.create(MODEL, name="Company", is_company=True)
        odoo.hide(MODEL, hidden)
        forged = {"name": "Forged", "email": "attacker@example.com", "is_company": True, "phone": "+1 555"}
        statuses = [
            forge(run, 999_999, **forged),
            forge(run, hidden, **forged),
            forge(run, company, **forged),
            forge(run, real, **forged, write_date="2099-01-01 00:00:00.000001"),
        ]
        assert statuses == [202] * 4
        wait_for(lambda: len(rows) >= 1)
        time.sleep(0.3)
    stamp = odoo.now()
    assert rows == [
        {"id": real, "name": "Real", "email": "real@example.com", "create_date": stamp, "write_date": stamp}
    ]


def test_a_replayed_older_body_emits_nothing(odoo: FakeOdoo, tmp_path: Path) -> None:
    sink = ListEvents()
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        a = odoo.create(MODEL, name="A")
        settle(sink, 1)
        odoo.advance(2)
        odoo.write(MODEL, a, email="new@example.com")
        settle(sink, 2)
        older = [body for _, body in odoo.webhooks_sent]
        for body in older:  # every body Odoo sent so far, posted again
            httpx.post(f"{run.url}?token={secret(odoo)}&event=change", content=body)
        time.sleep(0.3)
        assert sink.events == [("created", a), ("updated", a)]
        odoo.advance(2)
        odoo.write(MODEL, a, email="newer@example.com")
        settle(sink, 3)
    assert sink.events == [("created", a), ("updated", a), ("updated", a)]


def test_a_forged_deletion_emits_nothing_and_mutes_nothing(odoo: FakeOdoo, tmp_path: Path) -> None:
    """Deletions of a record that exists, or that the user may not read, are not believed; the
    record's later changes are still emitted, by a post and by the reconciliation. A real
    deletion is emitted once, with the subscription's fields only."""
    sink = ListEvents()
    rows: list[dict[str, Any]] = []
    deliver = sink.deliver_events

    def keep(events: Any, stop: threading.Event) -> None:
        rows.extend(events.get("deleted", []))
        deliver(events, stop)

    sink.deliver_events = keep  # type: ignore[method-assign]
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        a = odoo.create(MODEL, name="A")
        hidden = odoo.create(MODEL, name="H")
        settle(sink, 2)
        odoo.hide(MODEL, hidden)
        assert forge(run, a, "delete", name="A") == 202
        assert forge(run, hidden, "delete", name="H") == 202
        time.sleep(0.3)
        assert sink.events == [("created", a), ("created", hidden)]
        odoo.advance(1)
        odoo.write(MODEL, a, email="1@example.com")  # posted: emitted by the webhook path
        settle(sink, 3)
        odoo.advance(1)
        odoo.drop_webhooks(1)
        odoo.write(MODEL, a, email="2@example.com")  # lost: emitted by the reconciliation
        odoo.advance(1)
        assert run.listener is not None
        assert run.listener.reconcile_once() == {"created": 0, "updated": 1, "deleted": 0}
        odoo.unlink(MODEL, a)
        settle(sink, 5)
        odoo.drop_webhooks(1)
        odoo.unlink(MODEL, hidden)  # really gone now; its post is lost, a forged one arrives
        assert (
            forge(run, hidden, "delete", name="H", phone="+1 555", create_date="2026-01-01 12:00:00") == 202
        )
        settle(sink, 6)
    assert sink.events == [
        ("created", a),
        ("created", hidden),
        ("updated", a),
        ("updated", a),
        ("deleted", a),
        ("deleted", hidden),
    ]
    assert [sorted(r) for r in rows] == [
        ["create_date", "email", "id", "name", "write_date"],
        ["create_date", "id", "name", "write_date"],  # no phone: not a subscription field
    ]


def test_a_state_muted_by_a_forged_deletion_heals_at_the_next_reconciliation() -> None:
    """A subscription state saved before posts were checked may list an existing record as
    deleted: invoke's reconciliation emits its changes again and forgets the false deletion."""
    sub = Subscribed()
    a = sub.odoo.create(MODEL, name="A")
    assert sub.deliver() == [("created", a)]
    sub.state["deleted"][str(a)] = "2026-01-01 12:00:00.000001"  # what a forged post left
    sub.odoo.advance(1)
    sub.odoo.drop_webhooks(1)
    sub.odoo.write(MODEL, a, email="a@example.com")
    sub.odoo.advance(1)
    result = invoke("recordWebhookTrigger", sub.conn, sub.inputs, state=sub.state, client=sub.client)
    assert [r["id"] for r in result["data"]["updated"]] == [a]
    assert str(a) not in result["state"]["deleted"]


def test_a_burst_of_500_creates_is_read_back_in_a_handful_of_requests(odoo: FakeOdoo, tmp_path: Path) -> None:
    """500 creates in one transaction, each posted twice: every record read back from Odoo, in
    at most 5 reads, and emitted once."""
    sink = ListEvents()
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        assert run.listener is not None
        before = len(odoo.calls)
        odoo.send_webhook = post_like_odoo
        odoo.webhook_copies = 2
        tx = odoo.begin()
        ids = [tx.create(MODEL, name=f"Burst {n}") for n in range(500)]
        tx.commit()
        settle(sink, 500)
        reads = Counter(m for model, m in odoo.calls[before:] if model == MODEL)
    assert sorted(i for _, i in sink.events) == ids
    assert 1 <= reads["search_read"] <= 5
    assert reads["read"] == 0


def test_deletion_posts_waiting_for_a_sink_that_is_down_hold_bounded_memory(
    odoo: FakeOdoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deletion post's values are kept until delivered (no poll can find a deletion), so what
    waits is bounded in bytes: with the sink down, posts past the bound are answered 503."""
    monkeypatch.setattr(post_queue, "PENDING_BYTES", 1024 * 1024)
    sink = ListEvents()
    sink.fail = 10**6  # the receiver stays down
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        padding = "x" * 200_000
        statuses = [forge(run, 1000 + n, "delete", name=padding) for n in range(8)]
    assert statuses == [202] * 5 + [503] * 3


# --- F-5 and F-12: what a request body may cost -------------------------------------------------


def _send(port: int, head: bytes, chunks: Iterator[bytes], timeout: float = 20.0) -> tuple[bytes, float]:
    """Sends ``head`` then ``chunks`` until the server answers (or the chunks end); returns the
    answer and the seconds it took. Stops sending as soon as an answer is readable."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(2.0)
        sock.sendall(head)
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(chunk)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                break  # the server stopped reading: it has answered, or is about to
        sock.settimeout(timeout)
        answer = b""
        try:
            while piece := sock.recv(65536):
                answer += piece
        except ConnectionResetError:
            pass
    return answer, time.monotonic() - started


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_watch_refuses_a_huge_body_413_and_does_not_hold_it(odoo: FakeOdoo, tmp_path: Path) -> None:
    """50 MiB posted to `watch recordWebhookTrigger --listen`, declared and streamed (chunked),
    with the secret and without: answered at once, the process's peak memory unchanged."""
    port = free_port()
    with serve_transport(odoo) as url:
        conn = tmp_path / "connection.json"
        conn.write_text(
            json.dumps({"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY})
        )
        command = [
            *(sys.executable, "-m", "odoo_connector.cli", "watch", "recordWebhookTrigger"),
            *("--input", '{"model": "res.partner", "fields": ["name"]}', "--listen", f"127.0.0.1:{port}"),
            *("--public-url", f"http://127.0.0.1:{port}/odoo", "--state", str(tmp_path / "s.sqlite")),
            *("--connection", str(conn)),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        logs: list[str] = []
        reader = threading.Thread(target=lambda: logs.extend(process.stderr or []), daemon=True)
        reader.start()
        try:
            end = time.monotonic() + 30
            while not any("reconciliation:" in line for line in logs):
                assert time.monotonic() < end and process.poll() is None, logs
                time.sleep(0.05)
            token = secret(odoo)
            size = 50 * 1024 * 1024
            zeros = b"0" * 65536
            peak = _peak_rss_kib(process.pid)

            def body() -> Iterator[bytes]:
                for _ in range(size // len(zeros)):
                    yield zeros

            def chunked() -> Iterator[bytes]:
                for chunk in body():
                    yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
                yield b"0\r\n\r\n"

            answers = {}
            for name, path, headers, chunks in [
                ("declared", f"/odoo?token={token}", f"Content-Length: {size}", body()),
                ("streamed", f"/odoo?token={token}", "Transfer-Encoding: chunked", chunked()),
                ("no secret", "/odoo?token=ocwh_guess", f"Content-Length: {size}", body()),
            ]:
                head = (
                    f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\nContent-Type: application/json\r\n\r\n"
                )
                answers[name] = _send(port, head.encode(), chunks)
            grown = _peak_rss_kib(process.pid) - peak
        finally:
            process.terminate()
            process.wait(timeout=30)
        reader.join(timeout=5)
    statuses = {name: answer.split(b" ", 2)[1] for name, (answer, _) in answers.items()}
    assert statuses == {"declared": b"413", "streamed": b"413", "no secret": b"401"}
    assert all(seconds < 5 for _, seconds in answers.values()), answers
    assert grown < 10 * 1024, f"peak memory grew by {grown} KiB"


def test_a_dripping_body_is_cut_off_after_the_body_timeout(
    odoo: FakeOdoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten connections each dripping a byte every 0.2 s: each is answered 408 and closed once the
    body timeout (1 s here, 5 s by default) has passed, and an honest post still gets through."""
    monkeypatch.setattr(listen_http, "BODY_TIMEOUT", 1.0)
    sink = ListEvents()
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        head = (
            f"POST /odoo?token={secret(odoo)}&event=change HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 1000\r\nContent-Type: application/json\r\n\r\n"
        ).encode()

        def drip() -> Iterator[bytes]:
            for _ in range(100):
                time.sleep(0.2)
                yield b" "

        results: list[tuple[bytes, float]] = []
        threads = [
            threading.Thread(target=lambda: results.append(_send(run.port, head, drip(), timeout=5)))
            for _ in range(10)
        ]
        for thread in threads:
            thread.start()
        a = odoo.create(MODEL, name="A")
        settle(sink, 1)
        for thread in threads:
            thread.join(timeout=30)
    assert sink.events == [("created", a)]
    assert len(results) == 10
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer, _ in results), results
    assert all(seconds < 3 for _, seconds in results), results


# --- F-10: a flood of refused posts is one line, then a count ------------------------------------


def test_refused_posts_are_logged_once_per_streak_with_a_count(
    odoo: FakeOdoo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = ListEvents()
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="odoo_connector"), httpx.Client() as client:
            for n in range(300):
                client.post(f"{run.url}?token=ocwh_guess{n}&event=change", json={"id": n})
            for _ in range(20):
                client.post(f"{run.url}?token={secret(odoo)}&event=change", content=b"not json")
            refused_during = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
            a = odoo.create(MODEL, name="A")  # an accepted post ends the streak
            settle(sink, 1)
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused_during) == 1
    assert refused_during[0] == (
        "recordWebhookTrigger res.partner: refused a post, answered 401: The webhook request does not "
        "carry this subscription's secret. (more refusals are counted, not logged, until a post is "
        "accepted)"
    )
    assert len(refused) == 2
    assert refused[1].getMessage().startswith("recordWebhookTrigger res.partner: refused 320 posts in ")
    assert refused[1].getMessage().endswith("(20 answered 400, 300 answered 401)")
    assert sink.events == [("created", a)]

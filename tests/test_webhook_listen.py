"""``watch recordWebhookTrigger --listen``: the fake Odoo posting over a real loopback socket to the
real uvicorn server, the stored subscription across restarts, and the command line's refusals."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("uvicorn", reason="the webhook extra: pip install -e '.[webhook]'")

from odoo_connector.cli import main
from odoo_connector.manifest import load_manifest
from odoo_connector.runner.listen import Listener, StdoutEvents, parse_listen, run_listen
from odoo_connector.runner.state import StateStore
from odoo_connector.runtime import validate_inputs
from tests.fakes import FakeOdoo, fake_client, fake_connection

MODEL = "res.partner"
INPUTS = {"model": MODEL, "fields": ["name", "email"]}


class ListEvents:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.fail = 0

    def deliver_events(self, events: Any, stop: threading.Event) -> None:
        from odoo_connector.runner.sinks import DeliveryError

        if self.fail and any(events.values()):
            self.fail -= 1
            raise DeliveryError("the receiver is down")
        self.events += [(b, r["id"]) for b in ("created", "updated", "deleted") for r in events.get(b, [])]

    def describe(self) -> str:
        return "a list"

    def close(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


class Running:
    """``run_listen`` on a thread, on a free loopback port, the fake Odoo in-process."""

    def __init__(
        self, odoo: FakeOdoo, db: Path, sink: ListEvents, inputs: dict[str, Any] | None = None
    ) -> None:
        self.odoo, self.db, self.sink = odoo, db, sink
        self.inputs = inputs or INPUTS
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/odoo"
        self.listener: Listener | None = None
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = fake_connection("json2")
        self.code = run_listen(
            "recordWebhookTrigger",
            conn,
            self.inputs,
            listen=f"127.0.0.1:{self.port}",
            public_url=self.url,
            reconcile_interval=3600,
            state_path=self.db,
            client_factory=lambda c: fake_client(self.odoo, c),
            sink=self.sink,
            install_signals=False,
            ready=lambda listener, port: setattr(self, "listener", listener),
        )

    def __enter__(self) -> Running:
        self.thread.start()
        wait_for(lambda: self.listener is not None and self.listener.reconciles >= 1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.thread.join(timeout=10)


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo()
    fake.install_automation()
    yield fake


def test_posts_reach_the_sink_once_lost_ones_by_reconciliation_and_a_clean_stop_leaves_no_rule(
    odoo: FakeOdoo, tmp_path: Path
) -> None:
    sink = ListEvents()
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        assert [r["name"] for r in odoo.rules()] == [
            "odoo-connector: res.partner → 127.0.0.1",
            "odoo-connector: res.partner → 127.0.0.1 (deleted)",
        ]
        odoo.webhook_copies = 3  # posted over the socket to uvicorn, three times each
        a = odoo.create(MODEL, name="A")
        wait_for(lambda: len(sink.events) == 1)
        odoo.advance(1)
        odoo.write(MODEL, a, email="a@example.com")
        wait_for(lambda: len(sink.events) == 2)
        odoo.unlink(MODEL, a)
        wait_for(lambda: len(sink.events) == 3)
        assert sink.events == [("created", a), ("updated", a), ("deleted", a)]
        odoo.webhook_copies = 1
        odoo.drop_webhooks(1)
        b = odoo.create(MODEL, name="B")
        time.sleep(0.3)
        assert sink.events[3:] == []
        odoo.advance(1)
        assert run.listener is not None
        assert run.listener.reconcile_once() == {"created": 1, "updated": 0, "deleted": 0}
        assert sink.events[3:] == [("created", b)]
    assert run.code == 0
    assert odoo.rules() == [] and odoo.tables["ir.actions.server"] == {}
    assert StateStore(tmp_path / "state.sqlite").load(run.listener.state_key) is None


def test_a_post_without_the_secret_gets_401_and_emits_nothing(odoo: FakeOdoo, tmp_path: Path) -> None:
    sink = ListEvents()
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        body = {"_action": "x(#1)", "_id": 1, "_model": MODEL, "id": 1, "write_date": "2026-01-01 12:00:00.1"}
        answer = httpx.post(f"{run.url}?token=ocwh_guessed&event=change", json=body)
        assert (answer.status_code, answer.json()) == (
            401,
            {"error": "The webhook request does not carry this subscription's secret."},
        )
        assert httpx.get(f"http://127.0.0.1:{run.port}/").json() == {"status": "listening"}
    assert sink.events == []


def test_a_post_is_answered_at_once_and_a_failed_delivery_is_tried_again_never_twice(
    odoo: FakeOdoo, tmp_path: Path
) -> None:
    """Odoo waits for each answer inside its user's request: the post is answered 202 before
    anything is read or delivered. A delivery that fails is not saved: the reconciliation poll
    emits the change, and the batch tried again later finds it emitted; a deletion, which no
    poll can find, is delivered by the next try."""
    sink = ListEvents()
    answers: list[int] = []
    with Running(odoo, tmp_path / "state.sqlite", sink) as run:
        odoo.send_webhook = lambda url, body: answers.append(httpx.post(url, content=body).status_code)
        sink.fail = 1
        a = odoo.create(MODEL, name="A")
        assert answers == [202]
        wait_for(lambda: sink.fail == 0)  # the first try failed
        assert sink.events == []
        odoo.advance(1)
        assert run.listener is not None
        run.listener.reconcile_once()
        assert sink.events == [("created", a)]
        time.sleep(1.5)  # the failed batch is tried again after a second
        assert sink.events == [("created", a)]
        sink.fail = 1
        odoo.unlink(MODEL, a)
        wait_for(lambda: sink.events[1:] == [("deleted", a)])
        assert answers == [202, 202]


def test_a_restart_after_a_crash_reuses_the_stored_subscription(odoo: FakeOdoo, tmp_path: Path) -> None:
    unit = load_manifest().unit("recordWebhookTrigger")
    conn = fake_connection("xmlrpc")
    store = StateStore(tmp_path / "state.sqlite")

    def listener(url: str) -> Listener:
        checked = validate_inputs(unit, INPUTS)
        client = fake_client(odoo, conn)
        return Listener(unit, conn, checked, client=client, store=store, sink=StdoutEvents(), public_url=url)

    first = listener("https://hooks.example.com/odoo")
    first.start()
    rules = sorted(r["id"] for r in odoo.rules())
    listener("https://hooks.example.com/odoo").start()  # the process died: nothing was unsubscribed
    assert sorted(r["id"] for r in odoo.rules()) == rules
    moved = listener("https://elsewhere.example.com/odoo")
    moved.start()  # another public URL: the old rules go, new ones post there
    assert [r["name"] for r in odoo.rules()] == [
        "odoo-connector: res.partner → elsewhere.example.com",
        "odoo-connector: res.partner → elsewhere.example.com (deleted)",
    ]
    moved.close_subscription()
    assert odoo.rules() == []


def test_stdout_lines_carry_every_branch(capsys: pytest.CaptureFixture[str]) -> None:
    StdoutEvents().deliver_events(
        {"created": [{"id": 1}], "updated": [], "deleted": [{"id": 2, "name": "Gone"}]}, threading.Event()
    )
    assert capsys.readouterr().out.splitlines() == [
        '{"branch": "created", "record": {"id": 1}}',
        '{"branch": "deleted", "record": {"id": 2, "name": "Gone"}}',
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:8099", ("127.0.0.1", 8099)), ("8099", ("127.0.0.1", 8099)), ("[::1]:80", ("::1", 80))],
)
def test_listen_takes_host_and_port(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["watch", "pollChangesTrigger", "--input", '{"model": "res.partner"}', "--listen", "8099"],
            "pollChangesTrigger polls; --listen and --public-url are for a trigger Odoo pushes to "
            "(recordWebhookTrigger).",
        ),
        (
            ["watch", "recordWebhookTrigger", "--input", '{"model": "res.partner"}'],
            "recordWebhookTrigger needs --public-url: the address at which Odoo reaches this listener.",
        ),
        (
            ["watch", "recordWebhookTrigger", "--input", '{"model": "res.partner"}', "--public-url", "hooks"],
            "--public-url must be the https:// (or http://) address at which Odoo reaches this listener "
            "(a tunnel or reverse proxy in front of --listen).",
        ),
    ],
)
def test_the_command_line_refuses_what_cannot_listen(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", "fakedb")
    monkeypatch.setenv("ODOO_API_KEY", "fake-api-key-0123456789")
    assert main([*argv, "--quiet"]) == 2
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["error"]
    assert error["message"] == message


def test_the_listening_socket_turns_nagle_off_so_an_answer_never_waits_for_a_delayed_ack() -> None:
    """With Nagle on, every answer waited ~40 ms for the client's delayed ACK, and Odoo waits for
    each post of a transaction in turn (500 creates: 6500 posts)."""
    from odoo_connector.runner.listen import Server

    server = Server(object(), "127.0.0.1", 0)
    try:
        assert server.socket.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY only then
        assert server.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.socket.close()

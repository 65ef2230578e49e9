"""The poll runner: durable SQLite state, sinks, failure handling, stopping, and the CLI commands.

Polls are driven by calling ``Watch.poll_once`` directly (deterministic, no scheduler timing);
one test per entry point runs the real APScheduler loop with a millisecond interval and
``max_polls`` so it ends by itself.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import odoo_connector.client as client_module
from odoo_connector.cli import main
from odoo_connector.client import OdooClient
from odoo_connector.connections import Connection
from odoo_connector.errors import InputError
from odoo_connector.runner.sinks import DeliveryError, StdoutSink, WebhookSink
from odoo_connector.runner.state import StateKey, StateStore, default_state_path
from odoo_connector.runner.watch import Watch, run_watch
from tests.fakes import FakeOdoo, fake_client, fake_connection
from tests.fakes.odoo import API_KEY, PASSWORD

KEY = "pollChangesTrigger"
MODEL = "res.partner"
INPUTS: dict[str, Any] = {"model": MODEL}
HOOK = "https://hooks.example.com/in/secret-token?sig=abc"


class ListSink:
    """Records every delivery; ``fail`` makes the next deliveries raise."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
        self.fail = 0

    def deliver(
        self, created: list[dict[str, Any]], updated: list[dict[str, Any]], stop: threading.Event
    ) -> None:
        if self.fail:
            self.fail -= 1
            raise DeliveryError("the receiver is down")
        self.deliveries.append((created, updated))

    def pairs(self) -> Counter[tuple[int, str]]:
        return Counter(
            (r["id"], branch)
            for created, updated in self.deliveries
            for branch, records in (("created", created), ("updated", updated))
            for r in records
        )

    def describe(self) -> str:
        return "a list"

    def close(self) -> None:
        pass


def expect(created: list[int] = [], updated: list[int] = []) -> Counter[tuple[int, str]]:  # noqa: B006
    return Counter([(i, "created") for i in created] + [(i, "updated") for i in updated])


@pytest.fixture
def odoo() -> FakeOdoo:
    return FakeOdoo()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.sqlite"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """cli.main() points the "odoo_connector" logger at the stderr of its time and stops it
    propagating; put it back so caplog and later tests see records."""
    logger = logging.getLogger("odoo_connector")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:], logger.level, logger.propagate = [], logging.NOTSET, True  # whatever ran before
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def make_watch(
    odoo: FakeOdoo,
    db: Path,
    sink: Any,
    *,
    transport: str = "json2",
    inputs: dict[str, Any] | None = None,
    connection: Connection | None = None,
) -> Watch:
    conn = connection or fake_connection(transport)
    return Watch(
        KEY,
        conn,
        {"model": MODEL, "lookbackSeconds": 300, **(inputs or {})},
        client=fake_client(odoo, conn),
        store=StateStore(db),
        sink=sink,
        interval=60,
    )


# --- state across restarts ----------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
def test_a_restart_between_polls_repeats_nothing_and_loses_nothing(
    odoo: FakeOdoo, db: Path, transport: str
) -> None:
    before = odoo.create(MODEL, name="before")
    sink = ListSink()
    first = make_watch(odoo, db, sink, transport=transport)
    first.poll_once()  # baseline
    odoo.advance(1)
    a = odoo.create(MODEL, name="a")
    first.poll_once()
    first.client.close()

    odoo.advance(1)
    b = odoo.create(MODEL, name="b")
    odoo.write(MODEL, before, name="before, edited")
    slow = odoo.begin()  # a late commit that straddles the restart
    late = slow.create(MODEL, name="late")
    odoo.advance(2)
    second = make_watch(odoo, db, sink, transport=transport)  # a new process: a new store and client
    second.poll_once()
    slow.commit()
    second.poll_once()
    second.poll_once()
    assert sink.pairs() == expect(created=[a, b, late], updated=[before])


def test_states_are_keyed_by_trigger_connection_and_inputs(db: Path) -> None:
    store = StateStore(db)
    json2, xmlrpc = fake_connection("json2"), fake_connection("jsonrpc")
    partners = StateKey.build(KEY, json2, {"model": MODEL}, 5)
    store.save(partners, {"cursor": "2026-01-01 00:00:00"})
    assert store.load(partners) == {"cursor": "2026-01-01 00:00:00"}
    assert store.load(StateKey.build(KEY, json2, {"model": "crm.lead"}, 5)) is None
    assert store.load(StateKey.build(KEY, json2, {"model": MODEL}, 6)) is None  # another Odoo user
    assert StateKey.build(KEY, json2, {"model": MODEL, "pageSize": 9}, 5) != partners
    # how records are shown is not what the cursor covered: a new format keeps the state
    assert StateKey.build(KEY, json2, {"model": MODEL, "format": "friendly"}, 5) == partners
    # Same URL and database: the credentials are not part of the key, a rotated key keeps the cursor.
    assert StateKey.build(KEY, xmlrpc, {"model": MODEL}, 5) == partners
    assert StateKey.build(KEY, json2, {"pageSize": 9, "model": MODEL}, 5) == StateKey.build(
        KEY, json2, {"model": MODEL, "pageSize": 9}, 5
    )
    assert StateStore(db).load(partners) == {"cursor": "2026-01-01 00:00:00"}  # another process


def test_the_watch_hashes_inputs_with_defaults_filled_in(odoo: FakeOdoo, db: Path, tmp_path: Path) -> None:
    sink = ListSink()
    spelled_out = {"model": MODEL, "lookbackSeconds": 300, "pageSize": "500"}  # a platform form's text
    for inputs in ({"model": MODEL}, spelled_out):
        run_watch(
            KEY,
            fake_connection("json2"),
            inputs,
            interval=0.001,
            state_path=db,
            webhook=None,
            max_polls=1,
            client_factory=lambda c: fake_client(odoo, c),
            sink=sink,
        )
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM trigger_state").fetchone() == (1,)


def test_a_failed_save_leaves_the_previous_state_whole(db: Path) -> None:
    store = StateStore(db)
    key = StateKey.build(KEY, fake_connection("json2"), INPUTS, 5)
    store.save(key, {"cursor": "old"})
    with sqlite3.connect(db) as conn:  # the disk fills up mid-statement
        conn.execute(
            "CREATE TRIGGER full BEFORE UPDATE ON trigger_state BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        store.save(key, {"cursor": "new"})
    assert store.load(key) == {"cursor": "old"}


def test_a_crash_between_delivery_and_commit_redelivers_rather_than_loses(odoo: FakeOdoo, db: Path) -> None:
    sink = ListSink()
    watch = make_watch(odoo, db, sink)
    watch.poll_once()
    odoo.advance(1)
    a = odoo.create(MODEL, name="a")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER crash BEFORE UPDATE ON trigger_state BEGIN SELECT RAISE(ABORT, 'crash'); END"
        )
    assert watch.poll_once() is None  # delivered, then the save failed
    assert sink.pairs() == expect(created=[a])
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER crash")
    restarted = make_watch(odoo, db, sink)
    restarted.poll_once()
    restarted.poll_once()
    assert sink.pairs() == expect(created=[a, a])  # at least once: twice, never zero


def test_an_unusable_state_file_is_an_input_error(odoo: FakeOdoo, tmp_path: Path) -> None:
    not_a_database = tmp_path / "state.sqlite"
    not_a_database.write_text("this is not SQLite" * 100)
    with pytest.raises(InputError, match="is not a usable SQLite database") as err:
        run_watch(
            KEY,
            fake_connection("json2"),
            INPUTS,
            interval=1,
            state_path=not_a_database,
            webhook=None,
            max_polls=1,
            client_factory=lambda c: fake_client(odoo, c),
        )
    assert odoo.request_count == 0
    assert "Move the file away" in err.value.hint  # says how to get going again


def test_default_state_path_is_per_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        default_state_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "odoo-connector" / "state.sqlite"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".local" / "share" / "odoo-connector" / "state.sqlite"
    assert default_state_path({}) == expected
    assert default_state_path({"XDG_DATA_HOME": "relative/dir"}) == expected  # invalid per the spec


# --- sinks --------------------------------------------------------------------------------------


class FlushCountingStream(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_stdout_sink_writes_one_json_line_per_record_and_flushes_each_poll(odoo: FakeOdoo, db: Path) -> None:
    stream = FlushCountingStream()
    old = odoo.create(MODEL, name="old")
    watch = make_watch(odoo, db, StdoutSink(stream))
    watch.poll_once()
    odoo.advance(1)
    new = odoo.create(MODEL, name="Zoë")
    odoo.write(MODEL, old, name="old, edited")
    watch.poll_once()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["branch"], line["record"]["id"]) for line in lines] == [("created", new), ("updated", old)]
    assert lines[0]["record"]["name"] == "Zoë"
    assert "Zoë" in stream.getvalue()  # not \\u-escaped
    assert stream.flushes == 2


def test_a_closed_stdout_is_a_failed_delivery(odoo: FakeOdoo, db: Path) -> None:
    stream = io.StringIO()
    stream.close()
    with pytest.raises(DeliveryError):
        StdoutSink(stream).deliver([{"id": 1}], [], threading.Event())


class Receiver:
    """A webhook receiver behind httpx.MockTransport, answering the statuses it is given."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.bodies.append(json.loads(request.content))
        return httpx.Response(status)

    def sink(self, **options: Any) -> WebhookSink:
        self.delays: list[float] = []
        return WebhookSink(HOOK, transport=httpx.MockTransport(self), sleep=self.delays.append, **options)


def test_a_webhook_that_fails_twice_then_succeeds(odoo: FakeOdoo, db: Path) -> None:
    receiver = Receiver(503, 502, 200)
    watch = make_watch(odoo, db, receiver.sink())
    watch.poll_once()
    baseline = watch.store.load(watch.state_key)
    odoo.advance(1)
    a = odoo.create(MODEL, name="a")
    report = watch.poll_once()
    assert report is not None and report.created == 1
    assert [[r["id"] for r in body["created"]] for body in receiver.bodies] == [[a]]
    assert receiver.bodies[0]["updated"] == []
    assert receiver.delays == [1.0, 2.0]  # exponential backoff
    assert watch.store.load(watch.state_key) != baseline
    watch.poll_once()
    assert len(receiver.bodies) == 1  # nothing new: no POST


def test_while_the_webhook_fails_the_state_stays_and_the_next_poll_redelivers(
    odoo: FakeOdoo, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver(*[500] * 6)
    watch = make_watch(odoo, db, receiver.sink(attempts=3))
    watch.poll_once()
    baseline = watch.store.load(watch.state_key)
    odoo.advance(1)
    a = odoo.create(MODEL, name="a")
    caplog.set_level(logging.INFO, logger="odoo_connector.runner")
    assert watch.poll_once() is None
    assert watch.poll_once() is None  # 3 attempts per poll, so 6 failures make two failed polls
    assert watch.store.load(watch.state_key) == baseline
    odoo.advance(1)
    b = odoo.create(MODEL, name="b")
    assert watch.poll_once() is not None
    assert [sorted(r["id"] for r in body["created"]) for body in receiver.bodies] == [[a, b]]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "hooks.example.com" in warnings[0].getMessage()
    assert "secret-token" not in caplog.text and "sig=abc" not in caplog.text
    assert sum("works again" in r.getMessage() for r in caplog.records) == 1


def test_a_webhook_that_refuses_the_records_is_not_hammered(odoo: FakeOdoo, db: Path) -> None:
    receiver = Receiver(400, 400)
    sink = receiver.sink()
    with pytest.raises(DeliveryError, match="HTTP 400"):
        sink.deliver([{"id": 1}], [], threading.Event())
    assert receiver.delays == [] and receiver.statuses == [400]


def test_a_webhook_gives_up_after_a_bounded_number_of_attempts() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    delays: list[float] = []
    sink = WebhookSink(HOOK, transport=httpx.MockTransport(down), sleep=delays.append, attempts=4)
    with pytest.raises(DeliveryError, match="4 times"):
        sink.deliver([{"id": 1}], [], threading.Event())
    assert delays == [1.0, 2.0, 4.0]


def test_a_stop_during_webhook_backoff_gives_up_at_once() -> None:
    stop = threading.Event()
    stop.set()
    sink = WebhookSink(HOOK, transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(DeliveryError, match="Stopped"):
        sink.deliver([{"id": 1}], [], stop)  # stop.wait() returns at once: no real sleep


def test_a_webhook_url_must_be_http() -> None:
    with pytest.raises(Exception, match="webhook"):
        WebhookSink("ftp://example.com/x")


# --- Odoo failures, logging ---------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
def test_an_odoo_error_is_logged_once_the_state_kept_and_the_recovery_logged_once(
    odoo: FakeOdoo, db: Path, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    sink = ListSink()
    watch = make_watch(odoo, db, sink, transport=transport, inputs={"pageSize": 2})
    watch.poll_once()
    baseline = watch.store.load(watch.state_key)
    odoo.advance(1)
    ids = [odoo.create(MODEL, name=f"r{i}") for i in range(5)]
    caplog.set_level(logging.DEBUG, logger="odoo_connector")
    odoo.fail_on("search_read", nth=2, times=3)  # page 2, then page 1 of the next two polls
    for _ in range(3):
        assert watch.poll_once() is None
    assert watch.store.load(watch.state_key) == baseline
    assert sink.pairs() == Counter()
    report = watch.poll_once()
    assert report is not None and report.created == 5
    assert sink.pairs() == expect(created=ids)

    runner = [r for r in caplog.records if r.name == "odoo_connector.runner"]
    failures = [r for r in runner if r.levelno >= logging.WARNING]
    assert len(failures) == 1
    assert "ServerError" in failures[0].getMessage() and failures[0].exc_info is None
    assert sum("works again after 3 failed" in r.getMessage() for r in runner) == 1
    assert API_KEY not in caplog.text and PASSWORD not in caplog.text


def test_each_poll_logs_one_line_with_counts_and_requests(
    odoo: FakeOdoo, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watch = make_watch(odoo, db, ListSink())
    watch.poll_once()
    odoo.advance(1)
    odoo.create(MODEL, name="a")
    caplog.set_level(logging.INFO, logger="odoo_connector.runner")
    caplog.clear()
    watch.poll_once()
    watch.poll_once()
    lines = [r.getMessage() for r in caplog.records if r.name == "odoo_connector.runner"]
    assert len(lines) == 2
    assert lines[0].startswith(f"{KEY} {MODEL}: 1 created, 0 updated (3 requests")  # page, fields, read
    assert lines[1].startswith(f"{KEY} {MODEL}: 0 created, 0 updated (1 request,")


def test_a_bug_in_a_poll_is_logged_with_its_traceback_once_and_the_schedule_survives(
    odoo: FakeOdoo, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(ListSink):
        def deliver(self, created: Any, updated: Any, stop: threading.Event) -> None:
            raise RuntimeError("boom")

    watch = make_watch(odoo, db, Broken())
    caplog.set_level(logging.INFO, logger="odoo_connector.runner")
    assert watch.poll_once() is None
    assert watch.poll_once() is None
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1 and failures[0].exc_info is not None


# --- stopping -----------------------------------------------------------------------------------


def test_a_stop_during_a_poll_abandons_it_without_delivering_or_saving(odoo: FakeOdoo, db: Path) -> None:
    sink = ListSink()
    watch = make_watch(odoo, db, sink)
    watch.poll_once()
    baseline = watch.store.load(watch.state_key)
    odoo.advance(1)
    odoo.create(MODEL, name="a")
    odoo.on_call("search_read", watch.stop)  # SIGTERM arrives while Odoo is answering
    assert watch.poll_once() is None
    assert sink.pairs() == Counter()
    assert watch.store.load(watch.state_key) == baseline
    before = odoo.request_count
    assert watch.poll_once() is None  # a stopped watch polls no more
    assert odoo.request_count == before


def test_the_signal_handler_asks_for_a_stop_and_a_second_signal_interrupts(odoo: FakeOdoo, db: Path) -> None:
    watch = make_watch(odoo, db, ListSink())
    watch.handle_signal(signal.SIGTERM, None)
    assert watch.stopping
    with pytest.raises(KeyboardInterrupt):
        watch.handle_signal(signal.SIGINT, None)


def test_run_finishes_the_poll_in_flight_saves_it_and_exits_zero_on_sigterm(odoo: FakeOdoo, db: Path) -> None:
    odoo.create(MODEL, name="existing")
    watch = make_watch(odoo, db, ListSink(), inputs={"emitExisting": True})

    class StopWhileDelivering(ListSink):
        def deliver(self, created: Any, updated: Any, stop: threading.Event) -> None:
            super().deliver(created, updated, stop)
            watch.handle_signal(signal.SIGTERM, None)  # what the real handler is wired to

    watch.sink = sink = StopWhileDelivering()
    watch.interval = 0.001
    assert watch.run() == 0
    assert sink.pairs() == expect(created=[1])
    assert watch.polls == 1
    assert watch.store.load(watch.state_key) is not None  # the delivered poll was saved


def test_run_watch_polls_on_schedule_restores_signals_and_closes_the_client(odoo: FakeOdoo, db: Path) -> None:
    ids = [odoo.create(MODEL, name=n) for n in ("a", "b")]
    clients: list[OdooClient] = []

    def factory(conn: Connection) -> OdooClient:
        clients.append(fake_client(odoo, conn))
        return clients[-1]

    def third_search_read() -> None:
        odoo.advance(1)
        ids.append(odoo.create(MODEL, name="c"))

    odoo.on_call("search_read", third_search_read, nth=3)
    handler_before = signal.getsignal(signal.SIGTERM)
    stream = io.StringIO()
    code = run_watch(
        KEY,
        fake_connection("json2"),
        {"model": MODEL, "emitExisting": True},
        interval=0.002,
        state_path=db,
        webhook=None,
        max_polls=3,
        client_factory=factory,
        sink=StdoutSink(stream),
    )
    assert code == 0
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert Counter((x["record"]["id"], x["branch"]) for x in lines) == expect(created=ids)
    assert signal.getsignal(signal.SIGTERM) is handler_before
    assert len(clients) == 1 and clients[0].session.client.is_closed


def test_run_watch_refuses_what_is_not_a_trigger_before_polling(odoo: FakeOdoo, db: Path) -> None:
    with pytest.raises(Exception, match="not a trigger"):
        run_watch(
            KEY.replace("pollChangesTrigger", "listRecords"),
            fake_connection("json2"),
            INPUTS,
            interval=1,
            state_path=db,
            webhook=None,
            max_polls=1,
        )
    assert odoo.request_count == 0


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(odoo: FakeOdoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A --connection file for http://fake.test, and make_client wired to the fake."""
    path = tmp_path / "connection.json"
    path.write_text(
        json.dumps(
            {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": "fakedb", "apiKey": API_KEY}
        )
    )
    monkeypatch.setattr(client_module, "make_client", lambda conn, **kw: fake_client(odoo, conn))
    return path


def test_cli_poll_with_a_state_file(
    odoo: FakeOdoo, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "poll-state.json"
    argv = ["poll", KEY, "--connection", str(cli_env), "--input", json.dumps(INPUTS), "--state", str(state)]
    odoo.create(MODEL, name="before")
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    # the documented output shape, state included; the same state is in the file
    assert first == {
        "data": {"created": [], "updated": []},
        "polledNoChanges": True,
        "state": json.loads(state.read_text()),
    }
    assert first["state"]["cursor"] == "2026-01-01 12:00:00"
    odoo.advance(1)
    a = odoo.create(MODEL, name="a")
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in second["data"]["created"]] == [a]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["polledNoChanges"] is True


def test_cli_poll_keeps_the_state_file_when_odoo_fails(
    odoo: FakeOdoo, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "poll-state.json"
    argv = ["poll", KEY, "--connection", str(cli_env), "--input", json.dumps(INPUTS), "--state", str(state)]
    assert main(argv) == 0
    saved = state.read_text()
    odoo.advance(1)
    a = odoo.create(MODEL, name="a")
    odoo.fail_on("search_read")
    assert main(argv) == 5
    assert state.read_text() == saved
    capsys.readouterr()
    assert main(argv) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["data"]["created"]] == [a]


def test_cli_watch_prints_json_lines_and_exits_zero(
    odoo: FakeOdoo, cli_env: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [odoo.create(MODEL, name=n) for n in ("a", "b")]
    inputs = json.dumps({"model": MODEL, "emitExisting": True})
    argv = [
        "watch",
        KEY,
        "--connection",
        str(cli_env),
        "--input",
        inputs,
        "--interval",
        "0.002",
        "--state",
        str(db),
        "--max-polls",
        "2",
    ]
    assert main(argv) == 0
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.out.splitlines()]
    assert Counter((x["record"]["id"], x["branch"]) for x in lines) == expect(created=ids)
    assert "2 created, 0 updated" in out.err
    assert API_KEY not in out.err
    assert main(argv) == 0  # a restart from the SQLite state: nothing again
    assert capsys.readouterr().out == ""


def test_cli_watch_with_bad_inputs_exits_2_without_a_request(odoo: FakeOdoo, cli_env: Path, db: Path) -> None:
    argv = [
        "watch",
        KEY,
        "--connection",
        str(cli_env),
        "--input",
        '{"model": "res.partner", "pageSize": 0}',
        "--state",
        str(db),
        "--max-polls",
        "1",
    ]
    assert main(argv) == 2
    assert odoo.request_count == 0

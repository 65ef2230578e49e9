"""``odoo-connector runner`` in one process: the config's checks, and many triggers against the
fake Odoo served on loopback (real sockets, the real client): every change once, reload keeping
state, a slow Odoo not starving a fast one, and the CLI with SIGHUP and SIGTERM."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from odoo_connector.cli import main
from odoo_connector.errors import InputError, redact
from odoo_connector.runner.config import ConfigError, load_config, parse_config
from odoo_connector.runner.embedded import PollEvent, Runner, lock_state_file
from odoo_connector.runner.state import SharedStateStore
from tests.fakes import FakeOdoo
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import Request, serve, serve_transport

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"res.partner": {"email": "char", "tag": "char"}}


def trigger(i: int, connection: str = "main", interval: float = 0.05, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"t{i}",
        "trigger": "pollChangesTrigger",
        "connection": connection,
        "inputs": {"model": "res.partner", "domain": [["tag", "=", f"t{i}"]], "emitExisting": True},
        "interval": interval,
        **extra,
    }


def config_data(urls: dict[str, str], triggers: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    return {
        "settings": {"concurrency": 8, "perConnection": 4, **settings},
        "connections": {
            name: {"url": url, "database": DATABASE, "kind": "apiKey", "apiKey": {"env": "TEST_ODOO_KEY"}}
            for name, url in urls.items()
        },
        "triggers": triggers,
    }


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ODOO_KEY", API_KEY)


def wait_for(check: Callable[[], bool], timeout: float = 15.0, what: str = "the condition") -> None:
    until = time.monotonic() + timeout
    while not check():
        if time.monotonic() > until:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Lines(io.StringIO):
    """stdout for the runner: the JSON lines written so far, as (trigger, record id, branch)."""

    def seen(self) -> Counter[tuple[str, int, str]]:
        rows = [json.loads(line) for line in self.getvalue().splitlines()]
        return Counter((r["trigger"], r["record"]["id"], r["branch"]) for r in rows)


@contextmanager
def running(runner: Runner) -> Iterator[Runner]:
    thread = threading.Thread(target=runner.run, kwargs={"check_every": 0.05}, daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        runner.stop()
        thread.join(10)
        assert not thread.is_alive(), "the runner did not stop"


# --- the config ---------------------------------------------------------------------------------


def refused(data: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value


def test_a_secret_written_in_the_config_is_refused_and_not_repeated() -> None:
    data = config_data({"main": "http://127.0.0.1:1"}, [trigger(1)])
    data["connections"]["main"]["apiKey"] = "a-literal-key-in-the-file"
    error = refused(data)
    assert error.path == "connections.main.apiKey"
    assert "{env: NAME} or {file: PATH}" in error.message
    assert "a-literal-key-in-the-file" not in str(error)


def test_a_secret_reference_that_does_not_resolve_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_ODOO_KEY")
    error = refused(config_data({"main": "http://127.0.0.1:1"}, [trigger(1)]))
    assert error.path == "connections.main.apiKey"
    assert "TEST_ODOO_KEY is not set" in error.message


def test_a_connection_takes_timeout_and_retry_for(tmp_path: Path) -> None:
    """The runner's connections take the same retry budget as the CLI's (retryFor)."""
    data = config_data({"main": "http://127.0.0.1:1"}, [trigger(1)])
    data["connections"]["main"].update(timeout=30, retryFor=5)
    (tmp_path / "runner.yaml").write_text(yaml.safe_dump(data))
    connection = load_config(tmp_path / "runner.yaml").connections["main"]
    assert (connection.timeout, connection.retry_for) == (30, 5)


def test_a_secret_in_a_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text(API_KEY + "\n")
    data = config_data({"main": "http://127.0.0.1:1"}, [trigger(1)])
    data["connections"]["main"]["apiKey"] = {"file": "key.txt"}
    (tmp_path / "runner.yaml").write_text(yaml.safe_dump(data))
    config = load_config(tmp_path / "runner.yaml")
    assert config.connections["main"].secrets() == (API_KEY,)


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    """``validate-config``: its exit status, stdout, and stderr's JSON lines."""
    status = main(["validate-config", "--config", str(path)])
    out, err = capsys.readouterr()
    return status, out, err.splitlines()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_secret_file_gives_its_first_line_and_one_others_may_read_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key.txt"
    key.write_text(f"{API_KEY}\n# rotated 2026-01 by ops; the old key is revoked\n")
    data = config_data({"main": "http://127.0.0.1:1"}, [trigger(1)])
    data["connections"]["main"]["apiKey"] = {"file": "key.txt"}
    path = tmp_path / "runner.yaml"
    path.write_text(yaml.safe_dump(data))

    key.chmod(0o600)
    status, _, lines = _validate(path, capsys)
    assert (status, lines) == (0, [])  # the first line is the key; a private file is not remarked
    assert load_config(path).connections["main"].secrets() == (API_KEY,)

    key.chmod(0o644)
    status, _, lines = _validate(path, capsys)
    assert status == 0 and len(lines) == 1, lines  # one warning line
    warning = json.loads(lines[0])
    assert warning["level"] == "WARNING"
    assert str(key) in warning["message"] and "connections.main.apiKey" in warning["message"]
    assert "0o644" in warning["message"] and f"chmod 600 {key}" in warning["message"]
    assert API_KEY not in lines[0]


def test_a_secret_file_whose_first_line_is_empty_says_so(tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text(f"\n{API_KEY}\n")
    data = config_data({"main": "http://127.0.0.1:1"}, [trigger(1)])
    data["connections"]["main"]["apiKey"] = {"file": str(tmp_path / "key.txt")}
    error = refused(data)
    assert error.path == "connections.main.apiKey"
    assert "first line" in error.message and "is empty" in error.message


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/x?token=abc-token-123",
        "https://bot:hook-pass-123@hooks.example.com/x",
        "https://hooks.zapier.example/hooks/catch/123/abc-token-123/",
    ],
    ids=["query", "user-info", "path"],
)
def test_a_webhook_url_written_in_the_config_is_refused_with_how_to_reference_it(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A literal sink URL is refused, whatever part of it holds the receiver's secret: the
    receivers this connector feeds put it in the path as often as in the query."""
    data = config_data({"main": "http://127.0.0.1:1"}, [trigger(1, sink={"webhook": url})])
    path = tmp_path / "runner.yaml"
    path.write_text(yaml.safe_dump(data))
    status, out, lines = _validate(path, capsys)
    error = json.loads(lines[-1])["error"]
    assert status == 2 and out == ""
    assert error["type"] == "ConfigError" and error["path"] == "triggers[0].sink.webhook"
    assert "{env: NAME} or {file: PATH}" in error["message"]
    assert "abc-token-123" not in "\n".join(lines) and "hook-pass-123" not in "\n".join(lines)


def test_the_postgres_dsn_is_a_reference_and_its_password_is_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = config_data(
        {"main": "http://127.0.0.1:1"}, [trigger(1)], state={"postgres": "postgresql://u:pw@h/db"}
    )
    assert refused(data).path == "settings.state.postgres"
    dsn = "postgresql://runner:Dsn-Pass%2Fword-0123456@db.example.com/runner"
    monkeypatch.setenv("TEST_DSN", dsn)
    data["settings"]["state"] = {"postgres": {"env": "TEST_DSN"}}
    config = parse_config(data)
    assert config.postgres_dsn == dsn
    said = redact("connection failed for Dsn-Pass/word-0123456 and Dsn-Pass%2Fword-0123456")
    assert "Dsn-Pass" not in said
    # a short password is no search term (it may be a word), but a DSN in a line loses it by shape
    assert (
        redact("cannot reach postgresql://runner:pw@db/x")
        == "cannot reach postgresql://runner:<redacted>@db/x"
    )


def test_an_unknown_trigger_key_lists_the_polling_triggers() -> None:
    error = refused(
        config_data({"main": "http://127.0.0.1:1"}, [trigger(1), trigger(2, trigger="pollChange")])
    )
    assert error.path == "triggers[1].trigger"
    assert "'pollChange'" in error.message and "pollChangesTrigger" in error.hint


def test_bad_inputs_are_refused_with_the_path_inside_the_trigger() -> None:
    bad = trigger(1)
    bad["inputs"]["pageSize"] = 0
    error = refused(config_data({"main": "http://127.0.0.1:1"}, [trigger(0), bad]))
    assert error.path == "triggers[1].inputs.pageSize"


def test_an_unknown_connection_name_lists_the_known_ones() -> None:
    error = refused(config_data({"main": "http://127.0.0.1:1"}, [trigger(1, connection="other")]))
    assert error.path == "triggers[0].connection"
    assert "'other'" in error.message and "main" in error.message


def test_a_misspelt_setting_and_a_duplicate_id_are_refused() -> None:
    assert refused(config_data({"main": "http://x.test"}, [trigger(1)], perConection=2)).path == (
        "settings.perConection"
    )
    assert refused(config_data({"main": "http://x.test"}, [trigger(1), trigger(1)])).path == "triggers[1].id"
    assert (
        refused(config_data({"main": "http://x.test"}, [trigger(1, interval=0)])).path
        == "triggers[0].interval"
    )


def test_validate_config_checks_without_contacting_odoo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runner.yaml"
    path.write_text(yaml.safe_dump(config_data({"main": "http://127.0.0.1:1"}, [trigger(1), trigger(2)])))
    assert main(["validate-config", "--config", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "ok": True,
        "connections": 1,
        "triggers": 2,
        "state": "sqlite",
    }
    bad = config_data({"main": "http://127.0.0.1:1"}, [trigger(1, connection="nope")])
    path.write_text(yaml.safe_dump(bad))
    assert main(["validate-config", "--config", str(path)]) == 2
    error = json.loads(capsys.readouterr().err.splitlines()[-1])["error"]
    assert error["type"] == "ConfigError" and error["path"] == "triggers[0].connection"


# --- one process, many triggers -----------------------------------------------------------------


def make_runner(
    data: dict[str, Any],
    tmp_path: Path,
    *,
    out: io.StringIO | None = None,
    events: list[PollEvent] | None = None,
) -> Runner:
    path = tmp_path / "runner.yaml"
    path.write_text(yaml.safe_dump(data))
    return Runner(
        load_config(path),
        store=SharedStateStore(tmp_path / "state.sqlite"),
        stdout=out,
        on_poll=events.append if events is not None else None,
    )


def test_many_triggers_emit_every_change_once(tmp_path: Path) -> None:
    odoo = FakeOdoo(models=MODELS)
    expected: Counter[tuple[str, int, str]] = Counter()
    for i in range(40):
        expected[(f"t{i}", odoo.create("res.partner", name=f"old {i}", tag=f"t{i}"), "created")] += 1
    out = Lines()
    with serve_transport(odoo) as url:
        runner = make_runner(config_data({"main": url}, [trigger(i) for i in range(40)]), tmp_path, out=out)
        with running(runner):
            for step in range(5):
                wait_for(lambda: out.seen() == expected, what=f"step {step}'s records")
                odoo.advance(1)
                for i in range(0, 40, 3):
                    expected[
                        (f"t{i}", odoo.create("res.partner", name=f"new {i}", tag=f"t{i}"), "created")
                    ] += 1
                for i in range(1, 40, 7):
                    ids = [r for r, row in odoo.tables["res.partner"].items() if row.get("tag") == f"t{i}"]
                    odoo.write("res.partner", ids[0], email=f"{step}@example.com")
                    expected[(f"t{i}", ids[0], "updated")] += 1
            wait_for(lambda: out.seen() == expected, what="the last records")
            time.sleep(0.3)  # more polls: nothing again
    assert out.seen() == expected


def test_reload_adds_and_removes_triggers_and_keeps_the_state_of_the_others(tmp_path: Path) -> None:
    odoo = FakeOdoo(models=MODELS)
    old = {i: odoo.create("res.partner", name=f"r{i}", tag=f"t{i}") for i in range(3)}
    out = Lines()
    events: list[PollEvent] = []
    with serve_transport(odoo) as url:
        data = config_data({"main": url}, [trigger(0), trigger(1)])
        runner = make_runner(data, tmp_path, out=out, events=events)
        with running(runner):
            wait_for(
                lambda: out.seen() == Counter({("t0", old[0], "created"): 1, ("t1", old[1], "created"): 1})
            )
            path = tmp_path / "runner.yaml"
            mtime = path.stat().st_mtime
            path.write_text(yaml.safe_dump(config_data({"main": url}, [trigger(1), trigger(2)])))
            os.utime(path, (mtime + 5, mtime + 5))  # a change the mtime check cannot miss
            wait_for(lambda: ("t2", old[2], "created") in out.seen(), what="the added trigger")
            removed_at = time.monotonic()
            time.sleep(0.3)
            # emitExisting: a trigger that lost its state would emit its record again
            assert out.seen() == Counter(
                {("t0", old[0], "created"): 1, ("t1", old[1], "created"): 1, ("t2", old[2], "created"): 1}
            )
            assert not [e for e in events if e.trigger == "t0" and e.started > removed_at]
            # SIGHUP without a file change: back to t0, which resumes from its saved state
            path.write_text(yaml.safe_dump(config_data({"main": url}, [trigger(0), trigger(1), trigger(2)])))
            os.utime(path, (mtime + 5, mtime + 5))
            runner.handle_signal(signal.SIGHUP, None)
            wait_for(
                lambda: any(e.trigger == "t0" and e.started > removed_at for e in events), what="t0 again"
            )
            odoo.advance(1)
            new = odoo.create("res.partner", name="n", tag="t0")
            wait_for(lambda: ("t0", new, "created") in out.seen(), what="t0's new record")
    assert out.seen()[("t0", old[0], "created")] == 1


def test_a_trigger_changed_by_a_reload_waits_for_its_old_poll(tmp_path: Path) -> None:
    """Its old poll (slow Odoo) is still running when the reload replaces it: the new trigger's
    first poll starts only once the old one finished, never beside it (two polls of one trigger
    would read the same state and deliver the same records twice)."""
    odoo = FakeOdoo(models=MODELS)
    events: list[PollEvent] = []
    with serve_transport(odoo, delay=0.3) as url:
        runner = make_runner(config_data({"main": url}, [trigger(0, interval=0.05)]), tmp_path, events=events)
        with running(runner):
            wait_for(lambda: bool(events), what="a first poll")
            for step in range(6):  # each reload lands while a poll of t0 is in flight
                wait_for(
                    lambda: any(slot.running for slot in runner.scheduler.slots.values()),
                    what="a poll in flight",
                )
                changed = trigger(0, interval=0.05)
                changed["inputs"]["pageSize"] = 100 + step  # another fingerprint: a replacement
                runner.apply(load_config_data(tmp_path, config_data({"main": url}, [changed])))
            wait_for(lambda: len(events) >= 8, what="polls after the reloads")
    assert max_overlap(events) == 1, [(e.started, e.finished) for e in events]


def load_config_data(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "runner-next.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_config(path)


def test_a_bad_config_on_reload_keeps_the_running_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odoo = FakeOdoo(models=MODELS)
    a = odoo.create("res.partner", name="a", tag="t0")
    out = Lines()
    with serve_transport(odoo) as url:
        runner = make_runner(config_data({"main": url}, [trigger(0)]), tmp_path, out=out)
        with running(runner):
            wait_for(lambda: ("t0", a, "created") in out.seen())
            (tmp_path / "runner.yaml").write_text("triggers: [}")
            runner.request_reload()
            wait_for(lambda: "the running one is kept" in caplog.text, what="the warning")
            odoo.advance(1)
            b = odoo.create("res.partner", name="b", tag="t0")
            wait_for(lambda: ("t0", b, "created") in out.seen(), what="polls to go on")


def test_a_slow_odoo_does_not_starve_a_fast_one(tmp_path: Path) -> None:
    slow, fast = FakeOdoo(models=MODELS), FakeOdoo(models=MODELS)
    events: list[PollEvent] = []
    with serve_transport(slow, delay=0.4) as slow_url, serve_transport(fast) as fast_url:
        triggers = [trigger(i, "slow", interval=0.1) for i in range(8)]
        triggers += [trigger(i + 100, "fast", interval=0.5) for i in range(8)]
        data = config_data({"slow": slow_url, "fast": fast_url}, triggers, concurrency=4, perConnection=2)
        runner = make_runner(data, tmp_path, out=Lines(), events=events)
        with running(runner):
            time.sleep(3.0)
    fast_polls = [e for e in events if int(e.trigger[1:]) >= 100 and e.started > events[0].started + 0.5]
    slow_polls = [e for e in events if int(e.trigger[1:]) < 100]
    assert slow_polls, "the slow Odoo was polled"
    # the slow server holds at most 2 of the 4 threads: the fast triggers keep their interval
    assert len(fast_polls) >= 8 * 4
    lags = sorted(e.started - e.due for e in fast_polls)
    assert lags[int(len(lags) * 0.95)] < 0.15, lags[-10:]
    # and never more than perConnection polls of one Odoo at once
    assert max_overlap([e for e in events if int(e.trigger[1:]) < 100]) <= 2


def test_a_429_with_a_long_retry_after_pauses_that_connection_only(tmp_path: Path) -> None:
    fast = FakeOdoo(models=MODELS)
    events: list[PollEvent] = []

    def too_many(request: Request) -> tuple[int, dict[str, str], bytes]:
        return 429, {"Retry-After": "120", "Content-Type": "text/plain"}, b"slow down"

    with serve(too_many) as (limited_url, limited_seen), serve_transport(fast) as fast_url:
        triggers = [trigger(i, "limited", interval=0.05) for i in range(3)]
        triggers += [trigger(i + 100, "fast", interval=0.05) for i in range(3)]
        runner = make_runner(
            config_data({"limited": limited_url, "fast": fast_url}, triggers), tmp_path, events=events
        )
        with running(runner):
            time.sleep(1.5)
        # the client does not wait two minutes inside a poll: it fails, and the runner holds
        # the connection's triggers for the 120 s Odoo asked for (at most the first polls ran)
        assert len(limited_seen) <= 3
        assert len([e for e in events if e.trigger in ("t100", "t101", "t102")]) >= 30


def max_overlap(events: list[PollEvent]) -> int:
    edges = sorted([(e.started, 1) for e in events] + [(e.finished, -1) for e in events])
    depth = top = 0
    for _, step in edges:
        depth += step
        top = max(top, depth)
    return top


def test_one_runner_per_sqlite_file(tmp_path: Path) -> None:
    with (
        lock_state_file(tmp_path / "s.sqlite"),
        pytest.raises(InputError, match="Another runner"),
        lock_state_file(tmp_path / "s.sqlite"),
    ):
        pass


def test_cli_runner_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path) -> None:
    odoo = FakeOdoo(models=MODELS)
    a = odoo.create("res.partner", name="a", tag="t0")
    b = odoo.create("res.partner", name="b", tag="t1")
    with serve_transport(odoo) as url:
        path = tmp_path / "runner.yaml"
        data = config_data({"main": url}, [trigger(0, interval=0.1)], state={"sqlite": "state.sqlite"})
        path.write_text(yaml.safe_dump(data))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TEST_ODOO_KEY": API_KEY}
        proc = subprocess.Popen(
            [sys.executable, "-m", "odoo_connector.cli", "runner", "--config", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            first = json.loads(proc.stdout.readline())
            assert (first["trigger"], first["record"]["id"]) == ("t0", a)
            mtime = path.stat().st_mtime
            data["triggers"].append(trigger(1, interval=0.1))
            path.write_text(yaml.safe_dump(data))
            os.utime(path, (mtime, mtime))  # only the signal can tell
            proc.send_signal(signal.SIGHUP)
            second = json.loads(proc.stdout.readline())
            assert (second["trigger"], second["record"]["id"]) == ("t1", b)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.stderr is not None
        err = proc.stderr.read()
        assert API_KEY not in err and "runner: 2 trigger(s) (1 new)" in err

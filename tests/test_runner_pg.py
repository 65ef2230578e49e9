"""Scale-out: three ``odoo-connector runner`` processes share 300 triggers over a real PostgreSQL
(tests/postgres.py), against the fake Odoo on loopback, delivering to a collecting webhook.

A compressed stream of changes runs on the fake (its clock jumps 10 s every 0.2 s). Proven:
every change is delivered exactly once, no two requests of one trigger ever overlap at the fake
(no concurrent poll of one trigger), and after one runner is SIGKILLed in the middle of a
delivery nothing is lost and the only duplicates are the records of deliveries that runner had
made without saving their state (counted and printed).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.fakes import FakeOdoo
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import Request, serve, serve_transport
from tests.postgres import postgres_dsn, postgres_server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
TRIGGERS = 300
RUNNERS = 3
_TAG = re.compile(rb'"tag",\s*"=",\s*"(t\d+)"')


@dataclass
class Overlaps:
    """Requests per trigger in flight at the fake; ``worst`` > 1 means two polls overlapped."""

    in_flight: Counter[str] = field(default_factory=Counter)
    polled: Counter[str] = field(default_factory=Counter)
    worst: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def around(self, request: Request) -> Iterator[None]:
        match = _TAG.search(request.body)
        if match is None:
            yield
            return
        tag = match.group(1).decode()
        with self.lock:
            self.in_flight[tag] += 1
            self.polled[tag] += 1
            self.worst = max(self.worst, self.in_flight[tag])
        try:
            time.sleep(0.01)  # widen the window in which an overlap would show
            yield
        finally:
            with self.lock:
                self.in_flight[tag] -= 1


@dataclass
class Receiver:
    """The webhook sink: every record received, by runner path and trigger; can hold one
    delivery of one runner unanswered (to kill that runner in the middle of it)."""

    got: list[tuple[str, str, int, str, float]] = field(default_factory=list)  # runner, trigger, id, date, at
    hold_runner: str | None = None
    held: list[tuple[str, int, str]] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        runner = request.path.strip("/")
        trigger = request.headers.get("X-Odoo-Connector-Trigger", "?")
        body = json.loads(request.body)
        records = [(trigger, r["id"], r["write_date"]) for b in ("created", "updated") for r in body[b]]
        now = time.monotonic()
        with self.lock:
            self.got.extend((runner, t, i, d, now) for t, i, d in records)
            hold = runner == self.hold_runner and not self.holding.is_set()
            if hold:
                self.held = records
                self.holding.set()
        if hold:
            self.release.wait(30)  # the runner is killed meanwhile: never acknowledged
        return 200, {}, b"{}"

    def frozen(self) -> set[int]:
        with self.lock:
            return {i for _, i, _ in self.held}

    def counts(self) -> Counter[tuple[str, int, str]]:
        with self.lock:
            return Counter((t, i, d) for _, t, i, d, _ in self.got)


def write_config(path: Path, odoo_url: str, dsn: str) -> None:
    data = {
        "settings": {
            "concurrency": 8,
            "perConnection": 32,
            "lease": 2,
            "state": {"postgres": {"env": "TEST_DSN"}},
        },
        "connections": {
            "main": {
                "url": odoo_url,
                "database": DATABASE,
                "kind": "apiKey",
                "apiKey": {"env": "TEST_ODOO_KEY"},
            }
        },
        "triggers": [
            {
                "id": f"t{i}",
                "trigger": "pollChangesTrigger",
                "connection": "main",
                "inputs": {
                    "model": "res.partner",
                    "domain": [["tag", "=", f"t{i}"]],
                    "fields": ["id", "tag", "write_date"],
                },
                "interval": 3.0,
                "sink": {"webhook": {"env": "HOOK_URL"}},
            }
            for i in range(TRIGGERS)
        ],
    }
    path.write_text(yaml.safe_dump(data))


@contextmanager
def runners(config: Path, dsn: str, hook: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for n in range(RUNNERS):
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "TEST_ODOO_KEY": API_KEY,
                "TEST_DSN": dsn,
                "HOOK_URL": f"{hook}/runner-{n}",
            }
            log = open(tmp_path / f"runner-{n}.log", "wb")  # noqa: SIM115
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "odoo_connector.cli", "runner", "--config", str(config)],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str, tmp_path: Path) -> None:
    until = time.monotonic() + timeout
    while not check():
        if time.monotonic() > until:
            tails = "\n".join(
                f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
                for p in sorted(tmp_path.glob("runner-*.log"))
            )
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.05)


def change_stream(
    odoo: FakeOdoo, steps: int, rng: random.Random, frozen: Callable[[], set[int]]
) -> dict[int, tuple[str, str]]:
    """Creates and updates records of random triggers, the clock 10 s on per step (0.2 s real);
    returns each record's trigger and final write_date (the change that must be delivered).
    Records in ``frozen()`` are not updated again (the held delivery's: so that what it held is
    the version a repeated delivery must carry)."""
    final: dict[int, tuple[str, str]] = {}
    for _ in range(steps):
        odoo.advance(10)
        tx = odoo.begin()
        for _ in range(12):
            tag = f"t{rng.randrange(TRIGGERS)}"
            final[tx.create("res.partner", name="n", tag=tag)] = (tag, tx.stamp)
        pool = sorted(set(final) - frozen())
        for record_id in rng.sample(pool, min(6, len(pool))):
            tx.write("res.partner", record_id, email=f"{rng.random()}@example.com")
            final[record_id] = (final[record_id][0], tx.stamp)
        tx.commit()
        time.sleep(0.2)
    return final


def scenario(
    tmp_path: Path, dsn: str, *, kill: bool
) -> tuple[Receiver, Overlaps, dict[int, tuple[str, str]]]:
    odoo = FakeOdoo(models={"res.partner": {"email": "char", "tag": "char"}})
    overlaps = Overlaps()
    receiver = Receiver(hold_runner="runner-0" if kill else None)
    started = time.monotonic()

    def mark(what: str) -> None:
        print(f"{time.monotonic() - started:6.1f}s {what}")

    with serve_transport(odoo, around=overlaps.around) as odoo_url, serve(receiver.respond) as (hook, _):
        config = tmp_path / "runner.yaml"
        write_config(config, odoo_url, dsn)
        with runners(config, dsn, hook, tmp_path) as procs:
            # every trigger's first poll records its baseline (nothing before it is emitted)
            wait_for(lambda: len(overlaps.polled) == TRIGGERS, 60, "every trigger's first poll", tmp_path)
            mark("every trigger polled once")
            if kill:
                killer = threading.Thread(target=lambda: (receiver.holding.wait(60), procs[0].kill()))
                killer.start()
            final = change_stream(odoo, 30, random.Random(13), receiver.frozen)
            mark("changes made")
            if kill:
                killer.join()
                assert receiver.holding.is_set(), "runner-0 never delivered: nothing was killed mid-poll"
                receiver.release.set()
                assert procs[0].wait(5) == -signal.SIGKILL

            def complete() -> bool:
                seen = receiver.counts()
                return all((tag, i, date) in seen for i, (tag, date) in final.items())

            wait_for(complete, 90, "every change to be delivered", tmp_path)
            mark("every change delivered")
            time.sleep(2.5)  # more polls of every trigger: anything repeated would show now
    # SIGTERM (sent when the block ends) stops the others cleanly, after their polls in flight
    assert [p.returncode for p in procs[1 if kill else 0 :]] == [0] * (RUNNERS - kill)
    return receiver, overlaps, final


def test_three_runners_share_300_triggers_each_change_once(tmp_path: Path, postgres_dsn: str) -> None:  # noqa: F811
    receiver, overlaps, final = scenario(tmp_path, postgres_dsn, kill=False)
    counts = receiver.counts()
    assert {(tag, i, date) for i, (tag, date) in final.items()} <= set(counts)
    assert [pair for pair, n in counts.items() if n > 1] == []
    assert overlaps.worst == 1, "two polls of one trigger overlapped"
    # the work was shared: every runner delivered
    assert {runner for runner, *_ in receiver.got} == {f"runner-{n}" for n in range(RUNNERS)}


def test_a_runner_killed_mid_delivery_loses_nothing_and_repeats_only_the_unacknowledged(
    tmp_path: Path,
    postgres_dsn: str,  # noqa: F811
) -> None:
    receiver, overlaps, final = scenario(tmp_path, postgres_dsn, kill=True)
    counts = receiver.counts()
    missing = [(tag, i, date) for i, (tag, date) in final.items() if (tag, i, date) not in counts]
    assert missing == [], "changes lost after the kill"
    duplicates = {pair: n for pair, n in counts.items() if n > 1}
    # the held delivery was never acknowledged: another runner delivers it again after the lease
    assert receiver.held and all(counts[pair] == 2 for pair in receiver.held), receiver.held
    # and nothing else repeats: only what the killed runner delivered around its death
    with receiver.lock:
        killed_at = max(at for r, *_, at in receiver.got if r == "runner-0")
        kill_window = {
            (t, i, d) for r, t, i, d, at in receiver.got if r == "runner-0" and at > killed_at - 1.0
        }
    assert set(duplicates) <= kill_window
    assert all(n == 2 for n in duplicates.values())
    assert overlaps.worst == 1, "two polls of one trigger overlapped"
    print(f"\nSIGKILL mid-delivery: {len(duplicates)} record(s) delivered twice, all unacknowledged")


def test_a_429_with_a_long_retry_after_pauses_that_connection_in_every_process(
    tmp_path: Path,
    postgres_dsn: str,  # noqa: F811
) -> None:
    """Odoo asks for 120 s: the connection's triggers get no poll for that long, whichever
    process would run them (the pause is in the shared schedule); the other connection's go on."""
    fast = FakeOdoo(models={"res.partner": {"email": "char", "tag": "char"}})
    fast_polls = Overlaps()

    def too_many(request: Request) -> tuple[int, dict[str, str], bytes]:
        return 429, {"Retry-After": "120", "Content-Type": "text/plain"}, b"slow down"

    def polling(i: int, connection: str) -> dict[str, object]:
        return {
            "id": f"t{i}",
            "trigger": "pollChangesTrigger",
            "connection": connection,
            "inputs": {"model": "res.partner", "domain": [["tag", "=", f"t{i}"]]},
            "interval": 0.2,
        }

    with (
        serve(too_many) as (limited_url, limited_seen),
        serve_transport(fast, around=fast_polls.around) as fast_url,
    ):
        key = {"kind": "apiKey", "database": DATABASE, "apiKey": {"env": "TEST_ODOO_KEY"}}
        config = tmp_path / "runner.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "settings": {"concurrency": 4, "lease": 2, "state": {"postgres": {"env": "TEST_DSN"}}},
                    "connections": {"limited": {"url": limited_url, **key}, "fast": {"url": fast_url, **key}},
                    "triggers": [polling(i, "limited") for i in range(3)]
                    + [polling(i, "fast") for i in range(100, 103)],
                }
            )
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TEST_ODOO_KEY": API_KEY, "TEST_DSN": postgres_dsn}
        with open(tmp_path / "runner-0.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "odoo_connector.cli", "runner", "--config", str(config)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_for(
                    lambda: sum(fast_polls.polled.values()) >= 30, 60, "the fast triggers' polls", tmp_path
                )
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
    # each limited trigger asked once (its first poll got the 429), then the pause held them;
    # without it they poll every 0.2 s like the fast ones (30 polls of 3 triggers: about 10 each).
    # On a loaded machine a poll already due while the first 429 was being answered may still go
    # out once (seen in CI with the whole suite running): at most twice a trigger, never more.
    assert len(limited_seen) <= 2 * 3, len(limited_seen)
    assert "Odoo answered 429; no poll for 120s" in (tmp_path / "runner-0.log").read_text()

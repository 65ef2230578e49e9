"""``odoo-connector runner``: many triggers in one process, state in one SQLite file.

Each trigger is a :class:`~.watch.Watch` (the same poll unit as ``watch``: state saved only after
delivery, failures logged once per streak and the recovery once); this module only decides *when*
and *where* each one's :meth:`~.watch.Watch.poll_once` runs:

* **Bounded.** At most ``concurrency`` polls run at once, on a thread pool of that size.
* **Fair.** A due trigger starts only while its connection has fewer than ``perConnection`` polls
  in flight. A slow Odoo's triggers therefore wait on their own connection's limit, not on the
  pool: the other servers' polls keep the remaining threads (``perConnection`` < ``concurrency``).
  Due triggers start earliest-due first. Each connection has one client (one HTTP connection
  pool); a 429 is waited out by the client (Retry-After up to a minute), inside that
  connection's limit; a longer Retry-After pauses every trigger of the connection that long.
* **One poll per trigger at a time.** A trigger is not due again until its poll returned; a poll
  that overran its interval runs once more at once, not once per missed interval.
* **Reload.** SIGHUP, or a change of the config file's modification time, reads the config again:
  new triggers start, removed ones stop after their poll in flight, changed ones are replaced.
  State is keyed by :class:`~.state.StateKey` (trigger, Odoo, user, inputs), so an unchanged
  trigger keeps its cursor, and a trigger removed then added back resumes where it stopped. A
  config that fails its checks is logged and the running one kept.

First polls are spread over each trigger's interval (by a hash of its id), so starting a runner
with a thousand triggers does not send a thousand requests in the same second.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from .. import client as client_module
from ..client import OdooClient
from ..connections import Connection
from ..errors import InputError, OdooConnectorError
from ..manifest import Manifest, load_manifest
from .config import RunnerConfig, TriggerSpec, load_config
from .sinks import Sink, StdoutSink, WebhookSink
from .state import SharedStateStore, StateBackend, default_state_path
from .watch import PollReport, Watch

__all__ = ["LagLog", "PollEvent", "Runner", "Scheduler", "lock_state_file", "make_sink", "run_embedded"]

log = logging.getLogger("odoo_connector.runner")


@dataclass(frozen=True)
class PollEvent:
    """One poll, for tests and the benchmark: lag is ``started - due`` (monotonic seconds)."""

    trigger: str
    due: float
    started: float
    finished: float
    report: PollReport | None


class LagLog:
    """``runner --lag-log FILE``: one JSON line per poll, ``{"trigger", "due", "started",
    "finished"}`` in Unix seconds, to measure how late polls start (bench/runner_lag.py)."""

    def __init__(self, path: str | Path) -> None:
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (closed by close)
        self._lock = threading.Lock()

    def write(self, trigger: str, due: float, started: float, finished: float) -> None:
        line = json.dumps({"trigger": trigger, "due": due, "started": started, "finished": finished})
        with self._lock:
            self._file.write(line + "\n")

    def event(self, event: PollEvent) -> None:
        """A :class:`PollEvent` (monotonic clock) as wall-clock seconds."""
        offset = time.time() - time.monotonic()
        self.write(event.trigger, event.due + offset, event.started + offset, event.finished + offset)

    def close(self) -> None:
        self._file.close()


def make_sink(spec: TriggerSpec, stdout: TextIO | None = None) -> Sink:
    if spec.webhook:
        return WebhookSink(spec.webhook, headers={"X-Odoo-Connector-Trigger": spec.id})
    return StdoutSink(stdout, trigger=spec.id)


def make_watch(
    spec: TriggerSpec, client: OdooClient, store: StateBackend, sink: Sink, manifest: Manifest | None = None
) -> Watch:
    """A config trigger as the poll unit ``watch`` runs, for both runners: labelled by its id,
    idle polls said at debug level."""
    return Watch(
        spec.key,
        spec.connection,
        spec.inputs,
        client=client,
        store=store,
        sink=sink,
        interval=spec.interval,
        manifest=manifest,
        label=spec.id,
        quiet_idle=True,
    )


def first_due(trigger_id: str, interval: float, now: float) -> float:
    """Spread first polls over one interval, the same way at every start."""
    fraction = int(hashlib.sha256(trigger_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return now + fraction * interval


@dataclass
class _Slot:
    spec: TriggerSpec
    watch: Watch
    sink: Sink
    due: float
    running: bool = False
    removed: bool = False


@dataclass
class Scheduler:
    """Due times, limits and dispatch, apart from how a poll is run (``run_poll``)."""

    concurrency: int
    per_connection: int
    run_poll: Callable[[_Slot, float], None]
    slots: dict[str, _Slot] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    # trigger ids with a poll running: a trigger replaced by a reload waits for its old poll
    busy: set[str] = field(default_factory=set)
    # connection name -> monotonic time before which it gets no poll (Odoo answered 429)
    paused: dict[str, float] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def dispatch_due(self, pool: ThreadPoolExecutor, now: float) -> float:
        """Starts what is due and allowed; returns when the next trigger falls due."""
        total = sum(self.in_flight.values())
        waiting = sorted((s for s in self.slots.values() if not s.running), key=lambda s: s.due)
        for slot in waiting:
            if slot.due > now or total >= self.concurrency:
                break
            name = slot.spec.connection_name
            if self.in_flight.get(name, 0) >= self.per_connection or slot.spec.id in self.busy:
                continue  # queued on its own connection's limit (or its replaced self's poll)
            if self.paused.get(name, 0.0) > now:
                continue  # Odoo asked this connection to slow down
            slot.running = True
            self.busy.add(slot.spec.id)
            self.in_flight[name] = self.in_flight.get(name, 0) + 1
            total += 1
            pool.submit(self.run_poll, slot, slot.due)
        later = [s.due for s in self.slots.values() if not s.running and s.due > now]
        later += [until for until in self.paused.values() if until > now]
        return min(later, default=now + 1.0)

    def finished(self, slot: _Slot, due: float) -> None:
        with self.cond:
            if slot.watch.retry_after:
                until = time.monotonic() + slot.watch.retry_after
                name = slot.spec.connection_name
                if until > self.paused.get(name, 0.0):
                    log.warning("%s: Odoo answered 429; no poll for %gs", name, slot.watch.retry_after)
                    self.paused[name] = until
            slot.running = False
            self.busy.discard(slot.spec.id)
            name = slot.spec.connection_name
            self.in_flight[name] -= 1
            # the next due time keeps the cadence; a poll that overran runs once, at once
            slot.due = max(due + slot.spec.interval, time.monotonic())
            self.cond.notify_all()


@contextmanager
def lock_state_file(path: Path) -> Iterator[None]:
    """One runner per SQLite state file: a second would poll the same triggers concurrently."""
    lock_path = path.with_name(path.name + ".runner.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"Another runner uses the state file {str(path)!r}.",
                path="settings.state",
                hint="Run one runner per SQLite file; to share triggers between processes, use "
                "settings.state.postgres.",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Runner:
    """Runs a :class:`RunnerConfig`'s triggers until :meth:`stop`; see the module docstring."""

    def __init__(
        self,
        config: RunnerConfig,
        *,
        store: StateBackend,
        client_factory: Callable[[Connection], OdooClient] | None = None,
        stdout: TextIO | None = None,
        on_poll: Callable[[PollEvent], None] | None = None,
        manifest: Manifest | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.client_factory = client_factory or client_module.make_client
        self.stdout = stdout
        self.on_poll = on_poll
        self.manifest = manifest or load_manifest()
        self.scheduler = Scheduler(config.concurrency, config.per_connection, self._run_poll)
        self._clients: dict[tuple[Any, ...], OdooClient] = {}
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._mtime = self._config_mtime()
        self.apply(config)

    # --- triggers ---------------------------------------------------------------------------

    def _client(self, conn: Connection) -> OdooClient:
        key = conn.identity()
        if key not in self._clients:
            self._clients[key] = self.client_factory(conn)
        return self._clients[key]

    def apply(self, config: RunnerConfig) -> None:
        """Makes the running triggers those of ``config``; unchanged ones keep their schedule."""
        with self.scheduler.cond:
            slots = self.scheduler.slots
            for trigger_id in list(slots):
                new = config.triggers.get(trigger_id)
                if new is None or new.fingerprint != slots[trigger_id].spec.fingerprint:
                    old = slots.pop(trigger_id)
                    old.removed = True
                    if not old.running:
                        old.sink.close()  # else closed when its poll returns
            now = time.monotonic()
            added = [spec for trigger_id, spec in config.triggers.items() if trigger_id not in slots]
            for spec in added:
                sink = make_sink(spec, self.stdout)
                watch = make_watch(spec, self._client(spec.connection), self.store, sink, self.manifest)
                slots[spec.id] = _Slot(spec, watch, sink, first_due(spec.id, spec.interval, now))
            self.scheduler.concurrency = config.concurrency
            self.scheduler.per_connection = config.per_connection
            self.config = config
            self.scheduler.cond.notify_all()
        log.info("runner: %d trigger(s) (%d new)", len(self.scheduler.slots), len(added))

    def _run_poll(self, slot: _Slot, due: float) -> None:
        started = time.monotonic()
        report: PollReport | None = None
        try:
            if not slot.removed:
                report = slot.watch.poll_once()
        finally:
            finished = time.monotonic()
            self.scheduler.finished(slot, due)
            if slot.removed:
                slot.sink.close()
            if self.on_poll is not None:
                self.on_poll(PollEvent(slot.spec.id, due, started, finished, report))

    # --- reload and stop --------------------------------------------------------------------

    def _config_mtime(self) -> float | None:
        try:
            return self.config.path.stat().st_mtime if self.config.path else None
        except OSError:
            return None

    def request_reload(self) -> None:
        self._reload.set()
        with self.scheduler.cond:
            self.scheduler.cond.notify_all()

    def _maybe_reload(self) -> None:
        mtime = self._config_mtime()
        if not self._reload.is_set() and mtime == self._mtime:
            return
        self._reload.clear()
        self._mtime = mtime
        if self.config.path is None:
            return
        try:
            config = load_config(self.config.path, manifest=self.manifest)
        except OdooConnectorError as exc:
            log.warning("runner: the new config is not used (the running one is kept): %s", exc.message)
            return
        self.apply(config)

    def stop(self) -> None:
        self._stop.set()
        with self.scheduler.cond:
            self.scheduler.cond.notify_all()

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.request_reload()
            return
        if self._stop.is_set():
            raise KeyboardInterrupt
        log.info("%s received: stopping after the polls in flight", signal.Signals(signum).name)
        self.stop()

    def run(self, *, check_every: float = 1.0) -> int:
        """Schedules until :meth:`stop`; polls in flight finish (and save) before it returns."""
        pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="poll")
        next_check = 0.0
        try:
            with self.scheduler.cond:
                while not self._stop.is_set():
                    now = time.monotonic()
                    if now >= next_check:
                        self.scheduler.cond.release()
                        try:
                            self._maybe_reload()
                        finally:
                            self.scheduler.cond.acquire()
                        next_check = now + check_every
                    wake = self.scheduler.dispatch_due(pool, now)
                    self.scheduler.cond.wait(max(0.0, min(wake, next_check) - time.monotonic()))
        finally:
            pool.shutdown(wait=True)
            for slot in self.scheduler.slots.values():
                slot.sink.close()
            for client in self._clients.values():
                client.close()
        log.info("runner: stopped")
        return 0


def run_embedded(
    config: RunnerConfig,
    *,
    client_factory: Callable[[Connection], OdooClient] | None = None,
    install_signals: bool = True,
    lag_log: str | None = None,
) -> int:
    """The default: one process, SQLite state (``settings.state.sqlite`` or the per-user file)."""
    path = config.sqlite_path or default_state_path()
    lags = LagLog(lag_log) if lag_log else None
    with lock_state_file(path):
        runner = Runner(
            config,
            store=SharedStateStore(path),
            client_factory=client_factory,
            on_poll=lags.event if lags else None,
        )
        previous: dict[signal.Signals, Any] = {}
        if install_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                previous[sig] = signal.signal(sig, runner.handle_signal)
        try:
            log.info("runner: %d trigger(s); state in %s", len(config.triggers), path)
            return runner.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if lags:
                lags.close()

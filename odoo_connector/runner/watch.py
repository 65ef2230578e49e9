"""``odoo-connector watch``: a trigger on a schedule, with durable state and at-least-once delivery.

The order inside one poll is the whole design:

1. load the state saved after the last *delivered* poll;
2. poll through :func:`~odoo_connector.runtime.invoke`; an Odoo error leaves the state as it was,
   so the next poll repeats the work;
3. hand the records to the sink; a failed delivery leaves the state as it was, so the next poll
   delivers them again;
4. only then save the new state, in one SQLite transaction.

A crash between 3 and 4 delivers the same records again after a restart (at-least-once); a crash
anywhere else loses nothing and repeats nothing, because the trigger dedupes against the saved
state. APScheduler runs the poll with ``max_instances=1`` (a slow poll is never overlapped by the
next one, which would read the same state and deliver twice) and ``coalesce=True`` (a machine
waking from sleep polls once, not once per missed interval).

A poll never raises into the scheduler: APScheduler would log a traceback for every failed run,
every minute, for as long as Odoo is down. Failures are logged once per streak, and the recovery
once.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from .. import client as client_module
from ..client import OdooClient
from ..connections import Connection, parse_connection
from ..errors import InputError, OdooConnectorError, RateLimitedError, redact
from ..manifest import Manifest, UnitSpec, load_manifest
from ..runtime import invoke, validate_inputs
from .sinks import DeliveryError, Sink, StdoutSink, WebhookSink
from .state import StateBackend, StateError, StateKey, StateStore, default_state_path

__all__ = ["PollReport", "SkipFolding", "Watch", "run_watch"]

log = logging.getLogger("odoo_connector.runner")


class SkipFolding(logging.Filter):
    """APScheduler logs "skipped: maximum number of running instances reached" on every tick
    while a slow poll runs. Like failures, that is said once per streak: the first skip is
    rewritten as one plain line, the rest are dropped until a poll finishes (:meth:`reset`)."""

    _MARK = "maximum number of running instances"

    def __init__(self) -> None:
        super().__init__()
        self._folded = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self._MARK not in record.getMessage():
            return True
        if self._folded:
            return False
        self._folded = True
        record.msg = "a poll is still running: the next polls wait for it (said once until it ends)"
        record.args = ()
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True

    def reset(self) -> None:
        self._folded = False


def _route_scheduler_logs(folding: SkipFolding) -> Callable[[], None]:
    """APScheduler's logger writes through the connector's own handlers (JSON lines, redacted)
    instead of Python's last-resort handler; returns a function that undoes it."""
    ours = logging.getLogger("odoo_connector")
    theirs = logging.getLogger("apscheduler")
    saved = (list(theirs.handlers), theirs.level, theirs.propagate)
    theirs.handlers[:] = list(ours.handlers)
    theirs.setLevel(logging.DEBUG if ours.level <= logging.DEBUG else logging.WARNING)
    theirs.propagate = False
    for handler in theirs.handlers:
        handler.addFilter(folding)

    def restore() -> None:
        for handler in theirs.handlers:
            handler.removeFilter(folding)
        theirs.handlers[:], level, theirs.propagate = saved[0], saved[1], saved[2]
        theirs.setLevel(level)

    return restore


_BOTH = ("created", "updated")


@dataclass(frozen=True)
class PollReport:
    created: int
    updated: int
    requests: int
    seconds: float


class Watch:
    """One trigger, its state, its sink and its client; :meth:`run` schedules :meth:`poll_once`."""

    def __init__(
        self,
        key: str,
        connection: Connection,
        inputs: Mapping[str, Any],
        *,
        client: OdooClient,
        store: StateBackend,
        sink: Sink,
        interval: float = 60.0,
        max_polls: int | None = None,
        manifest: Manifest | None = None,
        label: str | None = None,
        quiet_idle: bool = False,
    ) -> None:
        self.key = key
        self.connection = connection
        self.inputs = dict(inputs)
        self.client = client
        self.store = store
        self.sink = sink
        self.interval = interval
        self.max_polls = max_polls
        self.manifest = manifest
        self._state_key: StateKey | None = None
        self.polls = 0
        self._stop = threading.Event()
        self._failure: str | None = None  # the current failure streak's message
        self._failed_polls = 0
        # seconds Odoo asked this poll's connection to wait (a 429 the client did not wait out
        # itself: Retry-After over a minute); the many-trigger runner pauses the connection
        self.retry_after: float | None = None
        self.label = label or (f"{key} {self.inputs['model']}" if "model" in self.inputs else key)
        # The many-trigger runner says idle polls at debug level: 1,000 triggers every 10 s would
        # otherwise write 100 lines a second that say nothing happened.
        self.quiet_idle = quiet_idle
        self.skip_folding = SkipFolding()

    @property
    def state_key(self) -> StateKey:
        """Keyed by the Odoo user too, found with the first poll (one request, once): two
        watchers with different logins see different records and must not share a cursor."""
        if self._state_key is None:
            self._state_key = StateKey.build(self.key, self.connection, self.inputs, self.client.uid())
        return self._state_key

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Asks the runner to stop: a poll in flight is abandoned before delivery, or finishes its
        delivery and saves; nothing partial is saved either way."""
        self._stop.set()

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():
            # Asked twice: stop waiting for the poll in flight (a slow Odoo may hold it for minutes).
            raise KeyboardInterrupt
        log.info("%s received: stopping after the current poll", signal.Signals(signum).name)
        self.stop()

    def poll_once(self) -> PollReport | None:
        """One poll; returns what it delivered, or None when it failed, was skipped or abandoned."""
        if self._stop.is_set():
            return None
        started = time.monotonic()
        requests_before = self.client.request_count
        self.retry_after = None
        report: PollReport | None = None
        try:
            delivered = self._poll()
            if delivered is not None:
                report = PollReport(
                    created=delivered[0],
                    updated=delivered[1],
                    requests=self.client.request_count - requests_before,
                    seconds=time.monotonic() - started,
                )
                self._succeeded(report)
        except OdooConnectorError as exc:
            self.retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
            hint = f" ({exc.hint})" if exc.hint else ""
            self._failed(f"{type(exc).__name__}: {exc.message}{hint}")
        except (DeliveryError, OSError, sqlite3.Error, StateError) as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug: say so with its traceback, and keep the schedule alive
            self._failed(f"{type(exc).__name__}: {exc}", unexpected=exc)
        finally:
            self.polls += 1
            self.skip_folding.reset()
            if self.max_polls is not None and self.polls >= self.max_polls:
                self._stop.set()
        return report

    def _poll(self) -> tuple[int, int] | None:
        # One write transaction from load to save: a second watcher on this file waits instead of
        # delivering the same records (StateStore.claim).
        with self.store.claim(self.state_key) as (state, save):
            result = invoke(
                self.key,
                self.connection,
                self.inputs,
                state=state,
                client=self.client,
                manifest=self.manifest,
            )
            if self._stop.is_set():
                log.info(
                    "%s: stopped mid-poll; nothing delivered or saved, the next run repeats it", self.label
                )
                return None
            created = list(result["data"].get("created", []))
            updated = list(result["data"].get("updated", []))
            # watchFields' archive branches, given only when there are some: a sink written for
            # created and updated alone keeps working
            others = {b: list(rows) for b, rows in result["data"].items() if b not in _BOTH and rows}
            if others:
                self.sink.deliver(created, updated, self._stop, others=others)  # type: ignore[call-arg]
            else:
                self.sink.deliver(created, updated, self._stop)
            save(result["state"])
        return len(created), len(updated)

    def _succeeded(self, report: PollReport) -> None:
        if self._failure is not None:
            log.info("%s: polling works again after %d failed poll(s)", self.label, self._failed_polls)
            self._failure, self._failed_polls = None, 0
        idle = self.quiet_idle and not (report.created or report.updated)
        log.log(
            logging.DEBUG if idle else logging.INFO,
            "%s: %d created, %d updated (%d request%s, %.2fs)",
            self.label,
            report.created,
            report.updated,
            report.requests,
            "" if report.requests == 1 else "s",
            report.seconds,
        )

    def _failed(self, message: str, *, unexpected: Exception | None = None) -> None:
        message = redact(message, self.connection.secrets())
        self._failed_polls += 1
        if message == self._failure:
            log.debug("%s: poll failed again: %s", self.label, message)
            return
        self._failure = message
        log.warning(
            "%s: poll failed, state kept; retrying every %gs: %s",
            self.label,
            self.interval,
            message,
            exc_info=unexpected,  # a traceback only for a bug, and once per streak
        )

    def run(self) -> int:
        """Polls now and every ``interval`` seconds until :meth:`stop`; returns the exit status."""
        scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)})
        scheduler.add_job(
            self.poll_once,
            "interval",
            seconds=self.interval,
            next_run_time=datetime.now(UTC),
            id=f"poll:{self.key}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.start()
        try:
            while not self._stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            scheduler.shutdown(wait=False)
            raise
        scheduler.shutdown(wait=True)  # lets a poll in flight finish (or abandon) cleanly
        log.info("%s: stopped after %d poll(s)", self.label, self.polls)
        return 0


def _trigger(manifest: Manifest, key: str) -> UnitSpec:
    try:
        unit = manifest.unit(key)
    except KeyError:
        triggers = ", ".join(u.key for u in manifest.units() if u.kind == "trigger")
        raise InputError(f"Unknown key {key!r}.", hint=f"watch runs triggers: {triggers}.") from None
    if unit.kind != "trigger":
        raise InputError(f"{key} is not a trigger; watch runs triggers only.", hint="Use run for actions.")
    return unit


def _install_signal_handlers(watch: Watch) -> Callable[[], None]:
    """SIGINT/SIGTERM ask for a clean stop; returns a function restoring the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # Python allows signal handlers in the main thread only
    previous = {sig: signal.signal(sig, watch.handle_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def run_watch(
    key: str,
    connection: Connection | Mapping[str, Any],
    inputs: Mapping[str, Any],
    *,
    interval: float,
    state_path: str | Path | None,
    webhook: str | None,
    max_polls: int | None,
    client_factory: Callable[[Connection], OdooClient] | None = None,
    sink: Sink | None = None,
    install_signals: bool = True,
    reset: bool = False,
    listen: str | None = None,
    public_url: str | None = None,
    reconcile_interval: float = 300.0,
) -> int:
    """Runs ``key`` every ``interval`` seconds until SIGINT/SIGTERM (or ``max_polls`` polls).

    A trigger Odoo pushes to (one with a ``lifecycle``, recordWebhookTrigger) runs in listen mode
    instead (:mod:`.listen`): a webhook server on ``listen``, subscribed at ``public_url``, and a
    reconciliation poll every ``reconcile_interval`` seconds.

    Everything that can be wrong with the command line fails here, before the first poll: the
    key, the inputs, the webhook URL, the state file. ``reset`` forgets this trigger's stored
    state first, so the first poll records a new baseline. ``client_factory`` and ``sink`` let
    tests and embedders plug in their own.
    """
    if not interval > 0:
        raise InputError("--interval must be a positive number of seconds.", path="interval")
    manifest = load_manifest()
    unit = _trigger(manifest, key)
    if unit.lifecycle is not None or listen or public_url:
        if unit.lifecycle is None:
            raise InputError(
                f"{key} polls; --listen and --public-url are for a trigger Odoo pushes to "
                "(recordWebhookTrigger).",
                hint="Leave them out to poll on a schedule.",
            )
        from ..errors import require_extra

        require_extra("webhook", ("starlette", "uvicorn"), f"{key}'s webhook listener")
        if not public_url:
            raise InputError(
                f"{key} needs --public-url: the address at which Odoo reaches this listener.",
                path="public-url",
                hint="e.g. --listen 127.0.0.1:8099 --public-url https://hooks.example.com/odoo",
            )
        from .listen import run_listen

        return run_listen(
            key,
            connection,
            inputs,
            listen=listen,
            public_url=public_url,
            reconcile_interval=reconcile_interval,
            state_path=state_path,
            webhook=webhook,
            reset=reset,
            client_factory=client_factory,
            install_signals=install_signals,
        )
    conn = parse_connection(connection)
    checked = validate_inputs(unit, inputs)
    path = Path(state_path) if state_path else default_state_path()
    try:
        store = StateStore(path)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(
            f"Cannot open the state file {str(path)!r}: {exc}.",
            path="state",
            hint="Pass --state with a writable SQLite file path.",
        ) from None
    if sink is None:
        sink = WebhookSink(webhook) if webhook else StdoutSink()
    client = (client_factory or client_module.make_client)(conn)
    watch = Watch(
        unit.key,
        conn,
        checked,
        client=client,
        store=store,
        sink=sink,
        interval=interval,
        max_polls=max_polls,
        manifest=manifest,
    )
    if reset:
        try:
            forgot = store.reset(watch.state_key)
        except BaseException:
            client.close()
            sink.close()
            raise
        log.info(
            "%s: %s",
            watch.label,
            "state reset: the first poll records a new baseline" if forgot else "no stored state to reset",
        )
    restore_signals = _install_signal_handlers(watch) if install_signals else (lambda: None)
    restore_logs = _route_scheduler_logs(watch.skip_folding)
    try:
        log.info(
            "watching %s every %gs; state in %s; delivering to %s",
            watch.label,
            interval,
            store.path,
            sink.describe(),
        )
        return watch.run()
    finally:
        restore_signals()
        restore_logs()
        client.close()
        sink.close()

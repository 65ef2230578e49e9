"""``odoo-connector watch recordWebhookTrigger --listen … --public-url …``: Odoo pushes, we listen.

A real ASGI server (uvicorn running a Starlette app, :mod:`.listen_http`) receives Odoo's posts;
a slow schedule runs the trigger's reconciliation poll. Both paths go through one
:class:`Listener`, which keeps the poll runner's rules:

* one subscription per (trigger, Odoo URL, database, user, inputs), stored in the same SQLite
  file as the poll runner's states (:class:`~.state.StateStore`);
* a state is saved only after its records were delivered (at-least-once): posts whose delivery
  fails are kept and tried again, and their changes are in reach of the next reconciliation poll;
* posts and polls take turns (one lock, one SQLite transaction each), so one change is never
  emitted by both at once.

A post is only a hint (:mod:`~odoo_connector.triggers.webhook_posts`: Odoo logs the secret that
authenticates it). Odoo posts inside its user's request and waits for each answer, so the
listener answers as soon as the secret and the body are checked (:meth:`Listener.check`,
:meth:`Listener.take`, no lock and no SQLite), and a worker (:class:`~.post_queue.PostQueue`)
reads the records back from Odoo in batches, delivers, then saves (:meth:`Listener._confirm`).

Lifecycle: the server listens first, then the trigger subscribes (a post arriving in between is
answered 503 and reconciled later). A clean stop (Ctrl-C, SIGTERM) confirms the queued posts,
unsubscribes and forgets the subscription; a crash does neither, so a restart finds the stored
subscription, checks its rules still exist in Odoo, reuses them and reconciles what it missed
while down.
"""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol
from urllib.parse import urlsplit

from .. import client as client_module
from ..client import OdooClient
from ..connections import Connection, parse_connection
from ..errors import InputError, OdooConnectorError, redact
from ..manifest import Manifest, UnitSpec, load_manifest
from ..runtime import invoke, validate_inputs
from ..triggers.webhook_posts import Hint, check_token, confirm, parse_post, read_fields
from .listen_http import Server, make_app
from .post_queue import PostQueue, Refusals
from .sinks import DeliveryError, WebhookSink
from .state import StateKey, StateStore, default_state_path

__all__ = ["EventSink", "Listener", "Server", "make_app", "parse_listen", "run_listen"]

log = logging.getLogger("odoo_connector.runner")

Events = Mapping[str, list[dict[str, Any]]]
BRANCHES = ("created", "updated", "deleted")


class EventSink(Protocol):
    """Where the listener delivers: every branch, ``deleted`` included."""

    def deliver_events(self, events: Events, stop: threading.Event) -> None: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


class StdoutEvents:
    """One JSON line per record, ``{"branch": "created"|"updated"|"deleted", "record": {…}}``,
    as the poll runner's stdout sink writes them."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def deliver_events(self, events: Events, stop: threading.Event) -> None:
        stream = self._stream or sys.stdout
        lines = [
            json.dumps({"branch": branch, "record": r}, ensure_ascii=False, default=str)
            for branch in BRANCHES
            for r in events.get(branch, [])
        ]
        if not lines:
            return
        try:
            with self._lock:  # a post and a poll never interleave their lines
                stream.write("\n".join(lines) + "\n")
                stream.flush()
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"Could not write the records to stdout: {exc}") from exc

    def describe(self) -> str:
        return "stdout (JSON lines)"

    def close(self) -> None:
        pass


class WebhookEvents(WebhookSink):
    """The poll runner's webhook sink with a ``deleted`` branch: one POST per batch, body
    ``{"created": […], "updated": […], "deleted": […]}``, with the sink's own retries, Retry-After
    and deadline."""

    def deliver_events(self, events: Events, stop: threading.Event) -> None:
        self.post({b: list(events.get(b, [])) for b in BRANCHES}, stop)


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``PORT`` (on 127.0.0.1: never every interface unasked)."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InputError(f"--listen {text!r} is not HOST:PORT (e.g. 127.0.0.1:8099).", path="listen")
    return host, int(port)


class Listener:
    """One subscription: its stored state, the posts it receives and the polls that reconcile it."""

    def __init__(
        self,
        unit: UnitSpec,
        connection: Connection,
        inputs: Mapping[str, Any],
        *,
        client: OdooClient,
        store: StateStore,
        sink: EventSink,
        public_url: str,
        manifest: Manifest | None = None,
    ) -> None:
        if unit.lifecycle is None:
            raise InputError(
                f"{unit.key} is a polling trigger; --listen is for a trigger Odoo pushes to.",
                hint="Leave out --listen and --public-url to poll it.",
            )
        self.unit = unit
        self.connection = connection
        self.inputs = dict(inputs)
        self.client = client
        self.store = store
        self.sink = sink
        self.public_url = public_url
        self.manifest = manifest
        self.label = f"{unit.key} {self.inputs.get('model', '')}".strip()
        self._model = str(self.inputs.get("model", ""))
        self._fields = read_fields(self.inputs)  # a deletion post keeps only these values
        self._secret: str | None = None  # the subscription's secretSha256, once subscribed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state_key: StateKey | None = None
        self._failure: str | None = None
        self.subscribed = False
        self.reconciles = 0  # reconciliation polls attempted, for whoever waits on the first
        self._posts = PostQueue(self.label, self._confirm)
        self._post_failure: str | None = None
        self._refusals = Refusals(self.label)

    @property
    def state_key(self) -> StateKey:
        if self._state_key is None:
            self._state_key = StateKey.build(self.unit.key, self.connection, self.inputs, self.client.uid())
        return self._state_key

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Reuses the stored subscription when its rules still post to this URL, else subscribes."""
        with self._lock, self.store.claim(self.state_key) as (state, save):
            if state is not None and state.get("url") == self.public_url and self._rules_exist(state):
                log.info("%s: reusing the stored subscription (rules %s)", self.label, state["ruleIds"])
            else:
                if state is not None:
                    log.info("%s: the stored subscription is stale; replacing it", self.label)
                    self._unsubscribe(state)
                subscribe = self.unit.load_lifecycle("subscribe")
                state = subscribe(self.connection, self.inputs, self.public_url, client=self.client)
                save(state)
                log.info("%s: subscribed: rules %s post to %s", self.label, state["ruleIds"], self._where())
        self._secret = str(state["secretSha256"])
        self.subscribed = True
        self._posts.start()

    def _rules_exist(self, state: Mapping[str, Any]) -> bool:
        ids = state.get("ruleIds") or []
        found = self.client.call("base.automation", "search", domain=[["id", "in", ids]])
        return sorted(found) == sorted(ids)

    def _unsubscribe(self, state: Mapping[str, Any]) -> None:
        unsubscribe = self.unit.load_lifecycle("unsubscribe")
        removed = unsubscribe(self.connection, state, client=self.client)
        log.info("%s: unsubscribed: removed rules %s", self.label, removed["ruleIds"])

    def close_subscription(self) -> None:
        """On a clean stop: confirms the posts still queued, removes the rules, then forgets the
        state (a new run subscribes anew)."""
        self._posts.close()
        self._refusals.end()
        with self._lock:
            state = self.store.load(self.state_key)
            if state is not None:
                self._unsubscribe(state)
            self.store.reset(self.state_key)
            self.subscribed = False

    def _where(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    # -- the two paths -------------------------------------------------------------------------

    def check(self, query: str) -> tuple[int, dict[str, Any]] | None:
        """The answer to a post refused on its query string alone (503 before the subscription
        exists, 401 without its secret), or None: read the body. No lock and no SQLite, so a
        flood of forged posts costs a hash each and never waits for a poll."""
        if not self.subscribed or self._secret is None:
            return 503, {"error": "not subscribed yet"}
        try:
            check_token(self._secret, query)
        except OdooConnectorError as exc:
            return self.refuse(401, exc.message)
        return None

    def refuse(self, status: int, message: str) -> tuple[int, dict[str, Any]]:
        """The answer to a refused post; counted in the streak's log line, not logged alone."""
        self._refusals.add(status, message)
        return status, {"error": message}

    def take(self, query: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """A post whose secret :meth:`check` accepted: queued for the worker (202), or refused
        (400 for a body that is not Odoo's, 503 when the queue is full)."""
        try:
            hint = parse_post(self._model, query, body, self._fields)
        except OdooConnectorError as exc:
            return self.refuse(int(getattr(exc, "status_code", 400)), exc.message)
        if not self._posts.put(hint):
            return self.refuse(503, "too many posts waiting; the reconciliation poll will catch up")
        self._refusals.end()
        return 202, {"queued": 1}

    def _confirm(self, batch: list[Hint]) -> bool:
        """Reads the batch's records, delivers, then saves; on failure puts the batch back (the
        next try reads the records afresh) and returns False."""
        try:
            with self._lock, self.store.claim(self.state_key) as (state, save):
                result = confirm(self.client, state or {}, batch, self.inputs)
                if not result["polledNoChanges"]:
                    self.sink.deliver_events(result["data"], self._stop)
                if result["state"] != state:
                    save(result["state"])
        except (OdooConnectorError, DeliveryError, OSError, sqlite3.Error) as exc:
            message = redact(
                f"{type(exc).__name__}: {getattr(exc, 'message', exc)}", self.connection.secrets()
            )
            if message != self._post_failure:
                log.warning("%s: posts not confirmed yet (kept, trying again): %s", self.label, message)
            self._post_failure = message
            self._posts.put_back(batch)
            return False
        except Exception as exc:  # a bug: said with its traceback, the posts are dropped
            log.warning("%s: %d posts dropped: %s", self.label, len(batch), exc, exc_info=exc)
            return True
        if self._post_failure is not None:
            log.info("%s: posts are confirmed again", self.label)
            self._post_failure = None
        counts = {b: len(result["data"][b]) for b in BRANCHES}
        if any(counts.values()):
            log.info("%s: webhook: %s", self.label, ", ".join(f"{n} {b}" for b, n in counts.items()))
        return True

    def reconcile_once(self) -> dict[str, int] | None:
        """One reconciliation poll; never raises (a failure is logged once per streak)."""
        if self._stop.is_set() or not self.subscribed:
            return None
        self._refusals.end()  # a flood that never pauses is still summed up every interval
        try:
            return self._reconcile()
        finally:
            self.reconciles += 1

    def _reconcile(self) -> dict[str, int] | None:
        try:
            with self._lock, self.store.claim(self.state_key) as (state, save):
                result = invoke(
                    self.unit.key,
                    self.connection,
                    self.inputs,
                    state=state,
                    client=self.client,
                    manifest=self.manifest,
                )
                self.sink.deliver_events(result["data"], self._stop)
                save(result["state"])
        except (OdooConnectorError, DeliveryError, OSError, sqlite3.Error) as exc:
            message = redact(
                f"{type(exc).__name__}: {getattr(exc, 'message', exc)}", self.connection.secrets()
            )
            if message != self._failure:
                log.warning("%s: reconciliation failed, state kept: %s", self.label, message)
            self._failure = message
            return None
        except Exception as exc:  # a bug: said with its traceback, the schedule goes on
            log.warning("%s: reconciliation failed: %s", self.label, exc, exc_info=exc)
            return None
        if self._failure is not None:
            log.info("%s: reconciliation works again", self.label)
            self._failure = None
        counts = {b: len(result["data"][b]) for b in BRANCHES}
        log.info(
            "%s: reconciliation: %d created, %d updated missed by webhooks",
            self.label,
            counts["created"],
            counts["updated"],
        )
        return counts

    # -- stopping ------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():
            raise KeyboardInterrupt
        log.info("%s received: unsubscribing and stopping", signal.Signals(signum).name)
        self.stop()


def _check_public_url(url: str | None) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            "--public-url must be the https:// (or http://) address at which Odoo reaches this "
            "listener (a tunnel or reverse proxy in front of --listen).",
            path="public-url",
        )
    return str(url)


def run_listen(
    key: str,
    connection: Connection | Mapping[str, Any],
    inputs: Mapping[str, Any],
    *,
    listen: str | None,
    public_url: str | None,
    reconcile_interval: float = 300.0,
    state_path: str | Path | None = None,
    webhook: str | None = None,
    reset: bool = False,
    client_factory: Callable[[Connection], OdooClient] | None = None,
    sink: EventSink | None = None,
    install_signals: bool = True,
    ready: Callable[[Listener, int], None] | None = None,
) -> int:
    """Listens, subscribes, reconciles every ``reconcile_interval`` seconds until SIGINT/SIGTERM,
    then unsubscribes. ``ready(listener, port)`` is called once listening and subscribed (tests)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    if not reconcile_interval > 0:
        raise InputError(
            "--reconcile-interval must be a positive number of seconds.", path="reconcile-interval"
        )
    host, port = parse_listen(listen or "127.0.0.1:8099")
    url = _check_public_url(public_url)
    manifest = load_manifest()
    unit = manifest.unit(key)
    conn = parse_connection(connection)
    checked = validate_inputs(unit, inputs)
    path = Path(state_path) if state_path else default_state_path()
    try:
        store = StateStore(path)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"Cannot open the state file {str(path)!r}: {exc}.", path="state") from None
    events: EventSink = sink or (WebhookEvents(webhook) if webhook else StdoutEvents())
    client = (client_factory or client_module.make_client)(conn)
    server: Server | None = None
    scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)})
    restore_signals: Callable[[], None] = lambda: None  # noqa: E731
    try:
        listener = Listener(
            unit, conn, checked, client=client, store=store, sink=events, public_url=url, manifest=manifest
        )
        if reset:
            stored = store.load(listener.state_key)
            if stored is not None:
                listener._unsubscribe(stored)
            store.reset(listener.state_key)
        server = Server(make_app(listener), host, port)
        server.start()
        log.info("listening on %s:%d; Odoo posts to %s", host, server.port, listener._where())
        listener.start()
        if install_signals and threading.current_thread() is threading.main_thread():
            previous = {s: signal.signal(s, listener.handle_signal) for s in (signal.SIGINT, signal.SIGTERM)}

            def restore_signals() -> None:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

        scheduler.add_job(
            listener.reconcile_once,
            "interval",
            seconds=reconcile_interval,
            next_run_time=datetime.now(UTC),  # at once: what changed while we were down
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.start()
        log.info(
            "%s: reconciling every %gs; state in %s; delivering to %s",
            listener.label,
            reconcile_interval,
            store.path,
            events.describe(),
        )
        if ready is not None:
            ready(listener, server.port)
        while not listener.stopping:
            listener._stop.wait(0.5)
        scheduler.shutdown(wait=True)
        server.stop()
        server = None
        listener.close_subscription()  # only on a clean stop: a crash keeps the rules for a restart
        log.info("%s: stopped; no rule left in Odoo", listener.label)
        return 0
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if server is not None:
            server.stop()
        restore_signals()
        client.close()
        events.close()

"""``odoo-connector watch recordWebhookTrigger --listen … --public-url …``: Odoo pushes, we listen.

A real ASGI server (uvicorn running a Starlette app, the ``webhook`` extra: imported here only,
so the connector imports without them) receives Odoo's posts; a slow schedule runs the trigger's
reconciliation poll. Both paths go through one :class:`Listener`, which keeps the poll runner's
rules:

* one subscription per (trigger, Odoo URL, database, user, inputs), stored in the same SQLite
  file as the poll runner's states (:class:`~.state.StateStore`);
* a state is saved only after its records were delivered (at-least-once): a post whose delivery
  fails is answered 503 and not remembered, so the next reconciliation poll emits it;
* posts and polls take turns (one lock, one SQLite transaction each), so one change is never
  emitted by both at once.

Lifecycle: the server listens first, then the trigger subscribes (a post arriving in between is
answered 503 and reconciled later). A clean stop (Ctrl-C, SIGTERM) unsubscribes and forgets the
subscription; a crash does neither, so a restart finds the stored subscription, checks its rules
still exist in Odoo, reuses them and reconciles what it missed while down.

The ASGI app stays thin: its one route hands the query string and body to
:meth:`Listener.handle`, which calls the trigger's ``receive``. The access log is off: the
request line carries the subscription secret.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
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
from ..errors import InputError, OdooConnectorError, redact, require_extra
from ..manifest import Manifest, UnitSpec, load_manifest
from ..runtime import invoke, validate_inputs
from .sinks import DeliveryError, WebhookSink
from .state import StateKey, StateStore, default_state_path

__all__ = ["EventSink", "Listener", "parse_listen", "run_listen"]

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
        self._receive = unit.load_lifecycle("receive")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state_key: StateKey | None = None
        self._failure: str | None = None
        self.subscribed = False
        self.reconciles = 0  # reconciliation polls attempted, for whoever waits on the first

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
        self.subscribed = True

    def _rules_exist(self, state: Mapping[str, Any]) -> bool:
        ids = state.get("ruleIds") or []
        found = self.client.call("base.automation", "search", domain=[["id", "in", ids]])
        return sorted(found) == sorted(ids)

    def _unsubscribe(self, state: Mapping[str, Any]) -> None:
        unsubscribe = self.unit.load_lifecycle("unsubscribe")
        removed = unsubscribe(self.connection, state, client=self.client)
        log.info("%s: unsubscribed: removed rules %s", self.label, removed["ruleIds"])

    def close_subscription(self) -> None:
        """On a clean stop: removes the rules, then forgets the state (a new run subscribes anew)."""
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

    def handle(self, request: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """One post from Odoo: ``(status, body)`` for the answer. Delivered before it is saved."""
        if not self.subscribed:
            return 503, {"error": "not subscribed yet"}
        try:
            with self._lock, self.store.claim(self.state_key) as (state, save):
                result = self._receive(state, request, self.inputs)
                if not result["polledNoChanges"]:
                    self.sink.deliver_events(result["data"], self._stop)
                    save(result["state"])
                # A copy changes nothing worth a write: Odoo posts one create up to 13 times, and
                # waits for each answer before the next, so this path sets the pace of its request.
        except OdooConnectorError as exc:
            status = int(getattr(exc, "status_code", 400))
            if status == 401:
                log.warning("%s: refused a post without the subscription's secret", self.label)
            else:
                log.warning("%s: refused a post: %s", self.label, exc.message)
            return status, {"error": exc.message}
        except (DeliveryError, OSError, sqlite3.Error) as exc:
            log.warning("%s: a post was not delivered (the reconciliation poll will): %s", self.label, exc)
            return 503, {"error": "not delivered"}
        counts = {b: len(result["data"][b]) for b in BRANCHES}
        if any(counts.values()):
            log.info("%s: webhook: %s", self.label, ", ".join(f"{n} {b}" for b, n in counts.items()))
        return 200, {"emitted": counts}

    def reconcile_once(self) -> dict[str, int] | None:
        """One reconciliation poll; never raises (a failure is logged once per streak)."""
        if self._stop.is_set() or not self.subscribed:
            return None
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


def make_app(listener: Listener) -> Any:
    """The ASGI app: any POST goes to the listener (a reverse proxy may map any path to us);
    ``GET /`` answers 200 for health checks."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def post(request: Request) -> JSONResponse:
        body = await request.body()
        request_data = {"query": request.url.query, "body": body}
        status, payload = await run_in_threadpool(listener.handle, request_data)
        return JSONResponse(payload, status_code=status)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "listening" if listener.subscribed else "starting"})

    return Starlette(
        routes=[Route("/{path:path}", post, methods=["POST"]), Route("/", health, methods=["GET"])]
    )


class Server:
    """uvicorn on a thread, bound to a socket opened here (a port in use fails now, clearly)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        require_extra("webhook", ("uvicorn",), "--listen")
        import uvicorn
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP spelled out: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # proto says TCP, and a socket made with proto 0 keeps it on. Each answer (headers, then
        # body) then waited for the client's delayed ACK: 40 ms a post instead of about 1 ms, and
        # Odoo waits for every post of a transaction in turn.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as exc:
            self.socket.close()
            raise InputError(f"Cannot listen on {host}:{port}: {exc.strerror}.", path="listen") from None
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        waited = 0.0
        while not self.server.started and self.thread.is_alive() and waited < timeout:
            threading.Event().wait(0.02)
            waited += 0.02
        if not self.server.started:
            raise InputError("The webhook listener did not start.", path="listen")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


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

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

A post is only a hint (see :mod:`~odoo_connector.triggers.webhook_posts`: Odoo logs the secret
that authenticates it). Odoo posts inside its user's request and waits for each answer, so the
listener answers at once, in the event loop, and confirms later:

* the secret is checked first, from the query string alone, with no lock and no SQLite (401);
* the body is read as a stream, at most :data:`MAX_BODY` bytes (413 past it) within
  :data:`BODY_TIMEOUT` seconds (408 after it): a huge or dripping post holds neither memory nor
  a connection; a refused post's connection is closed;
* a well-formed post is queued and answered 202; a worker thread gathers what arrives within
  :data:`GATHER_QUIET` seconds of quiet (at most :data:`GATHER_MAX` after the first), reads those
  records from Odoo in one go, delivers, and only then saves. A batch that fails (Odoo or the
  sink down) is kept and tried again, so a deletion is not lost to a short outage;
* refused posts are logged once per streak, with a count when it ends.

Lifecycle: the server listens first, then the trigger subscribes (a post arriving in between is
answered 503 and reconciled later). A clean stop (Ctrl-C, SIGTERM) unsubscribes and forgets the
subscription; a crash does neither, so a restart finds the stored subscription, checks its rules
still exist in Odoo, reuses them and reconciles what it missed while down.

The ASGI app stays thin: its one route asks :meth:`Listener.check` about the query string,
reads the body, and hands both to :meth:`Listener.take`. The access log is off: the request line
carries the subscription secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol
from urllib.parse import urlsplit

from .. import client as client_module
from ..client import OdooClient
from ..connections import Connection, parse_connection
from ..errors import InputError, OdooConnectorError, redact, redact_data
from ..manifest import Manifest, UnitSpec, load_manifest
from ..runtime import invoke, validate_inputs
from ..triggers.webhook_posts import MAX_BODY, Hint, TooLarge, check_token, confirm, parse_post
from .sinks import DeliveryError, WebhookSink
from .state import StateKey, StateStore, default_state_path

__all__ = ["BODY_TIMEOUT", "MAX_BODY", "EventSink", "Listener", "parse_listen", "run_listen"]

log = logging.getLogger("odoo_connector.runner")

Events = Mapping[str, list[dict[str, Any]]]
BRANCHES = ("created", "updated", "deleted")
# Seconds a post's whole body may take to arrive; Odoo sends a few kB at once.
BODY_TIMEOUT = 5.0
# A batch of posts closes after this long without a new one, or this long after its first:
# Odoo posts a burst one at a time (12 ms apart on a real server), so a batch takes many.
GATHER_QUIET = 0.05
GATHER_MAX = 1.0
# Posts waiting to be confirmed; past this, posts are answered 503 (the reconciliation catches up).
PENDING_MAX = 100_000
# Wait before trying a failed batch again, doubled up to the maximum.
RETRY_FIRST, RETRY_MAX = 1.0, 30.0


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
            json.dumps(redact_data({"branch": branch, "record": r}), ensure_ascii=False, default=str)
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


class Refusals:
    """Refused posts, logged once per streak: the first with its reason, then, when a post is
    accepted (or at each reconciliation, or at the stop), one line with the count by status. A
    forged flood was 9 000 WARNING lines in 10 s when each refusal had its own."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._since = 0.0

    def add(self, status: int, message: str) -> None:
        with self._lock:
            first = not self._counts
            self._counts[status] += 1
            if first:
                self._since = time.monotonic()
        if first:
            log.warning(
                "%s: refused a post, answered %d: %s (more refusals are counted, not logged, until a "
                "post is accepted)",
                self.label,
                status,
                message,
            )

    def end(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            since = self._since
        if sum(counts.values()) > 1:
            log.warning(
                "%s: refused %d posts in %.0f s (%s)",
                self.label,
                sum(counts.values()),
                time.monotonic() - since,
                ", ".join(f"{n} answered {status}" for status, n in sorted(counts.items())),
            )


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
        self._secret: str | None = None  # the subscription's secretSha256, once subscribed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state_key: StateKey | None = None
        self._failure: str | None = None
        self.subscribed = False
        self.reconciles = 0  # reconciliation polls attempted, for whoever waits on the first
        # posts waiting for the worker (see the module doc)
        self._pending: list[Hint] = []
        self._arrived = threading.Condition()
        self._first_at = self._last_at = 0.0
        self._closing = False
        self._worker: threading.Thread | None = None
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
        if self._worker is None:
            self._worker = threading.Thread(target=self.work, name="webhook-posts", daemon=True)
            self._worker.start()

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
        self.close_posts()
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
            hint = parse_post(self._model, query, body)
        except OdooConnectorError as exc:
            return self.refuse(int(getattr(exc, "status_code", 400)), exc.message)
        with self._arrived:
            full = len(self._pending) >= PENDING_MAX
            if not full:
                now = time.monotonic()
                if not self._pending:
                    self._first_at = now
                self._last_at = now
                self._pending.append(hint)
                self._arrived.notify_all()
        if full:
            return self.refuse(503, "too many posts waiting; the reconciliation poll will catch up")
        self._refusals.end()
        return 202, {"queued": 1}

    def work(self) -> None:
        """The worker thread: confirms the queued posts in batches until :meth:`close_posts`."""
        delay = 0.0
        while True:
            batch = self._next_batch(delay)
            if batch is None:
                return
            if self._confirm(batch):
                delay = 0.0
            elif self._closing:
                log.warning("%s: stopping: %d posts left unconfirmed", self.label, len(self._take_all()))
                return
            else:
                delay = min(max(2 * delay, RETRY_FIRST), RETRY_MAX)

    def _take_all(self) -> list[Hint]:
        with self._arrived:
            batch, self._pending = self._pending, []
            return batch

    def _next_batch(self, delay: float) -> list[Hint] | None:
        """Waits ``delay`` (after a failure), then for posts, then for the burst to pause; None
        once closing with nothing left."""
        with self._arrived:
            if delay:
                self._arrived.wait_for(lambda: self._closing, timeout=delay)
            self._arrived.wait_for(lambda: bool(self._pending) or self._closing)
            while self._pending and not self._closing:
                left = min(self._last_at + GATHER_QUIET, self._first_at + GATHER_MAX) - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            if not self._pending:
                return None
            batch, self._pending = self._pending, []
            return batch

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
            with self._arrived:
                self._pending[:0] = batch
                self._first_at = self._last_at = time.monotonic()
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

    def close_posts(self, timeout: float = 30.0) -> None:
        """Lets the worker confirm what is queued, then end; logs the refusals not yet logged."""
        with self._arrived:
            self._closing = True
            self._arrived.notify_all()
        if self._worker is not None:
            self._worker.join(timeout)
        self._refusals.end()

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


async def _read_body(stream: Any) -> bytes:
    """The body as it arrives, refused with :class:`TooLarge` as soon as it passes MAX_BODY:
    what is held is never more than that (and uvicorn's 64 kB read buffer)."""
    body = bytearray()
    async for chunk in stream:
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge(f"The webhook body is larger than {MAX_BODY} bytes.")
    return bytes(body)


def make_app(listener: Listener) -> Any:
    """The ASGI app: any POST goes to the listener (a reverse proxy may map any path to us);
    ``GET /`` answers 200 for health checks."""
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def answer(status: int, payload: dict[str, Any]) -> JSONResponse:
        # A refused post's body may still be on its way: closing the connection is the one way
        # not to read it.
        headers = {"Connection": "close"} if status >= 400 else None
        return JSONResponse(payload, status_code=status, headers=headers)

    async def post(request: Request) -> JSONResponse:
        query = request.url.query
        refused = listener.check(query)
        if refused is not None:
            return answer(*refused)
        declared = request.headers.get("content-length", "")
        too_large = f"The webhook body is larger than {MAX_BODY} bytes."
        if declared.isdigit() and int(declared) > MAX_BODY:
            return answer(*listener.refuse(413, too_large))
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                body = await _read_body(request.stream())
        except TooLarge:
            return answer(*listener.refuse(413, too_large))
        except TimeoutError:
            return answer(*listener.refuse(408, f"The webhook body took longer than {BODY_TIMEOUT:g} s."))
        except ClientDisconnect:
            return answer(400, {"error": "the request ended before its body"})
        return answer(*listener.take(query, body))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "listening" if listener.subscribed else "starting"})

    return Starlette(
        routes=[Route("/{path:path}", post, methods=["POST"]), Route("/", health, methods=["GET"])]
    )


class Server:
    """uvicorn on a thread, bound to a socket opened here (a port in use fails now, clearly)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        try:
            import uvicorn
        except ImportError:
            raise InputError(
                "--listen needs the webhook extra (uvicorn and Starlette).",
                hint='Install it: python -m pip install "odoo-connector[webhook]".',
            ) from None
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

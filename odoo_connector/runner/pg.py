"""``odoo-connector runner`` with ``settings.state.postgres``: several processes share the triggers.

Built on Procrastinate (docs/runner.md says why it and not APScheduler 4 or Celery). Every runner
process is a Procrastinate worker plus a small deferrer:

* **The schedule** is a table, ``odoo_connector_schedule`` (trigger id, interval, next due time).
  Each process's deferrer claims the due rows (``FOR UPDATE SKIP LOCKED``, so two deferrers never
  claim one row), moves their due time one interval on, and defers one job per trigger with
  ``queueing_lock=<trigger id>``: at most one poll of a trigger waits in the queue, however many
  processes defer. A trigger whose connection already has ``perConnection`` jobs queued or
  running is left due: a slow Odoo's polls wait on their own limit, across all processes, and the
  workers' slots stay free for the others.
* **The poll** is a Procrastinate task with ``lock=<trigger id>``: Procrastinate never runs two
  jobs with one lock at once. The task runs the same :class:`~.watch.Watch` as ``watch`` and the
  one-process runner, on a :class:`PostgresStateStore`: the trigger's state row is locked
  (``SELECT … FOR UPDATE``) from loading to saving, and the new state is saved in that
  transaction after the delivery returned. A second poll of one trigger therefore cannot even
  start its read while one runs, whatever the engine believes.
* **A process that dies** (SIGKILL, a lost machine) stops its worker's heartbeat; PostgreSQL ends
  its transaction at once, which releases the row lock and drops the unsaved state. After
  ``settings.lease`` seconds without a heartbeat, any other process's deferrer finds the job
  stalled (:meth:`procrastinate.manager.JobManager.get_stalled_jobs`), marks it failed and makes
  the trigger due now. The next poll starts from the last saved state: a delivery that reached the
  sink but whose state was not saved is delivered again (at-least-once); nothing else repeats.

Every process must run the same config: a reload rewrites the shared schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status

from ..errors import InputError, OdooConnectorError, redact
from .config import RunnerConfig, dsn_passwords, load_config
from .embedded import LagLog, first_due, make_sink, make_watch
from .state import StateError, StateKey
from .watch import Watch

__all__ = ["POLL_TASK", "PostgresRunner", "PostgresStateStore", "apply_schema", "run_postgres"]

log = logging.getLogger("odoo_connector.runner")

POLL_TASK = "odoo_connector.poll"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS odoo_connector_trigger_state (
    trigger_key   TEXT NOT NULL,
    odoo_url      TEXT NOT NULL,
    odoo_database TEXT NOT NULL,
    odoo_user_id  INTEGER NOT NULL,
    inputs_hash   TEXT NOT NULL,
    inputs        TEXT NOT NULL,
    state         TEXT,
    saved_at      TIMESTAMPTZ,
    PRIMARY KEY (trigger_key, odoo_url, odoo_database, odoo_user_id, inputs_hash)
);
CREATE TABLE IF NOT EXISTS odoo_connector_schedule (
    trigger_id  TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    queue       TEXT NOT NULL,
    interval_s  DOUBLE PRECISION NOT NULL,
    next_due    TIMESTAMPTZ NOT NULL
);
"""
# The state row's key, (trigger_key, odoo_url, odoo_database, odoo_user_id, inputs_hash), as in SQLite.
_SELECT = (
    "SELECT state FROM odoo_connector_trigger_state WHERE (trigger_key, odoo_url, odoo_database, "
    "odoo_user_id, inputs_hash) = (%s, %s, %s, %s, %s)"
)
_LOCK = (
    "SELECT state FROM odoo_connector_trigger_state WHERE (trigger_key, odoo_url, odoo_database, "
    "odoo_user_id, inputs_hash) = (%s, %s, %s, %s, %s) FOR UPDATE"
)
_SAVE = (
    "UPDATE odoo_connector_trigger_state SET state = %s, saved_at = now() WHERE (trigger_key, "
    "odoo_url, odoo_database, odoo_user_id, inputs_hash) = (%s, %s, %s, %s, %s)"
)
_INSERT = (
    "INSERT INTO odoo_connector_trigger_state (trigger_key, odoo_url, odoo_database, odoo_user_id, "
    "inputs_hash, inputs) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


def apply_schema(dsn: str) -> None:
    """Procrastinate's schema and ours, once, whichever process starts first (an advisory lock
    serialises the check-then-create of several processes starting together)."""
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute("SELECT pg_advisory_lock(hashtext('odoo_connector.schema'))")
        try:
            exists = db.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if exists is None or exists[0] is None:
                app = App(connector=PsycopgConnector(conninfo=dsn))
                with app.open():
                    app.schema_manager.apply_schema()
            db.execute(_SCHEMA)
        finally:
            db.execute("SELECT pg_advisory_unlock(hashtext('odoo_connector.schema'))")


class PostgresStateStore:
    """Trigger states in PostgreSQL; one connection per polling thread (psycopg connections are
    not shared by threads mid-transaction)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._local = threading.local()
        self._all: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    def _db(self) -> psycopg.Connection[Any]:
        db: psycopg.Connection[Any] | None = getattr(self._local, "db", None)
        if db is None or db.closed:
            db = psycopg.connect(self.dsn)
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    @contextmanager
    def claim(self, key: StateKey) -> Iterator[tuple[dict[str, Any] | None, Any]]:
        """``(state, save)`` with the state row locked until the block ends; ``save`` commits
        with the block, an exception (or a killed process) rolls back."""
        try:
            db = self._db()
            where = (key.trigger_key, key.odoo_url, key.odoo_database, key.odoo_user_id, key.inputs_hash)
            with db.transaction():
                db.execute(_INSERT, (*where, key.inputs))
                row = db.execute(_LOCK, where).fetchone()
                state = json.loads(row[0]) if row and row[0] is not None else None

                def save(new: dict[str, Any]) -> None:
                    if new == state and row and row[0] is not None:
                        return  # an idle poll: nothing to write
                    text = json.dumps(new, sort_keys=True, separators=(",", ":"))
                    db.execute(_SAVE, (text, *where))

                yield state, save
        except psycopg.Error as exc:
            raise StateError(f"PostgreSQL: {type(exc).__name__}: {_said(exc, self.dsn)}") from None

    def load(self, key: StateKey) -> dict[str, Any] | None:
        where = (key.trigger_key, key.odoo_url, key.odoo_database, key.odoo_user_id, key.inputs_hash)
        with psycopg.connect(self.dsn) as db:
            row = db.execute(_SELECT, where).fetchone()
        return json.loads(row[0]) if row and row[0] is not None else None

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()


class PostgresRunner:
    """One runner process: Procrastinate worker, deferrer, reload; see the module docstring."""

    def __init__(
        self, config: RunnerConfig, *, tick: float = 0.1, name: str | None = None, lag_log: str | None = None
    ) -> None:
        assert config.postgres_dsn
        self.config = config
        self.dsn = config.postgres_dsn
        self.tick = tick
        self.name = name
        self.store = PostgresStateStore(self.dsn)
        self.lags = LagLog(lag_log) if lag_log else None
        self.app = App(connector=PsycopgConnector(conninfo=self.dsn))
        self.app.task(name=POLL_TASK, pass_context=False)(self._poll)
        self._watches: dict[str, tuple[str, Watch]] = {}
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._reload = False
        self._mtime = self._config_mtime()

    # --- the task -----------------------------------------------------------------------------

    def _poll(self, trigger_id: str, fingerprint: str, due: float) -> None:
        """One poll of ``trigger_id``; never raises (the Watch logs failures once per streak)."""
        started = time.time()
        watch = self._watch(trigger_id, fingerprint)
        if watch is None:
            log.warning("%s: not in this runner's config (is every runner on the same config?)", trigger_id)
            return
        watch.poll_once()
        if watch.retry_after:
            self._pause(trigger_id, watch.retry_after)
        if self.lags is not None:
            self.lags.write(trigger_id, due, started, time.time())

    def _pause(self, trigger_id: str, seconds: float) -> None:
        """Odoo answered 429 with a Retry-After longer than the client waits: no trigger of that
        connection falls due before then, in any process (the schedule is shared)."""
        spec = self.config.triggers.get(trigger_id)
        if spec is None:
            return
        log.warning("%s: Odoo answered 429; no poll for %gs", spec.connection_name, seconds)
        with psycopg.connect(self.dsn, autocommit=True) as db:
            db.execute(
                "UPDATE odoo_connector_schedule SET next_due = greatest(next_due, now() + %s * "
                "interval '1 second') WHERE queue = %s",
                (seconds, f"odoo:{spec.connection_name}"),
            )

    def _watch(self, trigger_id: str, fingerprint: str) -> Watch | None:
        with self._lock:
            spec = self.config.triggers.get(trigger_id)
            if spec is None or spec.fingerprint != fingerprint:
                return None
            known = self._watches.get(trigger_id)
            if known is not None and known[0] == fingerprint:
                return known[1]
            client = self._clients.get(spec.connection_name)
            if client is None:
                from .. import client as client_module

                client = self._clients[spec.connection_name] = client_module.make_client(spec.connection)
            watch = make_watch(spec, client, self.store, make_sink(spec))
            self._watches[trigger_id] = (fingerprint, watch)
            return watch

    # --- the schedule -------------------------------------------------------------------------

    async def _sync_schedule(self, db: psycopg.AsyncConnection[Any]) -> None:
        """Makes the schedule table this config's triggers; unchanged ones keep their due time."""
        now = time.time()
        rows = [
            (
                spec.id,
                spec.fingerprint,
                f"odoo:{spec.connection_name}",
                spec.interval,
                datetime.fromtimestamp(first_due(spec.id, spec.interval, now), UTC),
            )
            for spec in self.config.triggers.values()
        ]
        async with db.transaction():
            async with db.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO odoo_connector_schedule "
                    "(trigger_id, fingerprint, queue, interval_s, next_due) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (trigger_id) DO UPDATE SET "
                    "next_due = CASE WHEN odoo_connector_schedule.fingerprint = excluded.fingerprint "
                    "THEN odoo_connector_schedule.next_due ELSE excluded.next_due END, "
                    "fingerprint = excluded.fingerprint, queue = excluded.queue, "
                    "interval_s = excluded.interval_s",
                    rows,
                )
            await db.execute(
                "DELETE FROM odoo_connector_schedule WHERE NOT (trigger_id = ANY(%s))",
                ([spec.id for spec in self.config.triggers.values()],),
            )

    async def _claim_due(self, db: psycopg.AsyncConnection[Any]) -> list[tuple[str, str, str, float]]:
        """Due triggers whose connection has room, their due time moved one interval on."""
        async with db.transaction():
            cur = await db.execute(
                """
                WITH busy AS (
                    SELECT queue_name, count(*) AS n FROM procrastinate_jobs
                     WHERE status IN ('todo', 'doing') AND task_name = %(task)s GROUP BY queue_name
                ), ranked AS (
                    SELECT s.trigger_id, row_number() OVER (PARTITION BY s.queue ORDER BY s.next_due)
                           + coalesce(b.n, 0) AS place
                      FROM odoo_connector_schedule s LEFT JOIN busy b ON b.queue_name = s.queue
                     WHERE s.next_due <= now()
                ), due AS (
                    SELECT s.trigger_id, s.next_due AS was_due
                      FROM odoo_connector_schedule s JOIN ranked r USING (trigger_id)
                     WHERE r.place <= %(limit)s AND s.next_due <= now()
                     ORDER BY s.next_due LIMIT 1000 FOR UPDATE OF s SKIP LOCKED
                )
                UPDATE odoo_connector_schedule s
                   SET next_due = greatest(s.next_due + s.interval_s * interval '1 second', now())
                  FROM due WHERE s.trigger_id = due.trigger_id
             RETURNING s.trigger_id, s.fingerprint, s.queue, extract(epoch FROM due.was_due)
                """,
                {"task": POLL_TASK, "limit": self.config.per_connection},
            )
            return [(r[0], r[1], r[2], float(r[3])) for r in await cur.fetchall()]

    async def _defer(self, claimed: list[tuple[str, str, str, float]]) -> None:
        for trigger_id, fingerprint, queue, due in claimed:
            with contextlib.suppress(AlreadyEnqueued):
                await self.app.configure_task(
                    POLL_TASK, lock=trigger_id, queueing_lock=trigger_id, queue=queue
                ).defer_async(trigger_id=trigger_id, fingerprint=fingerprint, due=due)

    async def _take_over_stalled(self, db: psycopg.AsyncConnection[Any]) -> None:
        """Polls of a process without a heartbeat for ``lease`` seconds: failed, trigger due now."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            task_name=POLL_TASK, seconds_since_heartbeat=self.config.lease
        )
        for job in stalled:
            trigger_id = (job.task_kwargs or {}).get("trigger_id")
            try:
                await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            except Exception as exc:  # another process took it over first
                log.debug("stalled job %s: %s", job.id, exc)
                continue
            log.warning("%s: its runner stopped answering; the poll is taken over", trigger_id)
            await db.execute(
                "UPDATE odoo_connector_schedule SET next_due = now() WHERE trigger_id = %s", (trigger_id,)
            )
        if stalled:
            await self.app.job_manager.prune_stalled_workers(self.config.lease)

    def _config_mtime(self) -> float | None:
        try:
            return self.config.path.stat().st_mtime if self.config.path else None
        except OSError:
            return None

    async def _maybe_reload(self, db: psycopg.AsyncConnection[Any]) -> None:
        mtime = self._config_mtime()
        if not self._reload and mtime == self._mtime:
            return
        self._reload, self._mtime = False, mtime
        if self.config.path is None:
            return
        try:
            config = await asyncio.to_thread(load_config, self.config.path)
        except OdooConnectorError as exc:
            log.warning("runner: the new config is not used (the running one is kept): %s", exc.message)
            return
        with self._lock:
            self.config = config
        await self._sync_schedule(db)
        log.info("runner: config reloaded, %d trigger(s)", len(config.triggers))

    async def _deferrer(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as db:
            await self._sync_schedule(db)
            last_check = 0.0
            while True:
                try:
                    now = time.monotonic()
                    if now - last_check >= min(1.0, self.config.lease / 3):
                        last_check = now
                        await self._maybe_reload(db)
                        await self._take_over_stalled(db)
                    claimed = await self._claim_due(db)
                    await self._defer(claimed)
                except (psycopg.Error, OSError) as exc:
                    log.warning("runner: scheduling failed, retrying: %s", _said(exc, self.dsn))
                    claimed = []
                # more may be due already (a connection's limit let only some through): look again soon
                await asyncio.sleep(self.tick / 10 if claimed else self.tick)

    async def run_async(self) -> int:
        loop = asyncio.get_running_loop()
        # sync tasks run on the loop's default executor: one thread per concurrent poll
        loop.set_default_executor(ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="poll"))
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self._ask_reload)
        async with self.app.open_async():
            heartbeat = max(0.2, self.config.lease / 4)
            worker = asyncio.create_task(
                self.app.run_worker_async(
                    concurrency=self.config.concurrency,
                    name=self.name or "odoo-connector-runner",
                    install_signal_handlers=False,
                    delete_jobs="successful",
                    fetch_job_polling_interval=1.0,
                    update_heartbeat_interval=heartbeat,
                    stalled_worker_timeout=self.config.lease,
                )
            )
            deferrer = asyncio.create_task(self._deferrer())
            log.info("runner: %d trigger(s) shared over PostgreSQL", len(self.config.triggers))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({worker, deferrer, stopping}, return_when=asyncio.FIRST_COMPLETED)
            deferrer.cancel()
            worker.cancel()  # Procrastinate stops gracefully: polls in flight finish first
            for task in (deferrer, worker):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            stopping.cancel()
        self.store.close()
        if self.lags is not None:
            self.lags.close()
        for client in self._clients.values():
            client.close()
        log.info("runner: stopped")
        return 0

    def _ask_reload(self) -> None:
        self._reload = True


def _said(exc: BaseException, dsn: str) -> str:
    """A driver error's words without the DSN's password: libpq quotes the part of a DSN it
    cannot parse, and a short password is scrubbed only where its own request is echoed."""
    return redact(str(exc), tuple(dsn_passwords(dsn)))


def _route_engine_logs() -> None:
    """Procrastinate's warnings and errors go through the connector's handlers (JSON lines,
    redacted) like every other stderr line; its per-job info lines stay out."""
    ours = logging.getLogger("odoo_connector")
    theirs = logging.getLogger("procrastinate")
    theirs.handlers[:] = list(ours.handlers)
    theirs.setLevel(logging.DEBUG if ours.level == logging.DEBUG else logging.WARNING)
    theirs.propagate = False


def run_postgres(config: RunnerConfig, *, lag_log: str | None = None) -> int:
    """``runner`` with ``settings.state.postgres``: needs the extra ``runner-pg``."""
    assert config.postgres_dsn
    _route_engine_logs()
    try:
        apply_schema(config.postgres_dsn)
    except psycopg.Error as exc:
        raise InputError(
            "Cannot use the PostgreSQL database of settings.state.postgres: "
            f"{_said(exc, config.postgres_dsn)}",
            path="settings.state.postgres",
        ) from None
    return asyncio.run(PostgresRunner(config, lag_log=lag_log).run_async())

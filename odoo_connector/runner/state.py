"""The runner's trigger state, in one SQLite file.

SQLite rather than a JSON file per trigger: one file holds every watched trigger, and a
transaction makes "this poll's state replaces the last one" atomic through crashes and power
loss, without the rename dance a plain file needs.

A state belongs to (trigger key, Odoo URL, database, hash of the inputs). The inputs are hashed
*after* validation fills in the defaults, so ``{"model": "res.partner"}`` and the same with
``"lookbackSeconds": 300`` spelled out share one cursor, while another model or domain gets its
own. Secrets are not part of the key (they are not in the inputs either): rotating an API key
keeps the cursor.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..connections import Connection
from ..errors import InputError

__all__ = ["SharedStateStore", "StateBackend", "StateError", "StateKey", "StateStore", "default_state_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trigger_state (
    trigger_key   TEXT NOT NULL,
    odoo_url      TEXT NOT NULL,
    odoo_database TEXT NOT NULL,
    odoo_user_id  INTEGER NOT NULL,
    inputs_hash   TEXT NOT NULL,
    inputs        TEXT NOT NULL,
    state         TEXT NOT NULL,
    saved_at      TEXT NOT NULL,
    PRIMARY KEY (trigger_key, odoo_url, odoo_database, odoo_user_id, inputs_hash)
)
"""


def default_state_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/odoo-connector/state.sqlite``, else ``~/.local/share/…``: per user, so
    two users on one machine never share (or clobber) cursors."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "odoo-connector" / "state.sqlite"


_PRESENTATION_INPUTS = frozenset({"format"})


@dataclass(frozen=True)
class StateKey:
    trigger_key: str
    odoo_url: str
    odoo_database: str
    odoo_user_id: int  # users see different records (record rules): never share their cursors
    inputs_hash: str
    inputs: str  # kept beside the hash so a person reading the file can tell rows apart

    @classmethod
    def build(
        cls, trigger_key: str, connection: Connection, inputs: Mapping[str, Any], user_id: int
    ) -> StateKey:
        # How records are shown (``format``) does not change which records a cursor has covered:
        # switching it keeps the trigger's state instead of starting a new baseline.
        kept = {k: v for k, v in inputs.items() if k not in _PRESENTATION_INPUTS}
        text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return cls(trigger_key, connection.url, connection.database, user_id, digest, text)

    def _where(self) -> tuple[str, str, str, int, str]:
        return (self.trigger_key, self.odoo_url, self.odoo_database, self.odoo_user_id, self.inputs_hash)


class StateError(Exception):
    """A state store other than SQLite (PostgreSQL) failed; the poll is repeated, as for
    ``sqlite3.Error``."""


class StateBackend(Protocol):
    """What a poll needs from a state store: :meth:`claim` yields ``(state, save)``; ``save``
    takes effect only if the block ends without an exception. SQLite (:class:`StateStore`,
    :class:`SharedStateStore`) and PostgreSQL (:mod:`.pg`) implement it."""

    def claim(self, key: StateKey) -> AbstractContextManager[tuple[dict[str, Any] | None, Any]]: ...


class StateStore:
    """Load and save trigger states. Each call opens its own short-lived SQLite connection:
    the scheduler runs polls on a worker thread, and sqlite3 connections must not cross threads.

    :meth:`claim` holds one write transaction from loading a state to saving the next one, so a
    second watcher on the same file waits (up to ``busy_timeout`` seconds, then fails clearly)
    instead of reading the same state and delivering the same records again.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.busy_timeout = busy_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._transaction() as db:
                db.execute(_SCHEMA)
                db.execute("SELECT count(*) FROM trigger_state").fetchone()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise self._locked() from None
            raise InputError(
                f"The state file {str(self.path)!r} is not a usable SQLite database ({exc}).",
                path="state",
                hint="Move the file away (or delete it) to start new baselines, or pass --state with "
                "another file.",
            ) from None

    def _locked(self) -> InputError:
        return InputError(
            f"The state file {str(self.path)!r} is in use by another watcher (waited "
            f"{self.busy_timeout:g} s).",
            path="state",
            hint="Run one watcher per state file, or give each its own --state file.",
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # autocommit mode plus an explicit BEGIN IMMEDIATE: the write lock is taken up front, and
        # either every statement inside commits or none does.
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise self._locked() from None
                raise
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def claim(self, key: StateKey) -> Iterator[tuple[dict[str, Any] | None, Any]]:
        """``(state, save)`` inside one write transaction: nobody else loads or saves this file
        until the block ends; ``save(new_state)`` commits with the block, an exception rolls back."""
        with self._transaction() as db:
            yield self._select(db, key), lambda state: self._upsert(db, key, state)

    def load(self, key: StateKey) -> dict[str, Any] | None:
        """The state saved after the last delivered poll, or None before the first one."""
        db = sqlite3.connect(self.path, timeout=self.busy_timeout)
        try:
            return self._select(db, key)
        finally:
            db.close()

    def reset(self, key: StateKey) -> bool:
        """Forgets ``key``'s state (the next poll records a new baseline); True if there was one."""
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM trigger_state WHERE trigger_key = ? AND odoo_url = ? "
                "AND odoo_database = ? AND odoo_user_id = ? AND inputs_hash = ?",
                key._where(),
            )
            return cursor.rowcount > 0

    def _select(self, db: sqlite3.Connection, key: StateKey) -> dict[str, Any] | None:
        row = db.execute(
            "SELECT state FROM trigger_state WHERE trigger_key = ? AND odoo_url = ? "
            "AND odoo_database = ? AND odoo_user_id = ? AND inputs_hash = ?",
            key._where(),
        ).fetchone()
        if row is None:
            return None
        try:
            state: dict[str, Any] = json.loads(row[0])
        except (TypeError, ValueError):
            raise InputError(
                f"The stored state of {key.trigger_key} in {str(self.path)!r} is not JSON.",
                path="state",
                hint="Run watch with --reset to discard it and start a new baseline.",
            ) from None
        return state

    def save(self, key: StateKey, state: Mapping[str, Any]) -> None:
        """Replaces the state in one transaction: a crash leaves the previous state whole."""
        with self._transaction() as db:
            self._upsert(db, key, state)

    def _upsert(self, db: sqlite3.Connection, key: StateKey, state: Mapping[str, Any]) -> None:
        text = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        # Informational only: the trigger's cursor is server time and never this clock.
        saved_at = datetime.now(UTC).isoformat(timespec="seconds")
        db.execute(
            "INSERT INTO trigger_state "
            "(trigger_key, odoo_url, odoo_database, odoo_user_id, inputs_hash, inputs, state, "
            "saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (trigger_key, odoo_url, odoo_database, odoo_user_id, inputs_hash) "
            "DO UPDATE SET inputs = excluded.inputs, state = excluded.state, "
            "saved_at = excluded.saved_at",
            (*key._where(), key.inputs, text, saved_at),
        )


class SharedStateStore(StateStore):
    """The many-trigger runner's SQLite store: one runner process polls many triggers at once.

    :meth:`StateStore.claim` holds the file's write lock for a whole poll, which would run the
    runner's polls one at a time. Here the runner itself guarantees one poll per trigger at a
    time (and a lock file, :func:`~.embedded.lock_state_file`, one runner per file), so a claim
    reads the state, lets the poll deliver, and saves in its own short transaction: a crash before
    the save repeats the delivery, exactly as before. An idle poll returns the state it was given;
    that is not written again (one fsync'd SQLite commit per idle poll was most of a thousand
    triggers' lag, bench/runner_lag.py).
    """

    @contextmanager
    def claim(self, key: StateKey) -> Iterator[tuple[dict[str, Any] | None, Any]]:
        saved: list[Mapping[str, Any]] = []
        state = self.load(key)
        yield state, saved.append
        if saved and saved[-1] != state:
            self.save(key, saved[-1])

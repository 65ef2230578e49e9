"""``fields_get`` answers kept on disk between runs of the CLI.

A client keeps the fields of each model for its lifetime (:meth:`OdooClient.fields_get`). That is
enough for a platform or the runner, whose processes live long; a script calling the CLI once per
row starts a new process each time and would ask ``fields_get`` before every createRecord. So the
CLI turns this store on (:func:`use`): answers are files under ``$XDG_CACHE_HOME/odoo-connector/
fields`` (``~/.cache/…``), one per connection, model and language.

* **Keyed** by everything that makes two connections the same (:meth:`Connection.identity`:
  URL, database, login, a SHA-256 of the secret, default context) and the language: users see
  different fields (groups), and labels follow the language. The file name is a hash of that key:
  no URL, login or secret is written, and nothing in a file is one (field definitions only).
* **Invalidated** by time (``TTL``, 10 minutes: a module installed meanwhile shows within that) and
  by a changed field list: a value naming a field the kept list lacks makes the converter ask Odoo
  again before calling it unknown (:meth:`OdooClient.refresh_fields`).
* **Never in the way**: an unreadable, corrupt or unwritable file is a miss, not an error.

``ODOO_CONNECTOR_FIELDS_CACHE=off`` turns it off for the CLI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["TTL", "FieldsStore", "current", "default_dir", "use"]

TTL = 600.0

_store: FieldsStore | None = None


class FieldsStore:
    def __init__(self, root: Path, *, ttl: float = TTL) -> None:
        self.root = root
        self.ttl = ttl

    def _path(self, identity: str, model: str, language: str) -> Path:
        digest = hashlib.sha256("\0".join((identity, model, language)).encode("utf-8")).hexdigest()
        return self.root / f"{digest[:40]}.json"

    def load(self, identity: str, model: str, language: str) -> dict[str, dict[str, Any]] | None:
        """The kept answer, or None when there is none, it is too old, or it cannot be read."""
        try:
            kept = json.loads(self._path(identity, model, language).read_text(encoding="utf-8"))
            if time.time() - float(kept["saved"]) > self.ttl or not isinstance(kept["fields"], dict):
                return None
            return dict(kept["fields"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, identity: str, model: str, language: str, fields: Mapping[str, Any]) -> None:
        """Written whole or not at all (a temporary file renamed), readable by this user only."""
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            text = json.dumps({"saved": time.time(), "model": model, "fields": fields})
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".fields-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(tmp, self._path(identity, model, language))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass  # a cache that cannot be written costs one request next time, nothing more


def default_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/odoo-connector/fields``, else ``~/.cache/odoo-connector/fields``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "odoo-connector" / "fields"


def use(store: FieldsStore | None) -> None:
    """Turns the store on for every client of this process (the CLI does), or off (None)."""
    global _store
    _store = store


def current() -> FieldsStore | None:
    return _store

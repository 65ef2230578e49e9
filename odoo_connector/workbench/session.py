"""What the workbench keeps for its page: the connection (secrets included, never sent back), the
trigger's state between polls, and the CLI line equivalent to each run.

No web framework here: the server's routes are one line each over this class, and tests can drive
it directly. The page never receives the API key or password once they are saved: the
connection is shown without them (:meth:`Session.connection_view`), the CLI line names them as
placeholders, and an error that echoes them was scrubbed where it was built. Results are shown as
Odoo gave them: a login or a record that holds the password as a word is data, not a leak.

A saved secret belongs to the server, database and login it was saved with. Saving again with the
secret left empty keeps it only while those stay the same; naming another server (or port,
database, login) without a new secret is refused, so the saved key is never sent anywhere else.
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
from collections.abc import Mapping
from typing import Any

from ..connections import Connection, normalise_base_url, parse_connection
from ..errors import ConnectionSettingsError, InputError, OdooConnectorError, redact
from ..manifest import Manifest

__all__ = ["Session", "error_view"]

log = logging.getLogger("odoo_connector.workbench")

# connection field -> the variable the CLI reads it from (odoo_connector.connections.connection_from_env)
_ENV = {
    "baseUrl": "ODOO_URL",
    "port": "ODOO_PORT",
    "database": "ODOO_DB",
    "apiKey": "ODOO_API_KEY",
    "username": "ODOO_USERNAME",
    "password": "ODOO_PASSWORD",
    "timeout": "ODOO_TIMEOUT",
    "retryFor": "ODOO_RETRY_FOR",
    "companyId": "ODOO_COMPANY_ID",
    "language": "ODOO_LANGUAGE",
    "timezone": "ODOO_TIMEZONE",
}
_COMMAND = {"action": "run", "dataSource": "picklist", "trigger": "poll"}
_STATE_FILE = "workbench-state.json"


class Session:
    """One page's connection and trigger states; thread-safe (routes run in a thread pool)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._lock = threading.Lock()
        self._kind: str | None = None
        self._values: dict[str, Any] = {}
        self._connection: Connection | None = None
        self._states: dict[str, Any] = {}

    # -- the connection --------------------------------------------------------------------------

    def save_connection(self, kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Stores the connection the form sent. A secret left empty keeps the one saved before
        (the page never has it to send again), but only for the same connection type, server,
        port, database and login: the secret is forgotten when any of them changes."""
        try:
            spec = self.manifest.connection(kind)
        except KeyError:
            known = ", ".join(c.key for c in self.manifest.connections)
            raise ConnectionSettingsError(
                f"Unknown connection type {kind!r}.", hint=f"Use one of {known}."
            ) from None
        declared = {f.key: f for f in spec.fields}
        unknown = sorted(set(fields) - set(declared))
        if unknown:
            raise ConnectionSettingsError(f"{kind} has no field {unknown[0]!r}.", path=unknown[0])
        with self._lock:
            values: dict[str, Any] = {}
            for key, field in declared.items():
                value = fields.get(key)
                if isinstance(value, str):
                    value = value.strip() if not field.secret else value
                if value not in (None, ""):
                    values[key] = value
            same_place = self._kind == kind and _place(self._values) == _place(values)
            for key, field in declared.items():
                if field.secret and key not in values and key in self._values:
                    if not same_place:
                        raise ConnectionSettingsError(
                            f"Enter the {field.label} again: the saved one belongs to another "
                            "server, port, database or login, and is not sent anywhere else.",
                            path=key,
                        )
                    values[key] = self._values[key]
            connection = parse_connection({"type": kind, **values})
            self._kind, self._values, self._connection = kind, values, connection
            self._states.clear()  # a state belongs to the Odoo it was polled from
        return self.connection_view()

    def connection_view(self) -> dict[str, Any]:
        """The saved connection as the page may see it: values of non-secret fields, and only the
        names of the secrets that are set."""
        with self._lock:
            if self._kind is None:
                return {"type": None, "fields": {}, "secretsSet": []}
            spec = self.manifest.connection(self._kind)
            secret = {f.key for f in spec.fields if f.secret}
            return {
                "type": self._kind,
                "fields": {k: v for k, v in self._values.items() if k not in secret},
                "secretsSet": sorted(k for k in self._values if k in secret),
            }

    def _require_connection(self) -> Connection:
        with self._lock:
            if self._connection is None:
                raise ConnectionSettingsError(
                    "No connection yet.", hint="Fill in the connection form and save it first."
                )
            return self._connection

    def check(self) -> dict[str, Any]:
        """What ``odoo-connector check`` prints: server version, database, user, or the error;
        the same function, on the pooled client ``invoke`` uses."""
        from ..runtime import check_connection

        return check_connection(self._require_connection())

    # -- running units ---------------------------------------------------------------------------

    def run(self, key: str, inputs: Mapping[str, Any], *, reset: bool = False) -> dict[str, Any]:
        """Runs a unit through ``invoke``; a trigger polls against the state kept for this page
        (the first poll records a baseline, as ``poll`` does)."""
        from ..runtime import invoke

        conn = self._require_connection()
        try:
            unit = self.manifest.unit(key)
        except KeyError:
            raise InputError(f"Unknown key {key!r}.") from None
        if unit.kind != "trigger":
            return invoke(key, conn, inputs, manifest=self.manifest)
        slot = f"{key} {json.dumps(inputs, sort_keys=True)}"
        with self._lock:
            state = None if reset else self._states.get(slot)
        result = invoke(key, conn, inputs, state=state, manifest=self.manifest)
        with self._lock:
            self._states[slot] = result.get("state")
        return result

    def command_line(self, key: str, inputs: Mapping[str, Any]) -> str:
        """The CLI line that does what the page just did; secrets are placeholders."""
        try:
            kind = self.manifest.unit(key).kind
        except KeyError:
            kind = "action"
        with self._lock:
            values, spec_kind = dict(self._values), self._kind
        secret = set()
        if spec_kind is not None:
            secret = {f.key for f in self.manifest.connection(spec_kind).fields if f.secret}
        env = []
        for field, value in values.items():
            name = _ENV.get(field)
            if name is None:
                continue
            shown = f"<your {field}>" if field in secret else str(value)
            env.append(f"{name}={shlex.quote(shown)}")
        text = json.dumps(_without_defaults(self.manifest, key, inputs), ensure_ascii=False)
        words = [*env, "odoo-connector", _COMMAND[kind], key, "--input", shlex.quote(text)]
        if kind == "trigger":
            words += ["--state", _STATE_FILE]
        return " ".join(words)


def _place(values: Mapping[str, Any]) -> tuple[str, str, str]:
    """Where a connection's secret is sent and for whom: the normalised server address (port
    included), the database and the login. ``https://acme.odoo.com/`` and ``https://acme.odoo.com``
    are one place; a URL that cannot be read is a place of its own (the save then fails on it)."""
    raw_url, port = str(values.get("baseUrl", "")), values.get("port")
    try:
        url = normalise_base_url(raw_url, int(port) if port not in (None, "") else None)
    except (OdooConnectorError, TypeError, ValueError):
        url = f"{raw_url}\0{port}"
    return url, str(values.get("database", "")).strip(), str(values.get("username", "")).strip()


def _without_defaults(manifest: Manifest, key: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs less those equal to their schema default: the form sends every default (it
    shows them), the CLI line leaves them out, and ``invoke`` fills them in the same either way."""
    try:
        properties = manifest.unit(key).input_schema.get("properties", {})
    except KeyError:
        return dict(inputs)

    def same(a: Any, b: Any) -> bool:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)

    return {
        name: value
        for name, value in inputs.items()
        if not ("default" in properties.get(name, {}) and same(properties[name]["default"], value))
    }


def error_view(exc: BaseException) -> dict[str, Any]:
    """The error as the CLI's last stderr line words it: type, message, hint, path."""
    if isinstance(exc, OdooConnectorError):
        return exc.to_dict()
    log.exception("unexpected error in the workbench")
    return {
        "type": "UnexpectedError",
        "message": redact(f"{type(exc).__name__}: {exc}"),
        "hint": "This is a bug in odoo-connector; rerun the CLI line with --debug and report it.",
    }

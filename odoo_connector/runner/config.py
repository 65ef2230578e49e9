"""``runner.yaml``: many triggers, their connections and sinks, for ``odoo-connector runner``.

The file is read once into pydantic models and checked whole before anything runs, so a typo in
the 200th trigger fails at start (or at reload, which then keeps the previous config) with the
exact place in the file: ``triggers[199].inputs.pageSize``. ``validate-config`` runs the same
checks without contacting Odoo.

Secrets are never written in the file: a connection's ``apiKey`` or ``password``, a webhook URL
(it may carry a token) and a PostgreSQL DSN are references, ``{env: NAME}`` or ``{file: PATH}``,
resolved when the config is loaded and registered for redaction at once. A literal secret is
refused: a config file is copied, committed and pasted into tickets far more often than a
secrets store is. That holds for every webhook URL, not only those with a visible ``?token=`` or
``user:password@``: the receivers this connector feeds (n8n's ``/webhook/<id>``, Zapier's
``/hooks/catch/<id>/<key>/``, Slack's ``/services/…``) carry their secret in the path, where no
check could tell it from an ordinary path.

A ``{file: PATH}`` secret is the file's first line, trimmed (a comment or a trailing newline after
it is ignored); a file that other users of the machine may read is used, with one warning line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shlex
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..connections import API_KEY, BASIC_AUTH, Connection, parse_connection
from ..errors import InputError, OdooConnectorError, register_secret
from ..manifest import Manifest, load_manifest
from ..runtime import validate_inputs

__all__ = ["ConfigError", "RunnerConfig", "TriggerSpec", "dsn_passwords", "load_config", "parse_config"]

log = logging.getLogger("odoo_connector.runner")

_NO_LITERAL = "holds a secret written in the file; reference it as {env: NAME} or {file: PATH} instead"


class ConfigError(InputError):
    """The runner config is wrong; ``path`` says where in the file (exit status 2)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SecretRef(_Strict):
    """Where a secret lives: an environment variable or a file (its first line, trimmed)."""

    env: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("needs exactly one of env or file")
        return self

    def resolve(self, path: str, base: Path) -> str:
        if self.env is not None:
            value = os.environ.get(self.env, "")
            if not value:
                raise ConfigError(f"In {path}, the environment variable {self.env} is not set.", path=path)
        else:
            where = Path(self.file or "").expanduser()
            where = where if where.is_absolute() else base / where
            try:
                with where.open(encoding="utf-8") as handle:
                    value = handle.readline().strip()
                mode = where.stat().st_mode
            except OSError as exc:
                raise ConfigError(
                    f"In {path}, the secret file {str(where)!r} cannot be read ({exc.strerror}).", path=path
                ) from None
            except UnicodeDecodeError:
                raise ConfigError(
                    f"In {path}, the secret file {str(where)!r} is not UTF-8 text.", path=path
                ) from None
            if not value:
                raise ConfigError(
                    f"In {path}, the first line of the secret file {str(where)!r} is empty.",
                    path=path,
                    hint="Write the secret alone on the file's first line.",
                )
            if os.name == "posix" and mode & (stat.S_IRGRP | stat.S_IROTH):
                log.warning(
                    "In %s, the secret file %r can be read by other users of this machine (mode %s); "
                    "make it private: chmod 600 %s",
                    path,
                    str(where),
                    oct(stat.S_IMODE(mode)),
                    shlex.quote(str(where)),
                )
        register_secret(value)
        return value


class ConnectionConfig(_Strict):
    url: str
    database: str
    port: int | None = None
    kind: Literal["apiKey", "basicAuth"] = "apiKey"
    api_key: SecretRef | None = Field(default=None, alias="apiKey")
    username: str | None = None
    password: SecretRef | None = None
    timeout: float | None = None
    retry_for: float | None = Field(default=None, alias="retryFor")


class WebhookSinkConfig(_Strict):
    webhook: SecretRef | str  # a string is refused with its own message (parse_config)


class TriggerConfig(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")]
    trigger: str
    connection: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    interval: Annotated[float, Field(gt=0)] = 60.0
    sink: Literal["stdout"] | WebhookSinkConfig = "stdout"


class StateConfig(_Strict):
    sqlite: str | None = None
    postgres: SecretRef | None = None

    @model_validator(mode="after")
    def _one(self) -> StateConfig:
        if (self.sqlite is None) == (self.postgres is None):
            raise ValueError("needs exactly one of sqlite (a file path) or postgres (a DSN reference)")
        return self


class Settings(_Strict):
    concurrency: Annotated[int, Field(ge=1, le=1024)] = 16
    per_connection: Annotated[int, Field(ge=1, le=1024)] = Field(default=4, alias="perConnection")
    state: StateConfig | None = None
    # PostgreSQL only: seconds without a worker heartbeat before its polls are taken over.
    lease: Annotated[float, Field(ge=1, le=3600)] = 30.0


class FileModel(_Strict):
    version: Literal[1] = 1
    settings: Settings = Field(default_factory=Settings)
    connections: dict[str, ConnectionConfig]
    triggers: list[TriggerConfig]


@dataclass(frozen=True)
class TriggerSpec:
    """One trigger, checked and resolved: what the runners schedule."""

    id: str
    key: str
    connection_name: str
    connection: Connection
    inputs: dict[str, Any]
    interval: float
    webhook: str | None  # None: stdout
    sink_ref: str = "stdout"  # the sink as written in the file: a reference, not the resolved URL

    @property
    def fingerprint(self) -> str:
        """Changes when what the file says of the trigger changes; a reload replaces it then.
        Built from the file's words (secret references, not their values), so runner processes
        with their own environments agree on it (PostgreSQL jobs carry it)."""
        text = json.dumps(
            [self.key, self.connection_name, self.inputs, self.interval, self.sink_ref, self.connection.url],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RunnerConfig:
    path: Path | None
    concurrency: int
    per_connection: int
    sqlite_path: Path | None
    postgres_dsn: str | None
    lease: float
    connections: dict[str, Connection]
    triggers: dict[str, TriggerSpec] = field(default_factory=dict)


def dsn_passwords(dsn: str) -> list[str]:
    """The password inside a DSN (URL or key=value form): scrubbed from the driver's errors
    (runner/pg.py), which may quote it without the rest of the DSN."""
    found = [m.group(1).strip("'") for m in re.finditer(r"(?:^|\s)password\s*=\s*('[^']*'|\S+)", dsn)]
    with contextlib.suppress(ValueError):
        password = urlsplit(dsn).password
        if password:
            found += [password, unquote(password)]  # as written (%-quoted) and as sent
    return found


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_error(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    # pydantic names union branches in loc ("str", "WebhookSinkConfig"): not places in the file
    parts = tuple(p for p in first["loc"] if not (isinstance(p, str) and (p[:1].isupper() or "[" in p)))
    where = _loc(parts) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "is missing (it is required)"
    elif first["type"] == "extra_forbidden":
        message = "is not a known setting (a typo?)"
    elif (
        first["type"] in ("model_type", "model_attributes_type")
        and parts
        and parts[-1]
        in (
            "apiKey",
            "password",
            "postgres",
        )
    ):
        message = _NO_LITERAL
    return ConfigError(f"In {where}, the value {message}.", path=where)


def parse_config(
    data: Any, *, base: Path | None = None, path: Path | None = None, manifest: Manifest | None = None
) -> RunnerConfig:
    """Checks a parsed YAML document whole: schema, secret references, connection names,
    trigger keys and every trigger's inputs against the manifest. Nothing reaches Odoo."""
    base = base or Path.cwd()
    if not isinstance(data, Mapping):
        raise ConfigError("The runner config must be a YAML mapping with connections and triggers.")
    try:
        model = FileModel.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc) from None
    manifest = manifest or load_manifest()
    connections: dict[str, Connection] = {}
    for name, settings in model.connections.items():
        where = f"connections.{name}"
        values: dict[str, Any] = {
            "baseUrl": settings.url,
            "database": settings.database,
            "port": settings.port,
        }
        if settings.timeout is not None:
            values["timeout"] = settings.timeout
        if settings.retry_for is not None:
            values["retryFor"] = settings.retry_for
        if settings.kind == "apiKey":
            if settings.api_key is None:
                raise ConfigError(f"In {where}, apiKey is required for kind apiKey.", path=f"{where}.apiKey")
            values.update(type=API_KEY, apiKey=settings.api_key.resolve(f"{where}.apiKey", base))
        else:
            if settings.password is None or not settings.username:
                missing = "username" if not settings.username else "password"
                raise ConfigError(
                    f"In {where}, {missing} is required for kind basicAuth.", path=f"{where}.{missing}"
                )
            values.update(
                type=BASIC_AUTH,
                username=settings.username,
                password=settings.password.resolve(f"{where}.password", base),
            )
        try:
            connections[name] = parse_connection(values)
        except OdooConnectorError as exc:
            raise ConfigError(
                f"In {where}, {exc.message}", path=f"{where}.{exc.path or ''}".rstrip(".")
            ) from None
    triggers: dict[str, TriggerSpec] = {}
    triggers_by_key = {u.key: u for u in manifest.units() if u.kind == "trigger"}
    for index, trig in enumerate(model.triggers):
        where = f"triggers[{index}]"
        if trig.id in triggers:
            raise ConfigError(
                f"In {where}.id, {trig.id!r} is used twice; ids must be unique.", path=f"{where}.id"
            )
        unit = triggers_by_key.get(trig.trigger)
        if unit is None:
            known = ", ".join(k for k, u in triggers_by_key.items() if u.lifecycle is None)
            raise ConfigError(
                f"In {where}.trigger, {trig.trigger!r} is not a trigger the runner can poll.",
                path=f"{where}.trigger",
                hint=f"Polling triggers: {known}.",
            )
        if unit.lifecycle is not None:
            raise ConfigError(
                f"In {where}.trigger, {trig.trigger} is pushed by Odoo; the runner only polls.",
                path=f"{where}.trigger",
                hint="Run it with `odoo-connector watch --listen`.",
            )
        conn = connections.get(trig.connection)
        if conn is None:
            known = ", ".join(sorted(connections)) or "none"
            raise ConfigError(
                f"In {where}.connection, there is no connection named {trig.connection!r} (known: {known}).",
                path=f"{where}.connection",
            )
        if conn.type not in unit.connections:
            raise ConfigError(
                f"In {where}.connection, {unit.key} needs a {' or '.join(unit.connections)} connection.",
                path=f"{where}.connection",
            )
        try:
            inputs = validate_inputs(unit, trig.inputs)
        except InputError as exc:
            inner = f"{where}.inputs" + (f".{exc.path}" if exc.path else "")
            raise ConfigError(f"In {inner}, {exc.message}", path=inner, hint=exc.hint or None) from None
        webhook = None
        if isinstance(trig.sink, WebhookSinkConfig):
            hook = trig.sink.webhook
            if not isinstance(hook, SecretRef):
                raise ConfigError(
                    f"In {where}.sink.webhook, the value is a URL written in the file; reference it as "
                    "{env: NAME} or {file: PATH} instead.",
                    path=f"{where}.sink.webhook",
                    hint="A webhook URL carries its receiver's secret (a ?token=, a user:password@, or "
                    "the path itself, as n8n, Zapier and Slack URLs do), and a config file is copied "
                    "and shared: put the URL in an environment variable or a private file.",
                )
            webhook = hook.resolve(f"{where}.sink.webhook", base)
            if not webhook.startswith(("http://", "https://")):
                raise ConfigError(
                    f"In {where}.sink.webhook, the URL must start with http:// or https://.",
                    path=f"{where}.sink.webhook",
                )
        sink_ref = json.dumps(
            trig.sink if isinstance(trig.sink, str) else trig.sink.model_dump(), sort_keys=True
        )
        triggers[trig.id] = TriggerSpec(
            trig.id, unit.key, trig.connection, conn, inputs, trig.interval, webhook, sink_ref
        )
    state = model.settings.state
    sqlite_path = None
    dsn = None
    if state is not None and state.postgres is not None:
        dsn = state.postgres.resolve("settings.state.postgres", base)
        register_secret(*dsn_passwords(dsn))
    elif state is not None and state.sqlite is not None:
        sqlite_path = Path(state.sqlite).expanduser()
        sqlite_path = sqlite_path if sqlite_path.is_absolute() else base / sqlite_path
    return RunnerConfig(
        path=path,
        concurrency=model.settings.concurrency,
        per_connection=model.settings.per_connection,
        sqlite_path=sqlite_path,
        postgres_dsn=dsn,
        lease=model.settings.lease,
        connections=connections,
        triggers=triggers,
    )


def load_config(path: str | Path, *, manifest: Manifest | None = None) -> RunnerConfig:
    """Reads and checks ``path``; relative paths inside it are relative to the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the runner config {str(file)!r}: {exc}.", path="config") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"The runner config {str(file)!r} is not valid YAML: {exc}.", path="config"
        ) from None
    return parse_config(data, base=file.resolve().parent, path=file, manifest=manifest)

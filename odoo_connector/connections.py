"""Connection settings, as a platform form or the CLI provides them, normalised once.

A user pastes whatever the browser shows (``https://acme.odoo.com/odoo/contacts``, a trailing
slash, a port in the URL and again in the port field); the connector needs exactly
``scheme://host[:port]``. Everything here runs before any request, so a typo is an
:class:`~odoo_connector.errors.ConnectionSettingsError` naming the field, not a 404 from a proxy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .errors import ConnectionSettingsError, register_secret

__all__ = [
    "API_KEY",
    "BASIC_AUTH",
    "ApiKeyConnection",
    "BasicAuthConnection",
    "Connection",
    "connection_from_env",
    "parse_connection",
]

API_KEY = "odooApiKey"
BASIC_AUTH = "odooBasicAuth"

# Paths of Odoo's own web client that people copy from the address bar; they say nothing about
# where the API lives, so they are dropped rather than rejected.
_WEB_CLIENT_PATHS = re.compile(r"^/(odoo|web|en|odoo/.*|web/.*|[a-z]{2}_[A-Z]{2})?/?$")
# A DNS name, an IPv4 address or an IPv6 literal (urlsplit gives it without brackets). Anything
# else (a '%', a '!', non-ASCII text) would fail later inside the HTTP stack with a less clear error.
_HOST = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+$|^[0-9A-Fa-f:.]+$")
# Odoo's own rule for database names (odoo.service.db.DBNAME_PATTERN).
_DBNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def normalise_base_url(raw: str, port: int | None) -> str:
    """Returns ``scheme://host[:port]`` or raises InputError saying what to change."""
    text = raw.strip()
    if not text:
        raise ConnectionSettingsError(
            "The Odoo base URL is empty.",
            path="baseUrl",
            hint="Enter the address you open Odoo with, e.g. https://acme.odoo.com",
        )
    if "@" in text.split("?", 1)[0].split("#", 1)[0]:
        # Checked before anything echoes the URL: "user:password@host" must not reach a message.
        raise ConnectionSettingsError(
            "The Odoo base URL must not contain a user name or password (an '@' before the host).",
            path="baseUrl",
            hint="Put the credentials in the API key or username/password fields instead.",
        )
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in text):
        raise ConnectionSettingsError(
            "The Odoo base URL must not contain spaces or control characters.", path="baseUrl"
        )
    if "://" not in text:
        raise ConnectionSettingsError(
            f"The Odoo base URL {text!r} has no scheme.",
            path="baseUrl",
            hint=f"Write it with https:// in front, e.g. https://{text.strip('/')}",
        )
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for https://[::1
        raise ConnectionSettingsError(
            f"The Odoo base URL {text!r} is not a valid URL: {exc}.", path="baseUrl"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise ConnectionSettingsError(
            f"The Odoo base URL must start with https:// or http://, not {parts.scheme}://.", path="baseUrl"
        )
    if not hostname:
        raise ConnectionSettingsError(f"The Odoo base URL {text!r} has no host name.", path="baseUrl")
    if parts.query or parts.fragment:
        raise ConnectionSettingsError(
            "The Odoo base URL must not contain '?' or '#' parts.",
            path="baseUrl",
            hint="Use only the server address, e.g. https://acme.odoo.com",
        )
    if parts.path and not _WEB_CLIENT_PATHS.match(parts.path):
        raise ConnectionSettingsError(
            f"The Odoo base URL has a path ({parts.path!r}); the connector needs the server address only.",
            path="baseUrl",
            hint=f"Use {parts.scheme}://{parts.netloc}",
        )
    try:
        url_port = parts.port
    except ValueError as exc:
        raise ConnectionSettingsError(
            f"The port in the Odoo base URL is not valid: {exc}.", path="baseUrl"
        ) from exc
    if url_port is not None and port is not None and url_port != port:
        raise ConnectionSettingsError(
            f"The base URL says port {url_port} but the port field says {port}.",
            path="port",
            hint="Leave the port field empty or make the two agree.",
        )
    effective = port if port is not None else url_port
    host = hostname
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        ascii_host = ""
    if not _HOST.fullmatch(ascii_host):
        raise ConnectionSettingsError(
            f"The Odoo base URL {text!r} has a host name that is not valid ({host!r}).", path="baseUrl"
        )
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    if effective is None or effective == default_port:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{effective}"


Port = Annotated[int, Field(ge=1, le=65535)]


class _ConnectionBase(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    base_url: str = Field(alias="baseUrl")
    port: Port | None = None
    database: str
    # seconds one request may take in all (client/http.py: deadline); None = the default, 120 s
    timeout: Annotated[float, Field(ge=1, le=3600)] | None = None
    # seconds a read keeps retrying through an Odoo restart (client/http.py); None = 60, 0 = never
    retry_for: Annotated[float, Field(ge=0, le=3600)] | None = Field(default=None, alias="retryFor")
    # defaults for every call's context (odoo_connector/context.py); a call's context overrides them
    company_id: Annotated[int, Field(ge=1, le=2147483647)] | None = Field(default=None, alias="companyId")
    language: str | None = None
    timezone: str | None = None

    @field_validator("language", "timezone")
    @classmethod
    def _context_text(cls, value: str | None, info: Any) -> str | None:
        from .context import odoo_context

        if value is None or not value.strip():
            return None
        key = "language" if info.field_name == "language" else "timezone"
        try:
            odoo_context({key: value.strip()})
        except Exception:  # the context module words it for inputs; here it is a connection field
            example = "fr_FR or en_US" if key == "language" else "Europe/Brussels"
            raise ValueError(f"must be like {example}") from None
        return value.strip()

    def default_context(self) -> dict[str, Any]:
        """Odoo context keys for the connection's defaults (empty when none is set)."""
        from .context import odoo_context

        return odoo_context(
            {"companyId": self.company_id, "language": self.language, "timezone": self.timezone},
            where="connection",
        )

    @field_validator("database")
    @classmethod
    def _database(cls, value: str) -> str:
        value = value.strip()
        if not _DBNAME.fullmatch(value):
            raise ValueError(
                "must be an Odoo database name: letters, digits, '_', '.', '-', at least 2 characters"
            )
        return value

    @property
    def url(self) -> str:
        """The normalised ``scheme://host[:port]`` every request starts with."""
        return normalise_base_url(self.base_url, self.port)

    def model_post_init(self, context: Any, /) -> None:
        # Every output channel redacts the secrets of every connection the process has seen.
        register_secret(*self.secrets())

    def secrets(self) -> tuple[str, ...]:
        return ()


class ApiKeyConnection(_ConnectionBase):
    """``odooApiKey``: Odoo 19+ External JSON-2 API, bearer API key."""

    type: Literal["odooApiKey"] = "odooApiKey"
    api_key: SecretStr = Field(alias="apiKey")

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value().strip()
        if not raw:
            raise ValueError("is empty")
        if any(ch.isspace() for ch in raw):
            raise ValueError("contains spaces; paste the key exactly as Odoo showed it")
        if not raw.isascii():  # it travels in an HTTP header, which carries ASCII only
            raise ValueError(
                "contains characters Odoo's keys never have; paste the key exactly as Odoo showed it"
            )
        return SecretStr(raw)

    def secrets(self) -> tuple[str, ...]:
        return (self.api_key.get_secret_value(),)


class BasicAuthConnection(_ConnectionBase):
    """``odooBasicAuth``: XML-RPC with login and password (or an API key as the password).

    Deprecated by Odoo: XML-RPC and JSON-RPC are scheduled for removal in Odoo 22 (Odoo Online 21.1).
    """

    type: Literal["odooBasicAuth"] = "odooBasicAuth"
    username: str
    password: SecretStr

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("is empty")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("is empty")
        return value

    def secrets(self) -> tuple[str, ...]:
        return (self.password.get_secret_value(),)


Connection = ApiKeyConnection | BasicAuthConnection

_FIELD_NAMES = {
    "base_url": "baseUrl",
    "api_key": "apiKey",
    "company_id": "companyId",
    "retry_for": "retryFor",
}
# fields in seconds, which a form or a variable may give as text: (smallest, largest)
_SECONDS = {"timeout": (1, 3600), "retryFor": (0, 3600)}


def parse_connection(data: Mapping[str, Any] | Connection) -> Connection:
    """Builds a connection from a platform form / JSON file, raising InputError that names the
    field (never its value: it may be a secret)."""
    if isinstance(data, ApiKeyConnection | BasicAuthConnection):
        return data
    values = {k: v for k, v in data.items() if v is not None and v != ""}
    kind = values.pop("type", None)
    if kind is None:
        kind = API_KEY if "apiKey" in values else BASIC_AUTH
    if "port" in values and isinstance(values["port"], str):
        text = values["port"].strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 5):
            raise ConnectionSettingsError(
                f"The port must be a whole number from 1 to 65535, not {text!r}.", path="port"
            )
        values["port"] = int(text)
    if "companyId" in values and isinstance(values["companyId"], str):
        text = values["companyId"].strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            raise ConnectionSettingsError(
                f"The companyId must be a company id (a whole number of 1 or more), not {text!r}.",
                path="companyId",
            )
        values["companyId"] = int(text)
    for name, (low, high) in _SECONDS.items():
        if name in values and isinstance(values[name], str):
            text = values[name].strip()
            try:
                values[name] = float(text) if text.isascii() else None
            except ValueError:
                values[name] = None
            if values[name] is None:
                raise ConnectionSettingsError(
                    f"The {name} must be a number of seconds from {low} to {high}, not {text!r}.", path=name
                )
    model: type[ApiKeyConnection] | type[BasicAuthConnection]
    if kind == API_KEY:
        model = ApiKeyConnection
    elif kind == BASIC_AUTH:
        model = BasicAuthConnection
    else:
        raise ConnectionSettingsError(
            f"Unknown connection type {kind!r}.",
            path="type",
            hint=f"Use {API_KEY!r} (Odoo 19+, API key) or {BASIC_AUTH!r} (XML-RPC, deprecated).",
        )
    try:
        conn = model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        name = _FIELD_NAMES.get(loc, loc)
        if first["type"] == "missing":
            message = f"The connection field {name!r} is required for {kind}."
        elif first["type"] == "extra_forbidden":
            message = f"The connection field {name!r} is not a field of {kind}."
        elif first["msg"].startswith("Value error, "):
            message = f"The connection field {name!r} {first['msg'].removeprefix('Value error, ')}."
        else:  # pydantic's own wording ("Input should be …"), made a sentence about the field
            said = first["msg"].removeprefix("Input should be ")
            message = f"The connection field {name!r} must be {said[:1].lower()}{said[1:]}."
        raise ConnectionSettingsError(message, path=name) from None
    _ = conn.url  # normalise now so a bad URL fails here, before any request
    return conn


def connection_from_env(environ: Mapping[str, str] | None = None) -> Connection:
    """``ODOO_URL``, ``ODOO_PORT``, ``ODOO_DB``, ``ODOO_TIMEOUT``, ``ODOO_RETRY_FOR``, ``ODOO_COMPANY_ID``,
    ``ODOO_LANGUAGE``, ``ODOO_TIMEZONE`` and ``ODOO_API_KEY`` or
    ``ODOO_USERNAME``/``ODOO_PASSWORD``; the API key wins when both are set, because JSON-2 is the
    supported API and XML-RPC is deprecated."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {
        "baseUrl": env.get("ODOO_URL", ""),
        "port": env.get("ODOO_PORT") or None,
        "database": env.get("ODOO_DB", ""),
        "timeout": env.get("ODOO_TIMEOUT") or None,
        "retryFor": env.get("ODOO_RETRY_FOR") or None,
        "companyId": env.get("ODOO_COMPANY_ID") or None,
        "language": env.get("ODOO_LANGUAGE") or None,
        "timezone": env.get("ODOO_TIMEZONE") or None,
    }
    missing = [name for name, key in (("ODOO_URL", "baseUrl"), ("ODOO_DB", "database")) if not data[key]]
    if env.get("ODOO_API_KEY"):
        data.update(type=API_KEY, apiKey=env["ODOO_API_KEY"])
    elif env.get("ODOO_USERNAME") or env.get("ODOO_PASSWORD"):
        data.update(
            type=BASIC_AUTH, username=env.get("ODOO_USERNAME", ""), password=env.get("ODOO_PASSWORD", "")
        )
        missing += [n for n in ("ODOO_USERNAME", "ODOO_PASSWORD") if not env.get(n)]
    else:
        missing.append("ODOO_API_KEY (or ODOO_USERNAME and ODOO_PASSWORD)")
    if missing:
        raise ConnectionSettingsError(
            "No Odoo connection: missing environment variable(s) " + ", ".join(missing) + ".",
            hint="Set them, or pass --connection FILE.json.",
        )
    return parse_connection(data)

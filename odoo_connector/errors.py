"""The connector's errors, grouped by what the caller should do next.

::

    OdooConnectorError              anything this package raises on purpose
    ├── InputError                  fix the input; nothing was sent
    ├── ConfigurationError          fix the connection
    │   ├── ConnectionSettingsError the connection settings are missing or malformed; nothing was sent
    │   ├── AuthenticationError     wrong API key, password or login (401, fault 3, authenticate → False)
    │   ├── DatabaseNotFoundError   X-Odoo-Database / database name unknown to the server
    │   └── UnsupportedServerError  not an Odoo, or an Odoo too old for the connection type
    ├── OdooRequestError            Odoo refused this request; fix the request or the user's rights
    │   ├── AccessDeniedError       the user lacks a group or a record rule (403, fault 4)
    │   ├── NotFoundError           unknown model/method, missing record or external ID
    │   └── OdooValidationError     Odoo rejected the values (422, ValidationError, UserError, …)
    ├── ServerError                 Odoo failed; retry later or tell the Odoo administrator (5xx, fault 1)
    │   └── RateLimitedError        429: slow down
    └── TransportError              the request did not get an answer: refused, timed out, TLS

Every error carries a ``message`` for the user (Odoo's own words where Odoo gave some), a ``hint``
saying what to do, and a ``detail`` for debugging (Odoo's server traceback) that is never shown
unless debug output is asked for. Secrets never leave in any of them: every error redacts its own
message, hint and detail when it is built, with the secrets of every connection the process has
parsed (:func:`register_secret`). The other output channels (results on stdout, log lines, trigger
state, webhook bodies) pass through :func:`redact` or :func:`redact_data` where they are written.
"""

from __future__ import annotations

import re
import threading
from typing import Any, ClassVar

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectionSettingsError",
    "DatabaseNotFoundError",
    "InputError",
    "NotFoundError",
    "OdooConnectorError",
    "OdooRequestError",
    "OdooValidationError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UnsupportedServerError",
    "redact",
    "redact_data",
    "register_secret",
]


class OdooConnectorError(Exception):
    """Base of every error the connector raises on purpose.

    ``exit_code`` is the CLI's exit status for this kind of error, so scripts can branch on it
    without parsing text.
    """

    exit_code: ClassVar[int] = 1
    default_hint: ClassVar[str] = ""
    # A batch action that stopped: the per-row report of what it wrote before (and whether the
    # batch in flight was written), so a caller never sends written rows again.
    report: dict[str, Any] | None = None

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        detail: str | None = None,
        odoo_name: str | None = None,
        status: int | None = None,
        path: str | None = None,
    ) -> None:
        # Redacted here, once, whatever built the error: a proxy's text page that echoes the
        # Authorization header reaches the user only through this constructor.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint if hint is not None else self.default_hint)
        self.detail = redact(detail) if detail else detail
        self.odoo_name = odoo_name
        self.status = status
        self.path = path

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text}\nHint: {self.hint}"
        return text

    def to_dict(self, *, debug: bool = False) -> dict[str, Any]:
        """The error as the CLI and the runtime report it; ``detail`` only in debug mode."""
        out: dict[str, Any] = {"type": self.kind, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.path:
            out["path"] = self.path
        if self.odoo_name:
            out["odooError"] = self.odoo_name
        if self.status is not None:
            out["status"] = self.status
        if debug and self.detail:
            out["detail"] = self.detail
        if self.report is not None:
            out["report"] = self.report
        return out


class InputError(OdooConnectorError):
    """Bad input or connection settings, found before anything was sent."""

    exit_code = 2


class ConfigurationError(OdooConnectorError):
    """The server answered, and the answer says the connection settings are wrong."""

    exit_code = 3


class ConnectionSettingsError(ConfigurationError, InputError):
    """The connection form or file is incomplete or malformed: found before anything was sent.

    It is an InputError too (refused locally), but its exit status is the configuration one: the
    fix is in the connection, not in the action's inputs."""

    exit_code = 3


class AuthenticationError(ConfigurationError):
    # Odoo answers "Invalid apikey" whatever the cause, so the hint lists what to check without
    # claiming to know which it is.
    default_hint = (
        "Odoo did not accept these credentials. Check that the API key was copied whole (or the "
        "login and password), and that it belongs to this database. An API key stops working when "
        "it expires (at most 90 days for non-administrators) or is revoked: in Odoo, open your "
        "avatar → My Preferences → Security, and under API Keys create a new one (Add API Key)."
    )


class DatabaseNotFoundError(ConfigurationError):
    default_hint = (
        "Check the database name in the connection. It is shown in Odoo under Settings → "
        "Activate the developer mode, or in the database selector at /web/database/selector."
    )


class UnsupportedServerError(ConfigurationError):
    default_hint = "Check the base URL points at an Odoo server."


class OdooRequestError(OdooConnectorError):
    """Odoo refused this particular request."""

    exit_code = 4


class AccessDeniedError(OdooRequestError):
    """The user may not do this; ``groups`` lists the Odoo groups Odoo said would allow it."""

    def __init__(self, message: str, *, groups: list[str] | None = None, **kwargs: Any) -> None:
        self.groups = groups if groups is not None else parse_groups(message)
        if "hint" not in kwargs or kwargs["hint"] is None:
            kwargs["hint"] = access_hint(self.groups)
        super().__init__(message, **kwargs)

    def to_dict(self, *, debug: bool = False) -> dict[str, Any]:
        out = super().to_dict(debug=debug)
        if self.groups:
            out["missingGroups"] = self.groups
        return out


class NotFoundError(OdooRequestError):
    default_hint = "Check the model name and the record id or external ID."


class OdooValidationError(OdooRequestError):
    """Odoo rejected the values or arguments; the user must change them."""

    exit_code = 2
    default_hint = "Check the field names and values against listModelFields for this model."


class ServerError(OdooConnectorError):
    exit_code = 5
    default_hint = (
        "Odoo failed while handling the request. Try again later; if it persists, give the "
        "Odoo administrator the time of the call (run with --debug for the server's traceback)."
    )


class RateLimitedError(ServerError):
    default_hint = "The server asks to slow down: wait and try again, or poll less often."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TransportError(OdooConnectorError):
    exit_code = 5
    default_hint = (
        "Check the base URL and port, that the server is reachable from here, and its TLS certificate."
    )


_GROUP_LINE = re.compile(r"^\s*-\s+(.+?)\s*$")


_FIELD_GROUPS = re.compile(
    r"^Groups: allowed for groups ((?:'[^']*'|\"[^\"]*\")(?:, (?:'[^']*'|\"[^\"]*\"))*)", re.MULTILINE
)
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def parse_groups(message: str) -> list[str]:
    """Odoo lists the groups that would allow an operation as ``\\t- Name`` lines after
    "This operation is allowed for the following groups:"; we surface them so the user can ask
    for exactly that group instead of reading a wall of text. A field a group guards
    (``credit_limit``) is refused with "Groups: allowed for groups 'A', 'B'" instead (shown to
    users with the technical features, as an API user usually is)."""
    field = _FIELD_GROUPS.search(message)
    if field:
        return [a or b for a, b in _QUOTED.findall(field.group(1))]
    marker = "allowed for the following groups:"
    if marker not in message:
        return []
    tail = message.split(marker, 1)[1]
    groups: list[str] = []
    for line in tail.splitlines():
        match = _GROUP_LINE.match(line)
        if match:
            groups.append(match.group(1))
        elif groups and line.strip():
            break
    return groups


def access_hint(groups: list[str]) -> str:
    if groups:
        names = ", ".join(f'"{g}"' for g in groups)
        return (
            f"Ask an Odoo administrator to add the API user to the group {names} (Settings → "
            "Users & Companies → Users → the user's form; with developer mode on, also Settings → "
            "Users & Companies → Groups), or use a user who has it."
        )
    return (
        "The API user lacks the rights for this. Ask an Odoo administrator to grant the needed "
        "access, or use a user who has it."
    )


_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r"(?i)((?:api[_-]?key|apikey|password|passwd|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"),
    re.compile(r"\b[0-9a-f]{40}\b"),
]
_MIN_SECRET = 4  # shorter values would blank out ordinary words and numbers

_known_lock = threading.Lock()
# Connection secrets live as long as the process. Secrets handed back by Odoo (a portal token per
# document) are kept for the most recent _MAX_HANDED_BACK only: a worker rendering thousands of
# documents must not grow the pattern without bound, and a token matters while its answer is
# being written out.
_MAX_HANDED_BACK = 1024
_lasting: dict[str, None] = {}
_handed_back: dict[str, None] = {}
_combined: re.Pattern[str] | None = None  # every known secret in one pattern, rebuilt on change


def register_secret(*values: str, lasting: bool = True) -> None:
    """Remembers secret values, so every output channel redacts them without being handed them.
    Connections register their API key or password when they are parsed (``lasting``); a value
    Odoo hands back that must not be shown (a portal token) is registered where it is received,
    with ``lasting=False``."""
    global _combined
    with _known_lock:
        for value in values:
            if not value or len(value) < _MIN_SECRET or value in _lasting:
                continue
            if lasting:
                _handed_back.pop(value, None)
                _lasting[value] = None
            else:
                _handed_back.pop(value, None)
                _handed_back[value] = None
                while len(_handed_back) > _MAX_HANDED_BACK:
                    del _handed_back[next(iter(_handed_back))]
            _combined = None


def _secret_source(value: str) -> str:
    """The value as a whole token: a weak password such as ``admin`` must not turn
    "administrator" into "<redacted>istrator", while ``bearer <key>``, ``"<key>"`` or
    ``key=<key>&`` still match."""
    before = r"(?<![A-Za-z0-9])" if value[0].isalnum() else ""
    after = r"(?![A-Za-z0-9])" if value[-1].isalnum() else ""
    return before + re.escape(value) + after


def _one_pattern(values: Any) -> re.Pattern[str] | None:
    # longest first: a secret containing another is replaced whole
    ordered = sorted({v for v in values if v and len(v) >= _MIN_SECRET}, key=len, reverse=True)
    return re.compile("|".join(f"(?:{_secret_source(v)})" for v in ordered)) if ordered else None


def _pattern(secrets: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """One pattern for every known secret plus ``secrets``: one search per string written."""
    global _combined
    with _known_lock:
        if _combined is None and (_lasting or _handed_back):
            _combined = _one_pattern([*_lasting, *_handed_back])
        known, extra = _combined, [v for v in secrets if v not in _lasting and v not in _handed_back]
        if not extra:
            return known
        return _one_pattern([*_lasting, *_handed_back, *extra])


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Removes known secret values and anything shaped like a bearer token or an Odoo API key
    (40 hex characters). Applied to every error, log line and debug output, because Odoo and
    proxies in front of it echo request parts (the XML-RPC params, an Authorization header) in
    error bodies."""
    pattern = _pattern(secrets)
    if pattern is not None:
        text = pattern.sub("<redacted>", text)
    for shape in _SECRET_PATTERNS:
        if shape.groups:
            text = shape.sub(lambda m: m.group(1) + "<redacted>", text)
        else:
            text = shape.sub("<redacted>", text)
    return text


def redact_data(value: Any, secrets: list[str] | tuple[str, ...] = ()) -> Any:
    """``value`` (JSON-like data: results, records, state, webhook bodies) with every known secret
    value replaced in its strings and keys.

    Only exact secret values are removed here, not shapes: a record's 40-hex checksum or an
    access token the user asked for is data, and data must reach them unchanged."""
    pattern = _pattern(secrets)
    if pattern is None:
        return value

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            return pattern.sub("<redacted>", item) if pattern.search(item) else item
        if isinstance(item, dict):
            return {clean(k): clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return clean(value)

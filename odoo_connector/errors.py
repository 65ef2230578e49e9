"""The connector's errors, grouped by what the caller should do next.

::

    OdooConnectorError              anything this package raises on purpose
    ├── InputError                  fix the input; nothing was sent
    ├── ConfigurationError          fix the connection
    │   ├── ConnectionSettingsError the connection settings are missing or malformed; nothing was sent
    │   ├── AuthenticationError     wrong API key, password or login (401, fault 3, authenticate → False)
    │   ├── DatabaseNotFoundError   X-Odoo-Database / database name unknown to the server
    │   ├── UnsupportedServerError  not an Odoo, or an Odoo too old for the connection type
    │   └── MissingExtraError       an optional part (webhook, workbench, runner-pg) is not installed
    ├── OdooRequestError            Odoo refused this request; fix the request or the user's rights
    │   ├── AccessDeniedError       the user lacks a group or a record rule (403, fault 4)
    │   ├── NotFoundError           unknown model/method, missing record or external ID
    │   └── OdooValidationError     Odoo rejected the values (422, ValidationError, UserError, …)
    ├── ServerError                 Odoo failed; retry later or tell the Odoo administrator (5xx, fault 1)
    │   └── RateLimitedError        429: slow down
    └── TransportError              the request did not get an answer: refused, timed out, TLS

Every error carries a ``message`` for the user (Odoo's own words where Odoo gave some), a ``hint``
saying what to do, and a ``detail`` for debugging (Odoo's server traceback) that is never shown
unless debug output is asked for.

Secrets are kept out where they could enter, never searched for in data. Records, results,
trigger state and webhook bodies are written exactly as Odoo gave them: with the password
``integration``, a partner named "R3 integration partner" is data, and rewriting it would store
``<redacted>`` in Odoo the next time a flow writes the record back. Odoo does not put the key or
password in its data; a secret reaches a message through an echo of the request that carried it:
the Authorization header or the XML-RPC params quoted back in an error body or a fault string, a
URL in an exception's words. The code
that sent the request scrubs exactly that echo (:func:`redact` with the request's own secrets:
a short password only where it stands as a whole quoted or delimited value). A text-wide search
remains only in free text (log lines and error messages, which hold no data a user keeps), and
only for secrets of :data:`LONG_SECRET` characters or more (API keys, generated tokens), which no
ordinary word matches (:func:`register_secret`).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from typing import Any, ClassVar

__all__ = [
    "LONG_SECRET",
    "AccessDeniedError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectionSettingsError",
    "DatabaseNotFoundError",
    "InputError",
    "MissingExtraError",
    "NotFoundError",
    "OdooConnectorError",
    "OdooRequestError",
    "OdooValidationError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UnsupportedServerError",
    "input_path",
    "install_line",
    "redact",
    "register_secret",
    "require_extra",
]

#: The distribution's name on PyPI. The import package and the command keep the name
#: odoo_connector / odoo-connector; the distribution cannot, because PyPI gives
#: ``odoo-connector`` to another project (2018, Python 2). Install hints are built from it.
DISTRIBUTION = "odoo-lowcode-connector"


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
        # A net under the scrubbing done where echoes enter (client/mapping.py): long secrets and
        # secret shapes only, so a login or an external ID holding a weak password stays whole.
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


def input_path(*parts: str | int) -> str:
    """Where in the inputs a problem is, as people read it: ``records[3].parameters.country_id``.
    Integers are list positions; strings are names, possibly dotted already; empty parts are
    skipped. The one spelling of an input path in every error (CLI, workbench, runtime)."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif part != "":
            out += f".{part}" if out else str(part)
    return out


def install_line(extra: str) -> str:
    """The command that installs ``extra``, by the published name and from a checkout: both work
    verbatim in a fresh virtual environment."""
    published = f'python -m pip install "{DISTRIBUTION}[{extra}]"'
    return f'{published} (from a checkout: python -m pip install ".[{extra}]")'


class MissingExtraError(ConfigurationError):
    """An optional part is not installed: the installation needs fixing, not the input (exit 3)."""

    def __init__(self, message: str, *, extra: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or f"Install it: {install_line(extra)}.")
        self.extra = extra


def require_extra(extra: str, modules: tuple[str, ...], purpose: str) -> None:
    """Raises :class:`MissingExtraError` when one of ``modules`` cannot be imported, before
    anything starts: a missing extra is the user's to fix, never an ImportError (exit 1)."""
    import importlib.util

    missing = []
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):  # a parent package missing, or a module set to None
            missing.append(name)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise MissingExtraError(
            f"{purpose} needs the {extra} extra: {' and '.join(missing)} {verb} not installed.", extra=extra
        )


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
    # a credential named in a query string, a DSN or a JSON text: password=…, "apiKey": "…",
    # ?access_token=… (a portal link), ?token=… (a webhook URL)
    re.compile(
        r"(?i)((?:api[_-]?key|apikey|password|passwd|secret|(?<![a-z])(?:access_)?token)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"',;&]+"
    ),
    re.compile(r"\b[0-9a-f]{40}\b"),
    # the password of a URL's user info (a DSN, a proxy URL): scheme://user:<password>@host
    re.compile(r"(://[^:/@\s]*:)[^@/\s]+(?=@)"),
]
# Secrets at least this long are searched for in free text (log lines, error messages) wherever
# the process has seen them: an API key or a generated token is no word of any language, while a
# password such as "admin" or "integration" is, and would be found inside "administrator" or
# "integration@example.com". A shorter secret is scrubbed only where its own request is echoed.
LONG_SECRET = 16

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
    """Remembers secret values of :data:`LONG_SECRET` characters or more, so that log lines and
    error messages never show them wherever they come from. Connections register their API key or
    password when they are parsed (``lasting``); a value Odoo hands back that must not be shown (a
    portal token) is registered where it is received, with ``lasting=False``. Shorter values are
    not remembered: searching text for them would rewrite ordinary words."""
    global _combined
    with _known_lock:
        for value in values:
            if not value or len(value) < LONG_SECRET or value in _lasting:
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


def _whole_token(value: str) -> str:
    """The value as a whole token: ``bearer <key>``, ``"<key>"`` or ``key=<key>&`` match, a
    longer word that merely contains it does not."""
    before = r"(?<![A-Za-z0-9])" if value[0].isalnum() else ""
    after = r"(?![A-Za-z0-9])" if value[-1].isalnum() else ""
    return before + re.escape(value) + after


def _as_echoed(value: str) -> str:
    """A short secret where an echo of its request shows it as a whole value, and nowhere else:
    quoted (a Python repr or JSON of the XML-RPC params), an XML element's text (the XML-RPC
    body), after ``bearer `` (the Authorization header), after ``=`` up to the next delimiter (a
    query string, a DSN), between ``:`` and ``@`` (a URL's user info). With the password
    ``admin``, ``'admin'`` goes and ``'base.set_admin'`` or ``'admin@example.com'`` stay."""
    text = re.escape(value)
    end = r"(?=[\s&;,'\"<>\\)\]}]|$)"
    return (
        rf"(?<=')(?:{text})(?=')"
        rf"|(?<=\")(?:{text})(?=\\?\")"
        rf"|(?<=>)(?:{text})(?=<)"
        rf"|(?<==)(?:{text}){end}"
        rf"|(?<=:)(?:{text})(?=@)"
        rf"|(?<=[Bb][Ee][Aa][Rr][Ee][Rr] )(?:{text}){end}"
    )


def _forms(value: str) -> set[str]:
    """The ways a request may carry ``value``: as is, %-encoded (a URL), XML-escaped (the XML-RPC
    body), and escaped as a Python repr or JSON string quotes it."""
    from urllib.parse import quote
    from xml.sax.saxutils import escape

    return {value, quote(value, safe=""), escape(value), repr(value)[1:-1], json.dumps(value)[1:-1]}


def _one_pattern(long_values: Any, echoed: Any = ()) -> re.Pattern[str] | None:
    sources = [
        # longest first: a secret containing another is replaced whole
        *(_whole_token(v) for v in sorted(set(long_values), key=len, reverse=True)),
        *(_as_echoed(v) for v in sorted(set(echoed), key=len, reverse=True)),
    ]
    return re.compile("|".join(f"(?:{s})" for s in sources)) if sources else None


def _known_pattern() -> re.Pattern[str] | None:
    """Every registered secret in one pattern: one search per string written."""
    global _combined
    with _known_lock:
        if _combined is None and (_lasting or _handed_back):
            _combined = _one_pattern([*_lasting, *_handed_back])
        return _combined


@functools.lru_cache(maxsize=64)
def _request_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """The secrets one request carried, in every form an echo may show them (built once per set:
    a failing poll reports its errors with the same connection's secrets again and again)."""
    forms = {form for value in secrets if value for form in _forms(value)}
    return _one_pattern(
        [f for f in forms if len(f) >= LONG_SECRET], [f for f in forms if len(f) < LONG_SECRET]
    )


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Free text (a log line, an error message, an error body or an exception's words), never
    data, without secrets.

    ``secrets`` are those of the request whose answer or failure ``text`` reports: each is
    removed where an echo of that request shows it (a short one only as a whole quoted or
    delimited value, see :func:`_as_echoed`; one of :data:`LONG_SECRET` characters or more
    anywhere). Every registered secret is removed anywhere, and so is anything shaped like a
    bearer token, a ``password=`` or ``token=`` value, a URL's password or an Odoo API key (40
    hex characters)."""
    for pattern in (_request_pattern(tuple(secrets)) if secrets else None, _known_pattern()):
        if pattern is not None:
            text = pattern.sub("<redacted>", text)
    for shape in _SECRET_PATTERNS:
        if shape.groups:
            text = shape.sub(lambda m: m.group(1) + "<redacted>", text)
        else:
            text = shape.sub("<redacted>", text)
    return text

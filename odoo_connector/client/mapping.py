"""One table from Odoo's error answers to the connector's errors.

JSON-2 errors are keyed on the body's ``name`` (the Python class Odoo raised) first, and the HTTP
status second, because the status alone lies: an unknown field is a 500 and an unknown database
is a 404 HTML page. XML-RPC faults are keyed on the fault code, then on the message.

An error body is where a request's secret can come back: a proxy's page quoting the Authorization
header, a fault string quoting the XML-RPC params with the password. Each mapper is given the
secrets of the request it reports and scrubs exactly their echo from the words it keeps
(:func:`~odoo_connector.errors.redact`); the rest of the text, logins and values included, stays
as Odoo wrote it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import (
    AccessDeniedError,
    AuthenticationError,
    DatabaseNotFoundError,
    NotFoundError,
    OdooConnectorError,
    OdooValidationError,
    ServerError,
    UnsupportedServerError,
    redact,
)

__all__ = ["from_json2_error", "from_xmlrpc_fault"]

_BY_NAME: dict[str, type[OdooConnectorError]] = {
    "werkzeug.exceptions.Unauthorized": AuthenticationError,
    "odoo.exceptions.AccessDenied": AuthenticationError,
    "odoo.exceptions.AccessError": AccessDeniedError,
    "odoo.exceptions.MissingError": NotFoundError,
    "werkzeug.exceptions.NotFound": NotFoundError,
    "odoo.exceptions.ValidationError": OdooValidationError,
    "odoo.exceptions.UserError": OdooValidationError,
    "odoo.exceptions.RedirectWarning": OdooValidationError,
    "werkzeug.exceptions.UnprocessableEntity": OdooValidationError,
    "werkzeug.exceptions.BadRequest": OdooValidationError,
    # Odoo lets these escape as 500s, but they are the caller's fault: a field that does not
    # exist, a value of the wrong type. Saying "server error, retry later" would mislead.
    "builtins.ValueError": OdooValidationError,
    "builtins.TypeError": OdooValidationError,
    "builtins.KeyError": OdooValidationError,
    "psycopg2.errors.InvalidTextRepresentation": OdooValidationError,
    "psycopg2.errors.NotNullViolation": OdooValidationError,
    "psycopg2.errors.ForeignKeyViolation": OdooValidationError,
    "psycopg2.errors.UniqueViolation": OdooValidationError,
    "psycopg2.errors.CheckViolation": OdooValidationError,
    "psycopg2.errors.NumericValueOutOfRange": OdooValidationError,
    "psycopg2.errors.InvalidDatetimeFormat": OdooValidationError,
    "psycopg2.errors.DatetimeFieldOverflow": OdooValidationError,
    "psycopg2.errors.StringDataRightTruncation": OdooValidationError,
}

_BY_STATUS: dict[int, type[OdooConnectorError]] = {
    400: OdooValidationError,
    401: AuthenticationError,
    403: AccessDeniedError,
    404: NotFoundError,
    422: OdooValidationError,
}

_HINTS: dict[str, str] = {
    "builtins.ValueError": "A field name or value is not valid for this model: compare it with "
    "listModelFields.",
    "psycopg2.errors.InvalidTextRepresentation": "A value has the wrong type for its field (for "
    "a many2one give the record id as a number).",
    "werkzeug.exceptions.UnprocessableEntity": "The method's arguments do not match its signature.",
}
# Odoo's AccessError for a method it keeps from remote callers: a name starting with "_", or one
# it marks private (sudo, with_context, …). No group grants it, so the rights hint would mislead.
_PRIVATE_METHOD = re.compile(r"Private methods \(such as '([^']+)'\) cannot be called remotely")
_PRIVATE_HINT = (
    "This method cannot be called over Odoo's API: Odoo keeps it private (a name starting with _, "
    "or one Odoo marks private, such as sudo or with_context), whatever the user's rights. Call a "
    "public method instead; the selectMethod list shows them."
)


def _hint(name: str, message: str) -> str | None:
    """The hint for an error Odoo answered, where the error's class alone would mislead."""
    if _PRIVATE_METHOD.search(message):
        return _PRIVATE_HINT
    return _HINTS.get(name)


def from_json2_error(
    status: int,
    content_type: str,
    text: str,
    *,
    model: str,
    method: str,
    secrets: tuple[str, ...] = (),
    database: str | None = None,
) -> OdooConnectorError:
    """Maps a non-2xx JSON-2 answer to an error carrying Odoo's own message."""
    where = f"{model}.{method}"
    body: Any = None
    if "json" in content_type:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    if not isinstance(body, dict) or "message" not in body:
        return _from_non_json(status, text, where, database, secrets)
    name = str(body.get("name") or "")
    message = redact(str(body.get("message") or ""), secrets)
    detail = redact(str(body.get("debug") or ""), secrets) or None
    cls = (
        _BY_NAME.get(name)
        or _BY_STATUS.get(status)
        or (ServerError if status >= 500 else OdooValidationError)
    )
    if cls is NotFoundError and name == "werkzeug.exceptions.NotFound" and message.startswith("Did you mean"):
        cls = UnsupportedServerError
    return cls(
        message or f"Odoo answered {status} to {where}.",
        detail=detail,
        odoo_name=name or None,
        status=status,
        hint=_hint(name, message),
    )


def _from_non_json(
    status: int, text: str, where: str, database: str | None, secrets: tuple[str, ...]
) -> OdooConnectorError:
    if status == 404 and ("No database is selected" in text or "X-Odoo-Database" in text):
        # What an unknown X-Odoo-Database gets: Odoo's HTML 404, as if no database were named.
        name = f' "{database}"' if database else ""
        return DatabaseNotFoundError(
            f"The Odoo server has no database{name} (it answered its 'no database is selected' page).",
            status=404,
        )
    if status == 404:
        return UnsupportedServerError(
            f"The server answered 404 Not Found for the JSON-2 endpoint of {where}.",
            status=404,
            hint="Check the base URL points at Odoo 19 or later. For older Odoo versions use the "
            "Basic Authentication (XML-RPC) connection.",
        )
    if status == 401:
        return AuthenticationError("The server refused the credentials (401).", status=401)
    if status == 403:
        return AccessDeniedError("The server refused the request (403).", status=403)
    snippet = redact(_text_snippet(text), secrets)
    if status >= 500:
        return ServerError(f"The server answered {status} to {where}: {snippet}", status=status)
    return OdooValidationError(f"The server answered {status} to {where}: {snippet}", status=status)


def _text_snippet(text: str) -> str:
    title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    if title:
        return title.group(1).strip()
    return text.strip()[:200] or "(empty body)"


_FAULT_OBJECT_MISSING = re.compile(r"Object (\S+) doesn't exist")
# odoo.service.model.get_public_method: what JSON-2 answers as a 404 NotFound
_FAULT_METHOD_MISSING = re.compile(r"^AttributeError: The method '([^']+)' does not exist$")
_DB_MISSING = re.compile(r'database "([^"]+)" does not exist')


def from_xmlrpc_fault(code: Any, fault_string: str, *, secrets: tuple[str, ...] = ()) -> OdooConnectorError:
    """Maps an XML-RPC fault (Odoo's ``/xmlrpc/2`` integer codes) to an error.

    Code 1 carries a whole traceback: its last line is the message, the rest is ``detail``.
    """
    text = redact(str(fault_string), secrets)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if code == 3 or text.strip() == "Access Denied":
        return AuthenticationError(
            "Odoo refused the login or password (Access Denied).", odoo_name="odoo.exceptions.AccessDenied"
        )
    if code == 4:
        return AccessDeniedError(
            text.strip(),
            odoo_name="odoo.exceptions.AccessError",
            hint=_hint("odoo.exceptions.AccessError", text),
        )
    if code == 2:
        if _FAULT_OBJECT_MISSING.search(text) or "does not exist or has been deleted" in text:
            return NotFoundError(text.strip(), odoo_name="odoo.exceptions.UserError")
        return OdooValidationError(text.strip(), odoo_name="odoo.exceptions.UserError")
    if _FAULT_METHOD_MISSING.match(last):
        return NotFoundError(
            last.partition(": ")[2],
            detail=text,
            odoo_name="builtins.AttributeError",
            hint="Check the method name: it must be a public method of the model (see the model's "
            "API documentation in Odoo, /doc, for the Technical Documentation group).",
        )
    db = _DB_MISSING.search(text)
    if db:
        return DatabaseNotFoundError(f'The Odoo server has no database "{db.group(1)}".', detail=text)
    name, _, message = last.partition(": ")
    message = message or last
    odoo_name = name if "." in name or name.endswith("Error") else None
    full = _qualified(name)
    cls = _BY_NAME.get(full) if full else None
    if cls is None:
        cls = ServerError
    return cls(message or "Odoo failed while handling the request.", detail=text, odoo_name=odoo_name)


def _qualified(name: str) -> str | None:
    if name in ("ValueError", "TypeError", "KeyError"):
        return f"builtins.{name}"
    if name.startswith(("odoo.", "psycopg2.", "werkzeug.")):
        return name
    return None

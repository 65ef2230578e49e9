"""The user's context: company, language, time zone and archived records, in one place.

Odoo reads these from the call's ``context``: ``allowed_company_ids`` (the first is the current
company), ``lang``, ``tz`` and ``active_test``. People think of them as "write this in company 2,
in French", so the connector takes friendly names, as connection defaults (``companyId``,
``language``, ``timezone``) and per call (a ``context`` input on every record action, method
action and the trigger), and turns them into Odoo's keys here. Any other key in a ``context``
input is passed to Odoo as given (``allowed_company_ids``, ``lang``, a module's own flag).

The merged context rides with the call through a context variable that :func:`using` sets and
the client reads on the way out (``OdooClient.effective_context``), so no handler passes it along
by hand and two threads sharing a pooled client never see each other's.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .errors import InputError

__all__ = ["LANGUAGE", "current", "odoo_context", "using"]

# Odoo's language codes: en_US, fr_FR, sr@latin, es_419
LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2}|_[0-9]{3})?(?:@[a-z]+)?")
_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
_FRIENDLY = ("companyId", "language", "timezone", "includeArchived")

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "odoo_connector_context", default=None
)


def odoo_context(given: Mapping[str, Any] | None, *, where: str = "context") -> dict[str, Any]:
    """Odoo's context keys for ``given`` (friendly names translated, other keys kept); raises
    InputError naming the key for a value Odoo would misread."""
    if not given:
        return {}
    out = {k: v for k, v in given.items() if k not in _FRIENDLY}
    company = given.get("companyId")
    if company is not None:
        ids = company if isinstance(company, list) else [company]
        if not ids or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 1 for i in ids):
            raise InputError(
                f"The input '{where}.companyId' must be a company id (a whole number of 1 or more) or a "
                "list of them, the first being the company to work in.",
                path=f"{where}.companyId",
            )
        out["allowed_company_ids"] = list(dict.fromkeys(ids))
    language = given.get("language")
    if language is not None:
        if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
            raise InputError(
                f"The input '{where}.language' must be an Odoo language code such as fr_FR or en_US.",
                path=f"{where}.language",
            )
        out["lang"] = language
    timezone = given.get("timezone")
    if timezone is not None:
        if not isinstance(timezone, str) or not _TIMEZONE.fullmatch(timezone) or len(timezone) > 64:
            raise InputError(
                f"The input '{where}.timezone' must be a time zone name such as Europe/Brussels.",
                path=f"{where}.timezone",
            )
        out["tz"] = timezone
    archived = given.get("includeArchived")
    if archived is not None:
        if not isinstance(archived, bool):
            raise InputError(
                f"The input '{where}.includeArchived' must be true or false.", path=f"{where}.includeArchived"
            )
        out["active_test"] = not archived
    return out


@contextmanager
def using(context: Mapping[str, Any] | None) -> Iterator[dict[str, Any] | None]:
    """Within the block, every call of this thread (and its coroutine) carries ``context`` (an
    Odoo context, already translated) on top of the connection's defaults."""
    token = _current.set(dict(context) if context else None)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current() -> dict[str, Any] | None:
    """The context set by the innermost :func:`using`, if any."""
    return _current.get()

"""Days as people write them: ``2026-12-09``, ``today``, ``tomorrow``, ``in 3 days``, ``in 2 weeks``.

An activity's due date (scheduleActivity) is a day, and a flow says "in 2 days" far more often
than it computes a date. "Today" is the day in the call's time zone (``context.timezone``, else
the connection's, else the Odoo user's own, else UTC), the zone Odoo's own "today" uses for the
user (``fields.Date.context_today``), so "tomorrow" at 23:30 in Brussels is the day after in
Brussels, whatever the clock of the machine running the flow says.

A month later is the same day of the month, or the month's last day when it has fewer days
(Odoo's ``relativedelta(months=1)``: 31 January + 1 month is 28 or 29 February).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..client import OdooClient
from ..errors import InputError

__all__ = ["DAY_WORDS", "add_delay", "needs_today", "parse_day", "today_for"]

DAY_WORDS = 'a date (YYYY-MM-DD), "today", "tomorrow", or "in N days" / "in N weeks" / "in N months"'
_RELATIVE = re.compile(r"in\s+(\d{1,4})\s+(day|week|month)s?", re.IGNORECASE)
_NAMED = {"today": 0, "tomorrow": 1}


def parse_day(text: str, today: date) -> date | None:
    """The day ``text`` names, counting from ``today``; None when it names none (the caller
    says which input and what is accepted)."""
    words = " ".join(text.split()).casefold()
    if words in _NAMED:
        return today + timedelta(days=_NAMED[words])
    relative = _RELATIVE.fullmatch(words)
    if relative:
        return add_delay(today, int(relative.group(1)), relative.group(2))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def add_delay(start: date, count: int, unit: str) -> date:
    """``start`` plus ``count`` days, weeks or months (an activity type's ``delay_unit``, singular
    or plural)."""
    unit = unit.removesuffix("s")
    if unit == "day":
        return start + timedelta(days=count)
    if unit == "week":
        return start + timedelta(weeks=count)
    if unit != "month":
        raise ValueError(f"unknown delay unit {unit!r}")
    months = start.year * 12 + start.month - 1 + count
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def needs_today(text: str) -> bool:
    """Whether ``text`` counts from today (so the time zone must be known), without asking Odoo."""
    words = " ".join(text.split()).casefold()
    return words in _NAMED or _RELATIVE.fullmatch(words) is not None


def today_for(client: OdooClient, *, path: str = "context.timezone") -> date:
    """Today in the call's time zone; asks Odoo for the user's zone (once per client) only when
    neither the call nor the connection names one."""
    name = (client.effective_context() or {}).get("tz") or client.user_timezone() or "UTC"
    try:
        zone = ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{name!r} is not a time zone this machine knows, so 'today' cannot be told.",
            path=path,
            hint="Give the date as YYYY-MM-DD, or an IANA zone such as Europe/Brussels in context.timezone.",
        ) from None
    return datetime.now(UTC).astimezone(zone).date()

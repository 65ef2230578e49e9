"""Which changes were already emitted: the one dedupe rule both triggers share.

A change is a record id and its ``write_date``. The two paths that see changes see that stamp at
different precisions: the external API (``search_read``, ``read``) answers to the second,
``2026-12-02 20:12:07``, while Odoo's webhook bodies carry microseconds,
``2026-12-02 20:12:07.516219``. Measured on Odoo 19: two transactions writing one record within
the same second post two bodies whose stamps differ only in the microseconds, and one create
posts up to 13 bodies with the very same stamp.

So two stamps name the same change when they are equal at the precision both carry: to the
microsecond when both have it (the two writes of one second stay two changes, the 13 copies of
one create stay one), to the second when either comes from the API (the poll then recognises a
change a webhook already emitted, and the other way round). The maps stay ``{"id": stamp}`` as
``pollChangesTrigger`` has always stored them; webhook entries simply keep their microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

__all__ = ["STAMP", "already_emitted", "in_window", "newer", "same_change", "second", "shift"]

FMT = "%Y-%m-%d %H:%M:%S"
# A write_date as the API writes it, or as a webhook body does (with microseconds).
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")


def second(stamp: str) -> str:
    """The stamp to the second, as the external API answers it."""
    return stamp[:19]


def shift(stamp: str, seconds: int) -> str:
    """``stamp`` (to the second) moved ``seconds`` back."""
    return (datetime.strptime(second(stamp), FMT) - timedelta(seconds=seconds)).strftime(FMT)


def same_change(known: str | None, stamp: str) -> bool:
    """True when ``stamp`` names the change ``known`` already names (see the module doc)."""
    if known is None:
        return False
    if len(known) > 19 and len(stamp) > 19:
        return known == stamp
    return second(known) == second(stamp)


def _micro(stamp: str) -> str:
    """The stamp with six digits after the point: Python writes ``.5`` and ``.500000`` alike."""
    head, _, fraction = stamp.partition(".")
    return f"{head}.{fraction.ljust(6, '0')}"


def newer(stamp: str, known: str | None) -> bool:
    """True when ``stamp`` names a change that ``known`` (the newest one emitted) does not.

    A later second always is; an earlier second never is (a replayed or late post: what it
    describes was superseded by what was emitted). Within the same second only microseconds can
    tell, so when both carry them any difference counts, in either direction: two writes in one
    second must not be taken for one, and emitting the record's current state once more is a
    repeat, where taking the newer microsecond for granted could skip a write for good.
    """
    if known is None:
        return True
    if second(stamp) != second(known):
        return second(stamp) > second(known)
    return len(stamp) > 19 and len(known) > 19 and _micro(stamp) != _micro(known)


def already_emitted(record_id: int | str, stamp: str, *seen: Mapping[str, str]) -> bool:
    """True when any of the ``seen`` maps holds this change of record ``record_id``."""
    key = str(record_id)
    return any(same_change(known.get(key), stamp) for known in seen)


def in_window(seen: Mapping[str, str], horizon: str) -> dict[str, str]:
    """The entries whose stamp is at or after ``horizon`` (to the second): what a poll looking
    back to ``horizon`` could meet again. Older entries can never match and are forgotten."""
    return {key: stamp for key, stamp in seen.items() if second(stamp) >= horizon}

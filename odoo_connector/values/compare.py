"""Whether the value a write would send equals the record's current one, as Odoo's read gives it.

Two callers ask the same question: an update's read-only fields (:mod:`.readonly`, dropped when
equal, so a read sent back is accepted) and the batch actions' ``skipUnchanged``
(:mod:`odoo_connector.actions.unchanged`, a row whose values all equal its record's is not
written). One answer serves both: when they are equal the record already holds what was asked for,
so leaving it alone ends in the state a write would have made.

The two sides have different shapes (a many2one is an id on the way in and ``[id, name]`` on the
way out, a many2many ``[[6, 0, ids]]`` and a list of ids, an empty text ``""`` and ``False``), and
Python's loose equality must never decide (``1 == True``, ``0 == False``): the field's type from
``fields_get`` says how to compare. Anything else (other x2many commands, lines to create, a type
this does not know) is equal only when both sides are identical in type and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["same_value"]

_TEXT = frozenset({"char", "text", "html", "selection", "date", "datetime"})
_NUMBER = frozenset({"integer", "float", "monetary"})


def same_value(spec: Mapping[str, Any], given: Any, current: Any) -> bool:
    """True when ``given`` (as Odoo's create/write take it) equals ``current`` (as its read gives
    it) for a field of ``spec`` (its ``fields_get`` entry)."""
    kind = spec.get("type")
    if given is None:
        given = False
    if kind in _TEXT:
        return (given is False or isinstance(given, str)) and (given or False) == (current or False)
    if kind == "boolean":
        return isinstance(given, bool) and given == bool(current)
    if kind in _NUMBER:
        given, current = given or 0, current or 0  # an empty number is stored and read as 0
        return _number(given) and _number(current) and given == current
    if kind == "many2one":
        current_id = current[0] if isinstance(current, list | tuple) and current else current
        if given is False:
            return not current_id
        return _number(given) and isinstance(given, int) and given == current_id
    if kind in ("many2many", "one2many"):
        ids = _replacement(given)
        return ids is not None and isinstance(current, list) and sorted(ids) == sorted(current)
    return type(given) is type(current) and bool(given == current)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _replacement(given: Any) -> list[int] | None:
    """The ids an x2many value sets the field to, when it only says that: ``[[6, 0, ids]]``, a
    plain list of ids, or empty; None for anything else (lines to create, links, unlinks)."""
    if given is False or given == []:
        return []
    if not isinstance(given, list | tuple):
        return None
    if all(_number(i) and isinstance(i, int) for i in given):
        return list(given)
    if len(given) == 1 and isinstance(given[0], list | tuple) and len(given[0]) == 3 and given[0][0] == 6:
        ids = given[0][2]
        if isinstance(ids, list | tuple) and all(_number(i) and isinstance(i, int) for i in ids):
            return list(ids)
    return None

"""Counts and totals computed by Odoo: countRecords (``search_count``) and aggregateRecords
(``formatted_read_group``, Odoo 19's grouped read; ``read_group`` is deprecated), and the two
picklists that offer what a model can be grouped and totalled by.

"Revenue per stage" is one request here, where a flow would otherwise read every lead and sum in
a script. What Odoo does that surprises, and what is done about it:

* Odoo answers a field it cannot group or total with a ValueError and a traceback, after the
  request. ``fields_get``'s ``groupable`` and ``aggregator`` attributes (asked once per model
  and client) let every name be checked first, and the refusal lists the names allowed.
* A date or datetime grouped without a granularity fails on the server ("Granularity is
  missing"); it is refused before sending.
* Groups come back keyed by Odoo's spec strings (``stage_id``, ``expected_revenue:sum``,
  ``__count``) with a many2one as ``[id, name]`` and a date group as ``[start, label]``; rows are
  given as ``{"id", "name"}``, ``{"label", "from", "to"}`` (the range from the group's own
  domain), ``null`` for the empty group, and ``count`` for ``__count``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..client import OdooClient
from ..domain import validate_domain
from ..errors import InputError

__all__ = [
    "aggregate_options",
    "aggregate_records",
    "count_records",
    "group_by_options",
]

_GRANULARITIES = ("day", "week", "month", "quarter", "year")
_FUNCTIONS = ("sum", "avg", "min", "max", "count_distinct")
_NUMBERS = frozenset({"integer", "float", "monetary"})
_DATES = frozenset({"date", "datetime"})
# which functions make sense on which field types: sum and avg of a date or a name mean nothing
_ALLOWED = {
    "sum": _NUMBERS,
    "avg": _NUMBERS,
    "min": _NUMBERS | _DATES,
    "max": _NUMBERS | _DATES,
}
_ORDER_TERM = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.:]+)(?:\s+(?P<dir>asc|desc))?\s*$", re.IGNORECASE)


def count_records(client: OdooClient, inputs: Mapping[str, Any]) -> int:
    """How many records match the domain: Odoo counts, nothing is read."""
    domain = validate_domain(list(inputs.get("domain", [])))
    return int(client.call(inputs["model"], "search_count", domain=domain))


def _groupable(fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted(name for name, spec in fields.items() if spec.get("groupable") and name != "id")


def _aggregatable(fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``field:function`` for every groupable field and function that fits its type."""
    out = []
    for name in _groupable(fields):
        kind = fields[name].get("type")
        out += [f"{name}:{fn}" for fn in _FUNCTIONS if fn == "count_distinct" or kind in _ALLOWED[fn]]
    return out


def _refuse(where: str, text: str, allowed: Sequence[str], wrong: str) -> InputError:
    close = difflib.get_close_matches(wrong, list(allowed), n=3, cutoff=0.6)
    guess = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    shown = ", ".join(allowed[:60]) + (", …" if len(allowed) > 60 else "")
    return InputError(f"{where}: {text}.{guess}", hint=f"Allowed: {shown}.", path=where)


def _group_spec(model: str, fields: Mapping[str, Mapping[str, Any]], spec: str, where: str) -> str:
    name, _, granularity = spec.partition(":")
    allowed = _groupable(fields)
    if name not in allowed:
        return _raise(_refuse(where, f"{model} cannot be grouped by {name!r}", allowed, name))
    kind = fields[name].get("type")
    if kind in _DATES and granularity not in _GRANULARITIES:
        choices = ", ".join(f"{name}:{g}" for g in _GRANULARITIES)
        return _raise(
            InputError(
                f"{where}: {name!r} is a {kind}; group it by a period: {choices}.",
                hint="Add :day, :week, :month, :quarter or :year to the field name.",
                path=where,
            )
        )
    if kind not in _DATES and granularity:
        return _raise(
            InputError(
                f"{where}: only date and datetime fields take a period; {name!r} is a {kind}.",
                hint=f"Group by {name!r} alone.",
                path=where,
            )
        )
    return spec


def _aggregate_spec(model: str, fields: Mapping[str, Mapping[str, Any]], spec: str, where: str) -> str:
    if spec in ("count", "__count"):
        return "__count"
    allowed = _aggregatable(fields)
    if spec not in allowed:
        name = spec.partition(":")[0]
        text = f"{model} cannot total {spec!r}"
        if ":" not in spec:
            text = f"{spec!r} names no function; write field:sum, :avg, :min, :max or :count_distinct"
        elif name not in fields:
            text = f"{model} has no field {name!r} that this user can see"
        return _raise(_refuse(where, text, ["count", *allowed], spec))
    return spec


def _raise(error: InputError) -> str:
    raise error


def _order(order: str, names: Mapping[str, str]) -> str:
    """``order`` with ``count`` as Odoo's ``__count``; each term must be a group or an aggregate
    of this call (Odoo refuses any other after the request)."""
    terms = []
    for part in order.split(","):
        match = _ORDER_TERM.match(part)
        term = match["name"] if match else part.strip()
        if match is None or term not in names:
            allowed = sorted(names)
            raise _refuse("order", f"{term!r} is not one of this call's groups or aggregates", allowed, term)
        terms.append(f"{names[term]} {match['dir'] or 'asc'}".strip())
    return ", ".join(terms)


def _having(having: Sequence[Any], aggregates: Mapping[str, str]) -> list[Any]:
    out: list[Any] = []
    for index, term in enumerate(having):
        if isinstance(term, str):
            out.append(term)  # '&', '|', '!'
            continue
        where = f"having[{index}]"
        if not (isinstance(term, list | tuple) and len(term) == 3 and isinstance(term[0], str)):
            raise InputError(
                f"{where} must be [aggregate, operator, value], like ['count', '>', 5].", path=where
            )
        if term[0] not in aggregates:
            allowed = sorted(aggregates)
            raise _refuse(where, f"{term[0]!r} is not one of this call's aggregates", allowed, term[0])
        out.append([aggregates[term[0]], term[1], term[2]])
    return out


def aggregate_records(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per group: its group values and its aggregates, computed by Odoo in one request."""
    model: str = inputs["model"]
    domain = validate_domain(list(inputs.get("domain", [])))
    fields = client.group_fields(model)
    groupby = [
        _group_spec(model, fields, g, f"groupBy[{i}]") for i, g in enumerate(inputs.get("groupBy", []))
    ]
    given = list(inputs.get("aggregates") or ["count"])
    aggregates = [_aggregate_spec(model, fields, a, f"aggregates[{i}]") for i, a in enumerate(given)]
    totals = dict(zip(given, aggregates, strict=True))
    if "__count" in aggregates:
        totals.setdefault("count", "__count")
    names = {**{g: g for g in groupby}, **totals}
    kwargs: dict[str, Any] = {"domain": domain, "groupby": groupby, "aggregates": aggregates}
    if inputs.get("having"):
        kwargs["having"] = validate_domain(_having(inputs["having"], totals))
    if inputs.get("limit"):
        kwargs["limit"] = inputs["limit"]
    if inputs.get("order"):
        kwargs["order"] = _order(inputs["order"], names)
    groups = client.call(model, "formatted_read_group", **kwargs)
    return [_row(group, groupby, given, aggregates, fields) for group in groups]


def _row(
    group: Mapping[str, Any],
    groupby: Sequence[str],
    given: Sequence[str],
    aggregates: Sequence[str],
    fields: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for spec in groupby:
        row[spec] = _group_value(spec, group.get(spec), group.get("__extra_domain"), fields)
    for label, spec in zip(given, aggregates, strict=True):
        value = group.get(spec)
        row["count" if spec == "__count" else label] = None if value is False else value
    return row


def _group_value(spec: str, value: Any, domain: Any, fields: Mapping[str, Mapping[str, Any]]) -> Any:
    if value is False or value is None:
        return None
    name, _, granularity = spec.partition(":")
    kind = fields.get(name, {}).get("type")
    if granularity and isinstance(value, list) and len(value) == 2:
        return {"label": value[1], "from": value[0], "to": _range_end(name, domain)}
    if kind in ("many2one", "many2many") and isinstance(value, list) and len(value) == 2:
        return {"id": value[0], "name": value[1]}
    return value


def _range_end(name: str, domain: Any) -> str | None:
    """The end of a date group's range, from the group's own domain (``name < end``)."""
    for term in domain if isinstance(domain, list) else []:
        if isinstance(term, list) and len(term) == 3 and term[0] == name and term[1] == "<":
            return str(term[2])
    return None


def group_by_options(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The selectGroupByField picklist: each groupable field, dates once per period."""
    fields = client.group_fields(inputs["model"])
    options = []
    for name in _groupable(fields):
        label = str(fields[name].get("string") or name)
        if fields[name].get("type") in _DATES:
            options += [
                {"key": f"{name}:{g}", "label": f"{label} by {g} ({name}:{g})"} for g in _GRANULARITIES
            ]
        else:
            options.append({"key": name, "label": f"{label} ({name})"})
    return options


def aggregate_options(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The selectAggregateField picklist: ``count``, then every ``field:function`` that fits."""
    fields = client.group_fields(inputs["model"])
    options = [{"key": "count", "label": "Number of records (count)"}]
    for spec in _aggregatable(fields):
        name, _, fn = spec.partition(":")
        options.append({"key": spec, "label": f"{fields[name].get('string') or name}: {fn} ({spec})"})
    return options

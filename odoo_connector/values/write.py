"""Values a person writes, turned into what Odoo's ``create`` and ``write`` take.

A flow holds what a person typed or another app sent: a country by name, a selection by its label,
a datetime with an offset, ``"12"`` from a form. Odoo takes ids, selection keys, UTC strings and
command lists. :func:`to_odoo` converts, per field type, from ``fields_get`` as the API user sees
it (cached per connection by the client):

* many2one: an id, ``"42"``, ``[id, "name"]`` (Odoo's read), ``{"id": ..}`` (the friendly read),
  ``{"name": "Belgium"}`` or ``"Belgium"`` (exact name, case aside), ``{"externalId": "m.x"}``;
* one2many / many2many: a list of ids replaces the set; items may be any many2one form; in a
  one2many an object that is not a reference is a line to create (converted against the line's
  model); Odoo's own command lists pass unchanged; ``[]`` or ``null`` empties the field;
* selection: the key or its label, case-insensitive; anything else lists the allowed values;
* date: ``YYYY-MM-DD``; datetime: ISO 8601. With an offset or ``Z`` it is converted to UTC.
  Odoo's own ``YYYY-MM-DD HH:MM:SS`` is UTC, as Odoo reads and writes it (a flow passing a read
  value back must not shift it). Any other time without an offset is read in the call's time zone
  (``context.timezone``, else the connection's, else the Odoo user's own, else UTC);
* integer, float, monetary, boolean: JSON values or their text (``"12"``, ``"2.5"``, ``"yes"``).

Refused before anything is written, every problem at once, each naming the field and the value:
a field the user cannot see (with the closest names), a read-only field on create, a value of the
wrong shape, a related record that is missing or ambiguous. On update, a read-only field whose
value is the record's current one is dropped, so a friendly read sent back unchanged is accepted;
a different value is refused. ``rawValues: true`` on the action skips all of this.

Order of work: local checks first (no request but ``fields_get``), then the lookups (one per
distinct name or external ID), then, for an update naming read-only fields, one read.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..client import OdooClient
from ..errors import InputError
from .problems import Problem, a_kind, describe, raise_problems
from .readonly import unchanged_read_only
from .refs import Ref, Resolver

__all__ = ["Converter", "to_odoo"]

Fields = Mapping[str, Mapping[str, Any]]

_ODOO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_WHOLE = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "yes", "1", "on", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "off", "n", "f", ""})
_TEXT = frozenset({"char", "text", "html"})
_AS_GIVEN = frozenset({"json", "properties", "properties_definition", "reference", "many2one_reference"})


@dataclass
class _Conversion:
    client: OdooClient
    problems: list[Problem] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    _tz: ZoneInfo | None = None

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- records and fields --------------------------------------------------------------------

    def record(self, model: str, values: Mapping[str, Any], path: str, *, creating: bool) -> dict[str, Any]:
        fields = self.client.fields_get(model)
        if self.client.fields_were_kept(model) and any(name not in fields for name in values):
            fields = self.client.refresh_fields(model)  # a field added since the list was kept?
        out: dict[str, Any] = {}
        for name, value in values.items():
            where = f"{path}.{name}"
            spec = fields.get(name)
            if spec is None:
                self.problem(where, _unknown(model, name, fields))
                continue
            if creating and spec.get("readonly"):
                title = spec.get("string", name)
                self.problem(where, f"{model}.{name} ({title}) is read-only: Odoo sets it.")
                continue
            out[name] = self.value(model, name, spec, value, where)
        return out

    def value(self, model: str, name: str, spec: Mapping[str, Any], value: Any, where: str) -> Any:
        kind = str(spec.get("type"))
        label = f"{model}.{name}"
        if kind == "boolean":
            return self.boolean(label, value, where)
        if value is None or value is False:
            return [[6, 0, []]] if kind in ("one2many", "many2many") else False
        if kind == "many2one":
            return self.related(str(spec.get("relation")), label, value, where)
        if kind in ("one2many", "many2many"):
            return self.x2many(kind, str(spec.get("relation")), label, value, where)
        if kind == "selection":
            return self.selection(label, spec.get("selection") or [], value, where)
        if kind == "date":
            return self.day(label, value, where)
        if kind == "datetime":
            return self.moment(label, value, where)
        if kind in ("integer", "float", "monetary"):
            return self.number(label, kind, value, where)
        if kind in _TEXT or kind == "binary":
            if isinstance(value, str) or (
                kind in _TEXT and isinstance(value, int | float) and not isinstance(value, bool)
            ):
                return value if isinstance(value, str) else str(value)
            self.problem(where, f"{label} is {a_kind(kind)} field: give it as text, not {describe(value)}.")
            return False
        return value  # json, properties, reference, …: Odoo's own shape, as given

    # -- one type each -------------------------------------------------------------------------

    def boolean(self, label: str, value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool):
            return bool(value)
        if value in (0, 1) and not isinstance(value, float):
            return bool(value)
        if isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
            return value.strip().casefold() in _TRUE
        self.problem(where, f"{label} is a boolean field: give true or false, not {describe(value)}.")
        return False

    def related(self, relation: str, label: str, value: Any, where: str) -> Any:
        """A many2one value: an id, or a :class:`Ref` resolved later."""
        if isinstance(value, bool):
            self.problem(where, f"{label} links to {relation}: true is not a record.")
            return False
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
            return value[0]  # [id, "name"], as Odoo's read gives it
        if isinstance(value, str) and value.strip():
            if _WHOLE.fullmatch(value.strip()) and int(value) > 0:
                return int(value)
            return self.ref(Ref(relation, "name", value.strip()))
        if isinstance(value, Mapping):
            ident = value.get("id")
            if isinstance(ident, int) and not isinstance(ident, bool) and ident > 0:
                return ident  # {"id", "name"}, as the friendly read gives it
            external = value.get("externalId")
            if isinstance(external, str) and "." in external.strip(". "):
                return self.ref(Ref(relation, "externalId", external.strip()))
            name = value.get("name")
            if isinstance(name, str) and name.strip() and set(value) == {"name"}:
                return self.ref(Ref(relation, "name", name.strip()))
        self.problem(
            where,
            f'{label} links to {relation}: give the record\'s id, its name ({{"name": "…"}}) or its '
            f'external ID ({{"externalId": "module.name"}}), not {describe(value)}.',
        )
        return False

    def x2many(self, kind: str, relation: str, label: str, value: Any, where: str) -> Any:
        if not isinstance(value, list):
            self.problem(where, f"{label} is {a_kind(kind)} field: give a list, not {describe(value)}.")
            return False
        if value and all(
            isinstance(item, list | tuple) and item and isinstance(item[0], int) and 0 <= item[0] <= 6
            for item in value
        ):
            return [list(item) for item in value]  # Odoo's own commands, unchanged
        ids: list[Any] = []
        lines: list[list[Any]] = []
        for index, item in enumerate(value):
            here = f"{where}[{index}]"
            if kind == "one2many" and isinstance(item, Mapping) and not _is_reference(item):
                lines.append([0, 0, self.record(relation, item, here, creating=True)])
            elif isinstance(item, list | tuple):
                self.problem(here, f"{label}: a list mixes Odoo commands with other values.")
            else:
                ids.append(self.related(relation, label, item, here))
        if lines and not ids:
            return lines  # lines to create, beside those the record has
        return [[6, 0, ids], *lines]

    def selection(self, label: str, choices: list[Any], value: Any, where: str) -> Any:
        keys = [choice[0] for choice in choices]
        if value in keys:
            return value
        if isinstance(value, str):
            wanted = value.strip().casefold()
            for key, text in choices:
                if str(key).casefold() == wanted or str(text).casefold() == wanted:
                    return key
        allowed = ", ".join(f"{key!r} ({text})" for key, text in choices[:30])
        more = ", …" if len(choices) > 30 else ""
        self.problem(where, f"{label} has no choice {describe(value)}; allowed: {allowed}{more}.")
        return False

    def day(self, label: str, value: Any, where: str) -> Any:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        self.problem(where, f"{label} is a date: give it as YYYY-MM-DD, not {describe(value)}.")
        return False

    def moment(self, label: str, value: Any, where: str) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if _ODOO_DATETIME.fullmatch(text):
                return text  # Odoo's own format: already UTC
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                parsed = None
            if parsed is not None:
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=self.timezone())
                return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.problem(
            where,
            f"{label} is a date and time: give it in ISO 8601 (2026-11-23T14:05:00+01:00, or …Z for "
            f"UTC), not {describe(value)}.",
        )
        return False

    def number(self, label: str, kind: str, value: Any, where: str) -> Any:
        number: Any = value
        if isinstance(value, str):
            try:
                number = int(value.strip()) if _WHOLE.fullmatch(value.strip()) else float(value.strip())
            except ValueError:
                number = None
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            what = "an integer" if kind == "integer" else "a number"
            self.problem(where, f"{label} is {what}, not {describe(value)}.")
            return False
        if kind == "integer":
            if isinstance(number, float) and not number.is_integer():
                self.problem(where, f"{label} is an integer, not {describe(value)}.")
                return False
            return int(number)
        return number

    # -- lookups -------------------------------------------------------------------------------

    def ref(self, ref: Ref) -> Ref:
        self.refs.append(ref)
        return ref

    def timezone(self) -> ZoneInfo:
        """The zone a time without an offset is read in (once per conversion)."""
        if self._tz is None:
            name = (self.client.effective_context() or {}).get("tz") or self.client.user_timezone()
            try:
                self._tz = ZoneInfo(name or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                raise InputError(
                    f"{name!r} is not a time zone this machine knows, so a time without an offset "
                    "cannot be read in it.",
                    path="context.timezone",
                    hint="Give the time with an offset (…+01:00 or …Z), or an IANA zone such as "
                    "Europe/Brussels in context.timezone.",
                ) from None
        return self._tz


def _is_reference(item: Mapping[str, Any]) -> bool:
    """In a one2many, ``{"id": 7}`` / ``{"id", "name"}`` / ``{"externalId"}`` name a line to keep;
    any other object is a line to create (``{"name": "Line 1"}`` too)."""
    return ("id" in item and set(item) <= {"id", "name"}) or set(item) == {"externalId"}


def _unknown(model: str, name: str, fields: Fields) -> str:
    by_case = [f for f in fields if f.casefold() == name.casefold()]
    by_label = [f for f, spec in fields.items() if str(spec.get("string", "")).casefold() == name.casefold()]
    close = difflib.get_close_matches(name, list(fields), n=3, cutoff=0.6)
    guesses = list(dict.fromkeys([*by_case, *by_label, *close]))[:3]
    text = f"{model} has no field {name!r} that this user can see"
    if name in ("id", ".id"):
        return f"{text}: name the record with recordId (or externalId) instead."
    if guesses:
        shown = ", ".join(f"{g!r} ({fields[g].get('string', g)})" for g in guesses)
        return f"{text}; did you mean {shown}?"
    return f"{text} (listModelFields lists them)."


def _substitute(value: Any, found: Mapping[Ref, int | str]) -> Any:
    if isinstance(value, Ref):
        return found[value]
    if isinstance(value, list):
        return [_substitute(item, found) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, found) for key, item in value.items()}
    return value


class Converter:
    """Converts many records' values with one :class:`Resolver`: each distinct name or external
    ID is looked up once for the whole set (the batch actions convert thousands of rows)."""

    def __init__(self, client: OdooClient) -> None:
        self.client = client
        self.resolver = Resolver(client)

    def convert(
        self,
        model: str,
        values: Mapping[str, Any],
        *,
        record_id: int | None = None,
        where: str = "parameters",
    ) -> dict[str, Any]:
        """``values`` as Odoo's create (``record_id`` None) or write (on ``record_id``) take them.

        Raises InputError listing every value it cannot convert, before anything is written."""
        conversion = _Conversion(self.client)
        out = conversion.record(model, values, where, creating=record_id is None)
        raise_problems(model, conversion.problems)
        found: dict[Ref, int | str] = {}
        for ref, path in _ref_paths(out, where):
            answer = self.resolver.resolve(ref)
            found[ref] = answer
            if isinstance(answer, str):
                conversion.problem(path, answer)
        raise_problems(model, conversion.problems)
        out = _substitute(out, found)
        if record_id is not None:
            out = unchanged_read_only(self.client, model, record_id, out, where)
        return out


def to_odoo(
    client: OdooClient,
    model: str,
    values: Mapping[str, Any],
    *,
    record_id: int | None = None,
    where: str = "parameters",
) -> dict[str, Any]:
    """One record's ``values`` as Odoo's create or write take them (:meth:`Converter.convert`)."""
    return Converter(client).convert(model, values, record_id=record_id, where=where)


def _ref_paths(value: Any, path: str) -> list[tuple[Ref, str]]:
    """Every Ref in ``value`` with the input path it came from (for the error)."""
    if isinstance(value, Ref):
        return [(value, path)]
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _ref_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [pair for item in value for pair in _ref_paths(item, path)]
    return []

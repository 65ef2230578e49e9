"""Values as the text cells of Odoo's import engine, ``model.load(fields, data)``.

The batch actions and createRecord-with-an-external-ID write through ``load``. It differs from
``create`` in three ways that surprise:

* every cell is **text**, converted by Odoo per field type (``"1"`` a boolean, ``"2.5"`` a float,
  ``"2026-01-31"`` a date); a datetime is read in the timezone of the call's context, so the
  callers send ``context={"tz": "UTC"}`` and datetimes stay the UTC strings Odoo reads back;
* a relation is named by its column: ``country_id`` takes a *name*, ``country_id/.id`` a database
  id, ``country_id/id`` an external ID. A many2one id goes to ``field/.id``; a many2many list of
  ids goes to ``field/.id`` comma-joined and *replaces* the field's records;
* an **empty cell clears** the field, on create too (``active`` empty archives the new record). So
  a column must only be sent for the fields a row sets: rows with different field sets never
  share a ``load`` call (the batch actions cut batches there).

What ``load`` cannot express is refused here with the field named, before anything is sent: a
one2many (load writes it as nested rows, not as ids), x2many command lists other than "replace
with these ids", and ``json``/``properties`` fields. Values a person writes (a relation by name, a
selection label) are turned into ids and keys by :mod:`.write` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .problems import a_kind, describe

__all__ = ["ValueRefused", "load_column", "load_row"]

_TEXT = frozenset({"char", "text", "html", "selection"})
_AS_IS = frozenset({"date", "datetime", "reference", "binary"})
_INTEGER = frozenset({"integer", "many2one_reference"})
_FLOAT = frozenset({"float", "monetary"})


class ValueRefused(ValueError):
    """A value (or field) ``load`` cannot take; ``field`` names it. Callers turn it into an
    InputError or a row's error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _spec(model: str, fields: Mapping[str, Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    if name in ("id", ".id") or name not in fields:
        raise ValueRefused(
            name,
            f"{model} has no field {name!r} that this user can write (see listModelFields)."
            + (" Name the record with recordId or externalId instead." if name in ("id", ".id") else ""),
        )
    return fields[name]


def load_column(model: str, fields: Mapping[str, Mapping[str, Any]], name: str) -> str:
    """The ``load`` column for field ``name``: ``name/.id`` for relations given by id, else the
    name. Refuses fields ``load`` cannot write from a JSON value."""
    kind = _spec(model, fields, name).get("type")
    if kind in ("many2one", "many2many"):
        return f"{name}/.id"
    if kind == "one2many":
        raise ValueRefused(
            name,
            f"{model}.{name} is a one2many field, which Odoo's import (load) writes as nested rows, "
            "not as ids: set it with updateRecord instead.",
        )
    if kind in _TEXT | _AS_IS | _INTEGER | _FLOAT or kind == "boolean":
        return name
    raise ValueRefused(
        name, f"{model}.{name} is {a_kind(kind)} field, which Odoo's import (load) cannot write."
    )


def _ids(model: str, name: str, value: Any) -> list[int]:
    """A many2many value as a list of ids: ``[1, 2]``, or Odoo's ``[[6, 0, [1, 2]]]``."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list | tuple):
        command = list(value[0])
        if len(command) == 3 and command[0] == 6 and isinstance(command[2], list):
            value = command[2]
    if isinstance(value, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in value
    ):
        return list(value)
    raise ValueRefused(
        name,
        f"{model}.{name} is a many2many field: give the list of related record ids it should hold "
        f"(e.g. [3, 7]), not {describe(value)}. Other commands (add one, remove one) cannot be sent "
        "through Odoo's import: use updateRecord for them.",
    )


def _cell(model: str, name: str, spec: Mapping[str, Any], value: Any) -> str:
    kind = spec.get("type")
    where = f"{model}.{name}"
    if kind == "boolean":
        if value is None:
            return "0"
        if isinstance(value, bool) or value in (0, 1):
            return "1" if value else "0"
        if isinstance(value, str):
            return value  # Odoo reads "true"/"yes"/"1" (and their translations)
        raise ValueRefused(name, f"{where} is a boolean field: give true or false, not {describe(value)}.")
    if value is None or value is False:
        return ""  # an empty cell clears the field
    if kind == "many2one":
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
            value = value[0]  # [id, display name], as read returns it
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return str(value)
        raise ValueRefused(
            name,
            f"{where} is a many2one field to {spec.get('relation') or 'another model'}: give the related "
            f"record's id (a whole number), not {describe(value)}.",
        )
    if kind == "many2many":
        return ",".join(str(i) for i in _ids(model, name, value))
    if isinstance(value, bool):
        raise ValueRefused(
            name, f"{where} is {a_kind(kind)} field, not a boolean: true is not a value for it."
        )
    if kind in _INTEGER:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int | str):
            return str(value)
        raise ValueRefused(name, f"{where} is an integer field, not {describe(value)}.")
    if kind in _FLOAT:
        if isinstance(value, int | float | str):
            return str(value)
        raise ValueRefused(name, f"{where} is a number field, not {describe(value)}.")
    if isinstance(value, str):
        return value
    if kind in _TEXT and isinstance(value, int | float):
        return str(value)
    raise ValueRefused(name, f"{where} is {a_kind(kind)} field: give it as text, not {describe(value)}.")


def load_row(
    model: str, fields: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any]
) -> tuple[tuple[str, ...], list[str]]:
    """``values`` (field name → JSON value) as ``load`` columns and cells, in field-name order.

    ``fields`` is ``fields_get`` of ``model`` (type and relation per field). Raises ValueRefused
    naming the first field it cannot convert.
    """
    columns: list[str] = []
    cells: list[str] = []
    for name in sorted(values):
        columns.append(load_column(model, fields, name))
        cells.append(_cell(model, name, fields[name], values[name]))
    return tuple(columns), cells

"""Records as read from Odoo, in the shape a flow maps without knowing Odoo's conventions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["friendly_record"]


def friendly_record(record: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A record as read from Odoo, in the shape a flow maps without knowing Odoo's conventions
    (``format: friendly`` on the read actions):

    * a many2one ``[id, "name"]`` becomes ``{"id": id, "name": "name"}``;
    * a datetime ``"2026-11-23 14:05:00"`` (UTC, as Odoo sends it) becomes ISO 8601 with ``Z``;
    * Odoo's ``false`` for an empty field that is not a boolean becomes ``null``.

    Fields missing from ``fields`` (fields_get as the user sees it) are kept as they are.
    """
    out: dict[str, Any] = {}
    for name, value in record.items():
        kind = (fields.get(name) or {}).get("type")
        if kind is None or kind == "boolean":
            out[name] = value
        elif value is False:
            out[name] = [] if kind in ("one2many", "many2many") else None
        elif kind == "many2one" and isinstance(value, list) and len(value) == 2:
            out[name] = {"id": value[0], "name": value[1]}
        elif kind == "datetime" and isinstance(value, str) and len(value) == 19 and value[10] == " ":
            out[name] = f"{value[:10]}T{value[11:]}Z"
        else:
            out[name] = value
    return out

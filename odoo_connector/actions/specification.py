"""Related fields and lines in one read: Odoo's own ``web_read`` specification, checked before sending.

A read action given ``specification`` (or a dotted path such as ``partner_id.country_id.code`` in
``fields``) reads through ``web_read`` / ``web_search_read``, which follow many2one fields and
x2many lines on the server: an order with its lines and each line's product is one request per
page instead of a loop of reads. Without either, nothing here runs and the read actions send what
they always sent (``read`` / ``search_read``).

What Odoo does that surprises, and what this module does about it:

* ``web_read`` skips a name it does not know without a word, and answers a many2one asked as
  ``{}`` with its bare id. Every name in the tree is therefore checked against the model's
  ``fields_get`` (cached per client) and refused with its path, e.g.
  ``specification.order_line.fields.product_idx``; a many2one named in ``fields`` (not in
  ``specification``) is asked with its ``display_name``, so it keeps its name.
* ``limit`` and ``order`` belong to x2many lines; ``fields`` to relational fields only: Odoo
  ignores them elsewhere, so they are refused there rather than silently dropped.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from ..client import OdooClient
from ..errors import InputError
from ..values import friendly_record

__all__ = ["friendly_tree", "specification_for", "with_fields"]

Spec = dict[str, dict[str, Any]]

_RELATIONAL = frozenset({"many2one", "one2many", "many2many"})
_X2MANY = frozenset({"one2many", "many2many"})
_KEYS = frozenset({"fields", "limit", "order", "context"})


def specification_for(
    client: OdooClient, model: str, specification: Mapping[str, Any] | None, fields: Sequence[str] | None
) -> Spec | None:
    """The checked ``web_read`` specification these inputs ask for, or None when they ask for a
    plain read (no ``specification`` and no dotted name in ``fields``): the caller then reads as
    before, byte for byte.

    ``fields`` come first (a dotted path becomes nested ``fields``); ``specification`` is laid
    over them, so both may be given."""
    dotted = any("." in name for name in fields or ())
    if specification is None and not dotted:
        return None
    tree: Spec = {}
    for index, name in enumerate(fields or ()):
        _add_path(client, model, tree, name.split("."), f"fields[{index}]")
    if specification is not None:
        _merge(tree, _checked(client, model, specification, "specification"))
    return tree or {"display_name": {}}


def with_fields(spec: Spec, names: Sequence[str]) -> Spec:
    """``spec`` with the top-level ``names`` added (read as plain values) when missing."""
    return {**spec, **{name: {} for name in names if name not in spec}}


def friendly_tree(
    client: OdooClient, model: str, spec: Mapping[str, Any], row: Mapping[str, Any]
) -> dict[str, Any]:
    """:func:`odoo_connector.values.friendly_record` at every level of a ``web_read`` answer:
    each related record and line is shaped with its own model's fields."""
    fields = client.fields_get(model)
    out = friendly_record(row, fields)
    for name, sub in spec.items():
        nested = sub.get("fields")
        relation = (fields.get(name) or {}).get("relation")
        if not nested or not relation:
            continue
        value = out.get(name)
        if isinstance(value, dict):
            out[name] = friendly_tree(client, relation, nested, value)
        elif isinstance(value, list):
            out[name] = [
                friendly_tree(client, relation, nested, item) if isinstance(item, dict) else item
                for item in value
            ]
    return out


def _add_path(client: OdooClient, model: str, tree: Spec, parts: list[str], where: str) -> None:
    fields = client.fields_get(model)
    name, rest = parts[0], parts[1:]
    if name not in fields:
        raise _unknown(model, name, fields, where, " ".join(parts))
    kind = fields[name].get("type")
    node = tree.setdefault(name, {})
    if not rest:
        if kind == "many2one" and "fields" not in node:
            node["fields"] = {"display_name": {}}  # its name, as a plain read gives it
        return
    if kind not in _RELATIONAL:
        raise InputError(
            f"{where}: {name!r} of {model} is a {kind} field, so {'.'.join(rest)!r} cannot follow it.",
            hint="Only many2one, one2many and many2many fields lead to other records' fields.",
            path=where,
        )
    _add_path(client, str(fields[name]["relation"]), node.setdefault("fields", {}), rest, where)


def _checked(client: OdooClient, model: str, spec: Any, where: str) -> Spec:
    if not isinstance(spec, Mapping):
        raise InputError(f"{where} must be an object of field names, not {type(spec).__name__}.", path=where)
    fields = client.fields_get(model)
    out: Spec = {}
    for name, sub in spec.items():
        here = f"{where}.{name}"
        if name not in fields:
            raise _unknown(model, name, fields, here)
        if not isinstance(sub, Mapping):
            raise InputError(
                f"{here} must be an object ({{}} for the value, or with fields, limit, order).", path=here
            )
        kind = str(fields[name].get("type"))
        extra = sorted(set(sub) - _KEYS)
        if extra:
            raise InputError(
                f"{here} has {', '.join(map(repr, extra))}: "
                "only fields, limit, order and context are allowed.",
                path=f"{here}.{extra[0]}",
            )
        if "fields" in sub and kind not in _RELATIONAL:
            raise InputError(
                f"{here}.fields: {name!r} of {model} is a {kind} field, not a relation to other records.",
                hint="Give it as {} to read its value.",
                path=f"{here}.fields",
            )
        for key in ("limit", "order"):
            if key in sub and kind not in _X2MANY:
                raise InputError(
                    f"{here}.{key}: {key} applies to one2many and many2many lines; "
                    f"{name!r} is a {kind} field.",
                    path=f"{here}.{key}",
                )
        limit = sub.get("limit")
        if "limit" in sub and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise InputError(
                f"{here}.limit must be a whole number of lines (0 or more).", path=f"{here}.limit"
            )
        node = {key: value for key, value in sub.items() if key != "fields"}
        if "fields" in sub:
            node["fields"] = _checked(client, str(fields[name]["relation"]), sub["fields"], f"{here}.fields")
        out[name] = node
    return out


def _merge(into: Spec, spec: Mapping[str, dict[str, Any]]) -> None:
    for name, sub in spec.items():
        node = into.setdefault(name, {})
        for key, value in sub.items():
            if key == "fields" and isinstance(node.get("fields"), dict):
                _merge(node["fields"], value)
            else:
                node[key] = value


def _unknown(
    model: str, name: str, fields: Mapping[str, Any], where: str, path: str | None = None
) -> InputError:
    close = difflib.get_close_matches(name, list(fields), n=3, cutoff=0.6)
    guess = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    said = f" (in {path!r})" if path and path != name else ""
    return InputError(
        f"{where}: {model} has no field {name!r}{said} that this user can see.{guess}",
        hint=f"listModelFields with model {model} lists the fields.",
        path=where,
    )

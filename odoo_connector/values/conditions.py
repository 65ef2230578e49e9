"""Watched fields and their ``to`` / ``from`` conditions, as people write them, checked and
resolved once, before a trigger polls or subscribes.

A flow says "when the stage becomes Won" or "when the salesperson changes from anyone to Alice":
``watchFields: ["stage_id"]``, ``to: {"stage_id": "Won"}``, ``from: {"user_id": "alice@example.com"}``.
Each condition value is converted like a value to write (:mod:`.write`: a stage by name, a user
by name or login, a selection by label, a datetime in the call's time zone), so what the trigger
later compares is what Odoo stores: a many2one id, a selection key, a UTC datetime. A list gives
alternatives ("becomes Won or Lost"); ``null`` means the field is emptied.

Conditions on one2many and many2many fields are refused: "the tags become X" has no single value
to compare a set with, and guessing would emit or mute the wrong changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..client import OdooClient
from .problems import Problem, raise_problems
from .refs import Ref, Resolver
from .write import _Conversion, _ref_paths, _substitute, _unknown

__all__ = ["WatchedField", "resolve_conditions", "watched_fields"]

_SETS = frozenset({"one2many", "many2many"})
WatchedField = tuple[str, str]  # (name, Odoo field type)


def watched_fields(
    client: OdooClient, model: str, names: Sequence[str], where: str = "watchFields"
) -> list[WatchedField]:
    """Each watched field with its type (``fields_get``); every unknown name refused at once,
    with the closest names the user can see."""
    fields = client.fields_get(model)
    problems = [
        Problem(f"{where}[{i}]", _unknown(model, n, fields)) for i, n in enumerate(names) if n not in fields
    ]
    _raise(model, problems)
    return [(name, str(fields[name].get("type"))) for name in dict.fromkeys(names)]


def resolve_conditions(
    client: OdooClient, model: str, conditions: Mapping[str, Any] | None, where: str
) -> dict[str, list[Any]]:
    """``{field: value or [values]}`` as ``{field: [values as Odoo stores them]}``; every problem
    (unknown field, a set field, a value of the wrong shape, a name matching no record or several)
    reported together in one :class:`InputError`."""
    if not conditions:
        return {}
    fields = client.fields_get(model)
    conversion = _Conversion(client)
    out: dict[str, list[Any]] = {}
    for name, given in conditions.items():
        path = f"{where}.{name}"
        spec = fields.get(name)
        if spec is None:
            conversion.problem(path, _unknown(model, name, fields))
            continue
        if spec.get("type") in _SETS:
            conversion.problem(
                path,
                f"{model}.{name} is a {spec.get('type')} field: a condition compares one value, so "
                "watch it without to/from and look at its changes in the flow.",
            )
            continue
        alternatives = given if _alternatives(given, str(spec.get("type"))) else [given]
        out[name] = [
            conversion.value(model, name, spec, value, f"{path}[{i}]" if alternatives is given else path)
            for i, value in enumerate(alternatives)
        ]
    _raise(model, conversion.problems)
    resolver = Resolver(client)
    found: dict[Ref, int | str] = {}
    for ref, path in _ref_paths(out, where):
        answer = resolver.resolve(ref)
        found[ref] = answer
        if isinstance(answer, str):
            conversion.problem(path, answer)
    _raise(model, conversion.problems)
    resolved: dict[str, list[Any]] = _substitute(out, found)
    return resolved


def _alternatives(given: Any, kind: str) -> bool:
    """Whether a list is a list of alternatives, not one many2one as Odoo reads it ([id, name])."""
    if not isinstance(given, list):
        return False
    as_read = (
        kind == "many2one" and len(given) == 2 and isinstance(given[0], int) and isinstance(given[1], str)
    )
    return not as_read


def _raise(model: str, problems: list[Problem]) -> None:
    raise_problems(
        model,
        problems,
        heading="{count} watched fields or conditions on {model} are not usable",
        hint="Nothing was polled. Fix watchFields, to and from (field names as listModelFields "
        "shows them; values as you would write them, a stage by name, a user by name or login).",
    )

"""A model's form view as Odoo 19 draws it: which fields it shows, in which order, and their
modifiers (``invisible``, ``required``, ``readonly``, ``column_invisible``), which Odoo 19 writes
as Python-like expressions over the record's values (``required="type == 'contact' and not
is_company"``), plus the embedded views of its one2many fields (an order's lines).

``modelForm`` evaluates those expressions with the new record's defaults or the record's values,
so its form requires what Odoo's form requires and hides what it hides. The expressions are
evaluated here by a small interpreter over Python's own parse tree (``ast``), never by ``eval``:
names, constants, ``not``/``and``/``or``, comparisons (``==``, ``!=``, ``<`` …, ``in``, ``not
in``), lists and tuples, and a line's ``parent.field``. Anything else (``context.get(…)``, a
call, a name whose value is not known) makes the expression one this module cannot evaluate: :func:`evaluate`
answers ``None`` and the caller leaves the modifier out and lists it.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

__all__ = ["FormField", "Unknown", "evaluate", "form_fields", "names_in"]

MODIFIERS = ("invisible", "required", "readonly")
_SUBVIEWS = ("form", "list", "tree", "kanban")


class Unknown(Exception):
    """The expression needs something this module does not evaluate (or a value not known)."""


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _value(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):  # pragma: no cover - Constants since Python 3.8
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id not in values:
            raise Unknown(node.id)
        return values[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _value(node.operand, values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = _value(node.operand, values)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand
        raise Unknown("-")
    if isinstance(node, ast.BoolOp):
        # Python's own and/or: the value of the last operand looked at
        result: Any = None
        for operand in node.values:
            result = _value(operand, values)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _value(node.left, values)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _value(right_node, values)
            compare = _COMPARE.get(type(op))
            if compare is None:
                raise Unknown(type(op).__name__)
            try:
                if not compare(left, right):
                    return False
            except TypeError:  # False < 1 is fine in Python; None < 1 or "a" in 3 is not
                raise Unknown("comparison") from None
            left = right
        return True
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(item, values) for item in node.elts]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "parent":
        # a line's expression reading its order: ``parent.state``, with the parent's values
        parent = values.get("parent")
        if not isinstance(parent, Mapping) or node.attr not in parent:
            raise Unknown(f"parent.{node.attr}")
        return parent[node.attr]
    raise Unknown(type(node).__name__)


def evaluate(expression: str, values: Mapping[str, Any]) -> bool | None:
    """The truth of a modifier expression for a record with ``values``; ``None`` when it cannot
    be evaluated (a construct outside the subset, or a name without a known value)."""
    text = expression.strip()
    if not text:
        return None
    try:
        tree = ast.parse(text, mode="eval")
        return bool(_value(tree.body, values))
    except (Unknown, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def names_in(expression: str) -> set[str]:
    """The plain names an expression reads (``parent.state`` gives ``parent``), to ask their
    values once for every expression of the form."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


@dataclass
class FormField:
    """One field as the form view shows it: its modifiers (the field's own, and the ``invisible``
    of every element around it) and, for an x2many, the embedded view of its lines."""

    name: str
    invisible: list[str] = field(default_factory=list)
    required: str | None = None
    readonly: str | None = None
    subview: ElementTree.Element | None = None


def form_fields(arch: str | ElementTree.Element) -> list[FormField]:
    """The fields of a form view (or of an embedded list or form) in document order, first
    occurrence first; the fields of an x2many's own embedded view are not among them."""
    # the arch comes from the authenticated Odoo server, and expat (2.4+) refuses entity bombs
    root = ElementTree.fromstring(arch) if isinstance(arch, str) else arch  # noqa: S314
    found: list[FormField] = []

    def walk(node: ElementTree.Element, hidden: list[str]) -> None:
        for child in node:
            around = hidden + [e for e in (child.get("invisible"), child.get("column_invisible")) if e]
            if child.tag == "field" and child.get("name"):
                subviews = {sub.tag: sub for sub in child if sub.tag in _SUBVIEWS}
                found.append(
                    FormField(
                        name=str(child.get("name")),
                        invisible=around,
                        required=child.get("required"),
                        readonly=child.get("readonly"),
                        subview=subviews.get("form", subviews.get("list", subviews.get("tree"))),
                    )
                )
            elif child.tag not in _SUBVIEWS:
                walk(child, around)

    walk(root, [])
    return found

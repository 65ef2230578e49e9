"""Checks an Odoo search domain before it is sent.

Odoo answers a malformed domain with a 500 and a traceback; a user building a workflow deserves
"term 2: operator 'equals' is not an Odoo operator" instead. A domain is a list in prefix
(Polish) notation: terms ``[field, operator, value]`` and the operators ``"&"``, ``"|"`` (two
operands) and ``"!"`` (one). Terms left over at the top level are joined with an implicit AND.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InputError

__all__ = ["OPERATORS", "validate_domain"]

# Odoo 19's condition operators (odoo/orm/domains.py), plus the ones it rewrites
# ('=', '!=', '=?', 'child_of', 'parent_of'). 'any!'/'not any!' bypass record rules and are
# refused over RPC, so they are not offered.
OPERATORS = frozenset(
    {
        "=",
        "!=",
        ">",
        ">=",
        "<",
        "<=",
        "=?",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "not =like",
        "=ilike",
        "not =ilike",
        "in",
        "not in",
        "child_of",
        "parent_of",
        "any",
        "not any",
    }
)
_LIST_OPERATORS = frozenset({"in", "not in"})
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ARITY = {"&": 2, "|": 2, "!": 1}


def validate_domain(domain: Any, *, path: str = "domain") -> list[Any]:
    """Returns the domain as a list of lists/strings, or raises InputError naming the term."""
    if not isinstance(domain, list):
        raise InputError(
            f'The input {path!r} must be a list of terms, e.g. [["is_company", "=", true]].', path=path
        )
    normalised: list[Any] = []
    for index, item in enumerate(domain):
        where = f"{path}[{index}]"
        if isinstance(item, str):
            if item not in _ARITY:
                raise InputError(
                    f"{where}: {item!r} is not a domain operator; use '&', '|' or '!' "
                    "between terms, or a term [field, operator, value].",
                    path=where,
                )
            normalised.append(item)
            continue
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise InputError(
                f"{where}: a term is a list of three items [field, operator, value], got {item!r}.",
                path=where,
            )
        field, operator, value = item
        if (field, operator, value) in ((1, "=", 1), (0, "=", 1)):  # Odoo's TRUE/FALSE leaves
            normalised.append([field, operator, value])
            continue
        if not isinstance(field, str) or not _FIELD_PATH.match(field):
            raise InputError(
                f"{where}: {field!r} is not a field name (use names like 'name' or 'partner_id.country_id').",
                path=where,
            )
        if not isinstance(operator, str) or operator.lower() not in OPERATORS:
            raise InputError(
                f"{where}: {operator!r} is not an Odoo operator; use one of: "
                + ", ".join(sorted(OPERATORS))
                + ".",
                path=where,
            )
        operator = operator.lower()
        if operator in _LIST_OPERATORS and not isinstance(value, list | tuple):
            raise InputError(
                f"{where}: the operator {operator!r} needs a list value, e.g. [1, 2].", path=where
            )
        if operator in ("any", "not any"):
            value = validate_domain(value, path=f"{where}[2]")
        normalised.append([field, operator, list(value) if isinstance(value, tuple) else value])
    _check_arity(normalised, path)
    return normalised


def _check_arity(domain: list[Any], path: str) -> None:
    # Read right to left: each term pushes one operand, each operator consumes its arity and
    # pushes its result. An operator short of operands is the error to report.
    operands = 0
    for index in range(len(domain) - 1, -1, -1):
        item = domain[index]
        if isinstance(item, str):
            need = _ARITY[item]
            if operands < need:
                raise InputError(
                    f"{path}[{index}]: {item!r} needs {need} term{'s' if need > 1 else ''} after it, "
                    f"but only {operands} follow{'s' if operands == 1 else ''}.",
                    path=f"{path}[{index}]",
                )
            operands -= need - 1
        else:
            operands += 1

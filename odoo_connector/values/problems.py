"""Problems found in values, reported together in one InputError (values.write, values.readonly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InputError

__all__ = ["Problem", "a_kind", "describe", "raise_problems"]


@dataclass
class Problem:
    path: str
    message: str


_WRITE_HINT = (
    "Nothing was written. Fix the values above, or set rawValues to true to send them to Odoo as given."
)


def raise_problems(
    model: str,
    problems: list[Problem],
    *,
    heading: str = "{count} values cannot be written to {model}",
    hint: str = _WRITE_HINT,
) -> None:
    """One InputError listing every problem (``heading:`` then a line each), so a person fixes
    them all at once; the writers' wording by default, the trigger conditions' given."""
    if not problems:
        return
    if len(problems) == 1:
        message = f"{problems[0].path}: {problems[0].message}"
    else:
        listed = "\n".join(f"- {p.path}: {p.message}" for p in problems)
        message = f"{heading.format(count=len(problems), model=model)}:\n{listed}"
    raise InputError(message, path=problems[0].path, hint=hint)


def describe(value: Any) -> str:
    """A value as shown in an error: its repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def a_kind(kind: Any) -> str:
    """ "a char", "an html", "an integer": a field type with its article."""
    return f"an {kind}" if str(kind)[:1] in "aeiou" else f"a {kind}"

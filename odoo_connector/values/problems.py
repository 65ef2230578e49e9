"""Problems found in values, reported together in one InputError (values.write, values.readonly)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

__all__ = ["Problem", "raise_problems"]


@dataclass
class Problem:
    path: str
    message: str


def raise_problems(model: str, problems: list[Problem]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        message = f"{problems[0].path}: {problems[0].message}"
    else:
        listed = "\n".join(f"- {p.path}: {p.message}" for p in problems)
        message = f"{len(problems)} values cannot be written to {model}:\n{listed}"
    raise InputError(
        message,
        path=problems[0].path,
        hint="Nothing was written. Fix the values above, or set rawValues to true to send them to "
        "Odoo as given.",
    )

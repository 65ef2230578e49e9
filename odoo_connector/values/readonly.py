"""Read-only fields in an update: dropped when they keep the record's value, refused otherwise.

A flow reads a record (``getRecordById``, friendly or not) and sends it back with a few values
changed. The read holds fields Odoo computes (``display_name``, ``write_date``, a partner's
``commercial_company_name``); refusing them would make that round trip impossible, and writing
them would be ignored by Odoo or rejected. So their values are compared with the record's, in one
read of just those fields, and only a real change is an error.
"""

from __future__ import annotations

from typing import Any

from ..client import OdooClient
from ..errors import NotFoundError
from .compare import same_value
from .problems import Problem, describe, raise_problems

__all__ = ["unchanged_read_only"]


def unchanged_read_only(
    client: OdooClient, model: str, record_id: int, values: dict[str, Any], where: str
) -> dict[str, Any]:
    """Drops the read-only fields whose value is the record's own (a read sent back); refuses
    the others, which Odoo would ignore or reject."""
    fields = client.fields_get(model)
    frozen = [name for name in values if fields[name].get("readonly")]
    if not frozen:
        return values
    rows = client.call(model, "read", [record_id], fields=frozen)
    if not rows:
        raise NotFoundError(f"{model} has no record {record_id} that this user can see.")
    current = rows[0]
    problems = [
        Problem(
            f"{where}.{name}",
            f"{model}.{name} ({fields[name].get('string', name)}) is read-only: Odoo sets it, and "
            f"{describe(values[name])} differs from its value {describe(current.get(name))}.",
        )
        for name in frozen
        if not same_value(fields[name], values[name], current.get(name))
    ]
    raise_problems(model, problems)
    return {name: value for name, value in values.items() if name not in frozen}

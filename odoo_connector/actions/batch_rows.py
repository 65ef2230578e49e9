"""The rows of a batch run and what the user reads of them: the per-row report, a row's error, and
the error that says where a run stopped.

Split from :mod:`.batch` (which decides what is sent) because this part is wording and shape:
one entry per input row always, errors named by the row's index in the whole input and by its
input (``recordId``/``externalId`` for load's key columns), and a stop message that says which
batches were written and whether the failing one may have been.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    AccessDeniedError,
    NotFoundError,
    OdooConnectorError,
    OdooRequestError,
    ServerError,
    TransportError,
    parse_groups,
)
from ..values import ValueRefused

__all__ = [
    "KEY_INPUTS",
    "NO_ANSWER_HINT",
    "ROW_ERRORS",
    "Row",
    "message_error",
    "no_answer",
    "report",
    "row_error",
    "stopped",
    "systemic",
    "unanswered",
    "unanswered_write",
]

# load's key columns, named as the row's inputs
KEY_INPUTS = {".id": "recordId", "id": "externalId"}
ROW_ERRORS: dict[str, type[OdooRequestError]] = {
    "AccessDeniedError": AccessDeniedError,
    "NotFoundError": NotFoundError,
}


@dataclass(eq=False)  # rows are keyed by identity
class Row:
    index: int  # in the input, firstIndex added
    position: int  # in this call's records
    columns: tuple[str, ...] = ()
    cells: list[str] = field(default_factory=list)
    match: tuple[Any, ...] | None = None
    record_id: int | None = None
    error: dict[str, Any] | None = None
    done: bool = False
    created: bool = False
    values: dict[str, Any] | None = None  # as Odoo's write takes them, kept for skipUnchanged
    write: dict[str, Any] | None = None  # the changed values, when the record is known
    unchanged: bool = False
    lost: str | None = None  # the error's type when the request carrying this row got no answer


def row_error(exc: OdooConnectorError | ValueRefused, field_name: str | None = None) -> dict[str, Any]:
    if isinstance(exc, ValueRefused):
        return {"type": "InputError", "message": exc.message, "field": exc.field}
    out = exc.to_dict()
    out.pop("hint", None)
    if field_name:
        out["field"] = field_name
    return out


def message_error(message: Mapping[str, Any]) -> dict[str, Any]:
    """One of load's messages as a row error."""
    text = str(message.get("message") or "Odoo refused the row.")
    groups = parse_groups(text)
    out: dict[str, Any] = {"type": "AccessDeniedError" if groups else "OdooValidationError", "message": text}
    if message.get("field"):
        out["field"] = KEY_INPUTS.get(message["field"], message["field"])
    if groups:
        out["missingGroups"] = groups
    return out


def systemic(named: Mapping[Row, dict[str, Any]], whole: OdooConnectorError | None) -> dict[str, Any] | None:
    """The error that refuses every row of a batch alike (the user lacks a group for the model),
    or None. Odoo names only the first row then, and would name the next one on every retry."""
    if isinstance(whole, AccessDeniedError):
        return row_error(whole)
    errors = list(named.values())
    if len(errors) == 1 and errors[0].get("missingGroups"):
        return errors[0]
    return None


def unanswered(exc: OdooConnectorError) -> bool:
    """True when Odoo may have run the request: no answer (timeout, connection lost), or a
    gateway's 502/503/504 rather than Odoo's own error (which rolls the transaction back)."""
    return isinstance(exc, TransportError) or (isinstance(exc, ServerError) and exc.odoo_name is None)


# What every write that is not safe to send twice says when Odoo gave no answer: the batch
# actions' stops, createRecord, postMessage, uploadAttachment, callMethod and runWizard.
NO_ANSWER_HINT = (
    "Odoo may have done it before the answer was lost, so sending the same request again may do it "
    "twice (a second record, a second message). Look in Odoo first. If the server is only slow, "
    "allow more time with the connection's timeout."
)


def no_answer(what: str, look: str, *, done: str = "written") -> str:
    """The one sentence for a write Odoo may have run without answering (a timeout, a lost
    connection, a gateway's 502/503/504): it says that it may have happened and where to look,
    and never invites a plain retry, which could write it twice."""
    return (
        f"{what} may or may not have been {done}: Odoo gave no answer. Check {look} before sending it again."
    )


def unanswered_write(exc: OdooConnectorError, message: str) -> OdooConnectorError:
    """``exc`` (same type, so the same exit status) saying ``message`` (built with
    :func:`no_answer`) and :data:`NO_ANSWER_HINT` instead of its own retry advice."""
    out = copy.copy(exc)
    out.message, out.hint = message, NO_ANSWER_HINT
    out.args = (message,)
    return out


def report(rows: Sequence[Row], op: str, batches: int, stopped_at: int | None = None) -> dict[str, Any]:
    """The action's output: one entry per input row, in input order, and the counts."""
    entries: list[dict[str, Any]] = []
    for row in rows:
        if row.done:
            entry: dict[str, Any] = {"index": row.index, "id": row.record_id}
            if op != "delete":
                entry["created"] = row.created
            if row.unchanged:
                entry["unchanged"] = True
        elif row.lost:
            entry = {
                "index": row.index,
                "written": "unknown",
                "error": {"type": row.lost, "message": no_answer("This row", "its record", done=_DONE[op])},
            }
        elif row.error:
            entry = {"index": row.index, "error": row.error}
        else:
            why = (
                f"not written: the run stopped at row {stopped_at}"
                if stopped_at is not None
                else "not written"
            )
            entry = {"index": row.index, "error": {"type": "NotWritten", "message": why}}
        entries.append(entry)
    done = [r for r in rows if r.done]
    written = [r for r in done if not r.unchanged]
    lost = sum(1 for r in rows if r.lost and not r.done)
    out = {
        "rows": entries,
        "written": len(written),
        "created": sum(1 for r in done if r.created),
        "failed": len(rows) - len(done) - lost,
        "batches": batches,
    }
    if op in ("upsert", "update"):
        out["unchanged"] = len(done) - len(written)
    if lost:
        out["unknown"] = lost
    return out


_DONE = {"create": "written", "update": "written", "upsert": "written", "delete": "deleted"}


def stopped(
    exc: OdooConnectorError,
    rows: Sequence[Row],
    batch: Sequence[Row],
    number: int,
    *,
    op: str,
    batches: int,
    single: bool,
) -> OdooConnectorError:
    """``exc`` (same type, so the same exit status) with where the run stopped and what it
    wrote before; ``report`` holds the per-row report (the CLI prints it, and the error carries
    it), in which the rows of a request that got no answer say ``"written": "unknown"``."""
    written = [r for r in rows if r.done and not r.unchanged]
    # only a request that carried rows can have written them: a search that got no answer did not
    unknown = any(r.lost and not r.done for r in batch)
    where = _span(batch)
    safe = (
        " (it sets values on records that exist: sending it again is safe)."
        if batch[0].write is not None
        else " (this batch names its records by external ID: sending it again is safe)."
        if batch[0].columns[:1] == ("id",)
        else ""
    )
    part_written = sum(1 for r in batch if r.done and not r.unchanged)
    lost = no_answer(f"Batch {number} ({where})", "those records", done=_DONE[op])
    fate = (
        lost.removesuffix(".") + (safe or ".")
        if unknown
        else f"Nothing of batch {number} ({where}) was written."
        if not part_written
        else f"Of batch {number} ({where}), {part_written} rows were written before Odoo refused one "
        "(the report says which)."
    )
    before = (
        f"{batches} batch{'es were' if batches != 1 else ' was'} written before it "
        f"({len(written)} rows, {written[0].index} to {written[-1].index})."
        if written
        else "No batch was written before it."
    )
    out = copy.copy(exc)
    said = exc.message if exc.message.rstrip().endswith((".", "!", "?")) else f"{exc.message}."
    if single:
        out.message = f"{said} " + (
            no_answer("The record", "it", done=_DONE[op]) if unknown else "Nothing was written."
        )
    else:
        out.message = f"{said} {fate} {before} Rows after it were not sent."
    if unknown and not safe:
        out.hint = NO_ANSWER_HINT
    out.args = (out.message,)
    if not single:  # upsertRecord and createRecord answer with one record, not a report
        out.report = report(rows, op, batches, stopped_at=batch[0].index)
    return out


def _span(batch: Sequence[Row]) -> str:
    """Which input rows a batch holds: a range, or how many between two (changed rows of known
    records are gathered from anywhere in the input)."""
    first, last = batch[0].index, batch[-1].index
    return (
        f"rows {first} to {last}"
        if last - first + 1 == len(batch)
        else f"{len(batch)} rows from {first} to {last}"
    )

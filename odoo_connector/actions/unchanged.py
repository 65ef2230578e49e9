"""Leaving alone what already matches: the comparison behind ``skipUnchanged`` in upsertRecords
and updateRecords.

Why: a sync runs again and again over mostly the same rows. Writing a row whose values the record
already holds changes no data, yet it costs Odoo a ``write`` (for ``res.partner``, 10 to 30 ms a
record: ``name`` and ``email`` are tracked in the chatter, and ``load`` writes one record at a
time), moves ``write_date`` so every poller downstream (pollChangesTrigger too) sees a change that
is not one, and fires automation rules. Odoo's own form sends only the fields a person changed;
the batch actions do the same for rows: a row whose values all match is not sent, and a changed
row sends only the fields that differ.

How the records behind rows are known, for an ordinary user:

* ``recordId`` rows (updateRecords) name them.
* ``matchFields`` rows: the match search (one per batch of keys), when it finds exactly one record;
  none is a create and several an error, both left to ``load`` as before.
* ``externalId`` rows: ``ir.model.data`` is closed to an ordinary user; :mod:`.known_ids` finds
  them from what earlier calls on the connection learnt (checked), then by one
  ``check_object_reference`` per ID or a scan of the model, whichever costs less, within
  :func:`scan_limit` (20 records a row, at least 5 000, in records scanned); beyond, rows by
  external ID are written as given.

A value is unchanged when :func:`odoo_connector.values.same_value` says the record already holds
it (the rule read-only fields in an update use too): the record then ends as a write would have
left it. Binaries are not read (too dear) and one2many lines, links and unknown shapes never equal
anything, so those are always written: a wrong "changed" costs a write, a wrong "unchanged" would
lose data.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..client import OdooClient
from ..values import same_value
from .batch_rows import Row
from .known_ids import existing_ids
from .matching import match_hits

progress = logging.getLogger("odoo_connector.progress")
log = logging.getLogger("odoo_connector.batch")

__all__ = [
    "changed_values",
    "comparable",
    "compare",
    "current_values",
    "scan_limit",
]

# Scanning costs Odoo about 0.13 ms a record (10 007 partners: 1.3 s in calls of 2000 ids, with a
# 3.3 MiB peak here against 16.5 MiB in calls of 10 000), writing a row through load 2.5 to 12 ms:
# the scan pays while the model holds at most some 20 records per row to compare (SCAN_PER_ROW),
# with a floor for small calls (MIN_SCANNED) and a ceiling (MAX_SCANNED, about 26 s of scan).
SCAN_PER_ROW = 20
MIN_SCANNED = 5_000
MAX_SCANNED = 200_000

# Binaries are read as their whole base64 text: too dear to compare, they are always written.
_NOT_READ = frozenset({"binary"})


def scan_limit(rows: int) -> int:
    """How many records a model may hold for a call of ``rows`` external IDs to be scanned."""
    return min(MAX_SCANNED, max(MIN_SCANNED, SCAN_PER_ROW * rows))


def comparable(fields: Mapping[str, Mapping[str, Any]], names: Iterable[str]) -> list[str]:
    """Of ``names``, the fields worth reading to compare: known to this user, and not binaries."""
    return [n for n in names if n in fields and fields[n].get("type") not in _NOT_READ]


def current_values(
    client: OdooClient, model: str, ids: Sequence[int], names: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """The records' values of ``names``, by id; a record that is gone (or hidden from this user)
    is absent, and its row is written as given, where Odoo's error names it."""
    found = client.call(
        model,
        "search_read",
        domain=[["id", "in", list(ids)]],
        fields=list(names) or ["id"],
        context={"active_test": False},
    )
    return {int(record["id"]): record for record in found}


def changed_values(
    fields: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, Any]:
    """Of ``values``, those the record does not hold already (every field not read included)."""
    return {
        name: value
        for name, value in values.items()
        if name not in current or not same_value(fields.get(name, {}), value, current[name])
    }


def compare(
    client: OdooClient,
    model: str,
    fields: Mapping[str, Mapping[str, Any]],
    rows: Sequence[Row],
    *,
    op: str,
    batch_size: int,
    match_fields: Sequence[str] = (),
) -> int | None:
    """Finds the records behind rows that name one (``recordId``, a known external ID, a match
    key with exactly one match), reads them ``batch_size`` at a time, marks the rows that match
    ``unchanged`` (done) and gives the others ``write``: only their changed values. A row naming
    the same record as another row of the call stays as it is, for ``load``, where order is kept.

    Returns the model's highest id when an external-ID scan read it (the caller's watermark for
    telling created rows), else None."""
    rows = [r for r in rows if r.values is not None and not r.error]
    top: int | None = None
    targets: dict[Row, int] = {}  # the record each row names, when known
    if op == "update":
        targets = {r: r.record_id for r in rows if r.record_id is not None}
    external = [r for r in rows if r.columns[:1] == ("id",)]
    if external:
        wanted = {r.cells[0] for r in external}
        found, top = existing_ids(client, model, wanted, scan_limit)
        targets.update({r: found[r.cells[0]] for r in external if r.cells[0] in found})
    matched = [r for r in rows if r.match is not None]
    keys = Counter(r.match for r in matched)
    unique = [r for r in matched if keys[r.match] == 1]
    for start in range(0, len(unique), batch_size):
        part = unique[start : start + batch_size]
        hits = match_hits(client, model, match_fields, [r.match for r in part if r.match is not None])
        for row in part:
            ids = hits.get(row.match or (), [])
            if len(ids) == 1:  # none: load creates it; several: load's search names them as the error
                targets[row] = ids[0]
    counts = Counter(targets.values())
    eligible = [r for r in rows if r in targets and counts[targets[r]] == 1]
    for start in range(0, len(eligible), batch_size):
        part = eligible[start : start + batch_size]
        names = comparable(fields, dict.fromkeys(n for r in part for n in r.values or {}))
        current = current_values(client, model, [targets[r] for r in part], names)
        for row in part:
            record = current.get(targets[row])
            if record is None:
                continue  # gone or hidden: load says so for this row
            row.record_id = int(record["id"])
            changed = changed_values(fields, row.values or {}, record)
            if changed:
                row.write = changed
            else:
                row.done = row.unchanged = True
        progress.info("%s: %d of %d rows compared", model, start + len(part), len(eligible))
    return top

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
* ``externalId`` rows: ``ir.model.data`` is closed to an ordinary user, but a record's own
  ``get_metadata`` lists its external IDs (Odoo reads ``ir.model.data`` as superuser there), so
  the model's ids (one ``search``, archived included) and their external IDs (``get_metadata``,
  :data:`METADATA_CHUNK` ids a call) map the rows' external IDs to ids. That costs requests in
  the model's size, not the rows': above :data:`MAX_SCANNED` records it is not done and rows by
  external ID are written as given.

The comparison is conservative: a field counts as unchanged only for the types whose read form is
known exactly (:func:`same`); HTML (sanitized on write), binaries, one2many lines, command lists
other than "replace with these ids" and anything unknown count as changed and are written. A
wrong "changed" costs a write; a wrong "unchanged" would lose data, so every doubt writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..client import OdooClient

__all__ = ["MAX_SCANNED", "METADATA_CHUNK", "changed_values", "current_values", "ids_by_external_id", "same"]

# A model with more records than this is not scanned for external IDs: 20 get_metadata calls of
# 10 000 ids took about 2 s on the 2-core test machine (bench/RESULTS.md), against 30 s or more
# to write 10 000 rows; far beyond it the scan would cost more than the writes it saves.
MAX_SCANNED = 200_000
METADATA_CHUNK = 10_000

_EQUAL_TEXT = frozenset({"char", "text", "selection", "date", "datetime"})
_NUMBER = frozenset({"integer", "float", "monetary"})
_COMPARED = _EQUAL_TEXT | _NUMBER | {"boolean", "many2one", "many2many"}


def ids_by_external_id(
    client: OdooClient, model: str, wanted: Iterable[str]
) -> tuple[dict[str, int], int] | None:
    """The ids behind those of ``wanted`` that exist, and the model's highest id (archived
    included); None when the model has more than :data:`MAX_SCANNED` records."""
    wanted = set(wanted)
    ids = client.call(
        model, "search", domain=[], order="id", limit=MAX_SCANNED + 1, context={"active_test": False}
    )
    if len(ids) > MAX_SCANNED:
        return None
    found: dict[str, int] = {}
    for start in range(0, len(ids), METADATA_CHUNK):
        for meta in client.call(model, "get_metadata", ids[start : start + METADATA_CHUNK]):
            for entry in meta.get("xmlids") or ():
                name = entry.get("xmlid") if isinstance(entry, Mapping) else None
                if name in wanted:
                    found[name] = int(meta["id"])
    return found, max(ids, default=0)


def comparable(fields: Mapping[str, Mapping[str, Any]], names: Iterable[str]) -> list[str]:
    """Of ``names``, the fields whose current value :func:`same` can judge (worth reading)."""
    return [n for n in names if fields.get(n, {}).get("type") in _COMPARED]


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


def same(spec: Mapping[str, Any], sent: Any, current: Any) -> bool:
    """True when writing ``sent`` (as Odoo's write takes it) would leave ``current`` (as Odoo's
    read gives it) as it is. False whenever that is not certain."""
    kind = spec.get("type")
    if kind in _EQUAL_TEXT:
        # an empty text is read back as False, whether it was written "" or False
        return (sent is False or isinstance(sent, str)) and (sent or False) == (current or False)
    if kind == "boolean":
        return isinstance(sent, bool) and sent == bool(current)
    if kind in _NUMBER:
        if sent is False:
            sent = 0  # Odoo stores an empty number as 0 and reads it so
        if isinstance(sent, bool) or not isinstance(sent, int | float):
            return False
        return isinstance(current, int | float) and not isinstance(current, bool) and sent == current
    if kind == "many2one":
        current_id = current[0] if isinstance(current, list | tuple) and current else current
        if isinstance(sent, bool):
            return sent is False and not current_id
        return isinstance(sent, int) and sent == current_id
    if kind == "many2many":
        # only "replace the set with these ids", the form a list of ids is converted to
        if (
            isinstance(sent, list | tuple)
            and len(sent) == 1
            and isinstance(sent[0], list | tuple)
            and len(sent[0]) == 3
            and sent[0][0] == 6
            and isinstance(sent[0][2], list | tuple)
            and isinstance(current, list)
        ):
            return set(sent[0][2]) == set(current)
        return False
    return False


def changed_values(
    fields: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, Any]:
    """Of ``values``, those the record does not hold already (every field :func:`same` cannot
    judge included)."""
    return {
        name: value
        for name, value in values.items()
        if name not in current or not same(fields.get(name, {}), value, current[name])
    }

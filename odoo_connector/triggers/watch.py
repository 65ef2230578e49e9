"""What changed in a record: watched fields, their old and new values, archive and restore.

Shared by ``pollChangesTrigger`` and ``recordWebhookTrigger`` (whose reconciliation poll and
posts both keep one store, so either path knows what the other saw last).

* **Resolved once.** ``watchFields``, ``to`` and ``from`` are checked and their values converted
  (:mod:`odoo_connector.values.conditions`) the first time a state meets them; the result is kept
  in the state with a fingerprint of those inputs, so a later poll sends no ``fields_get`` and no
  name lookup: an idle poll stays one request.
* **Compact values.** The last value seen of each tracked field is kept per record as Odoo
  stores it: a many2one as its id, a set as its sorted ids, anything else as read. Names of the
  related records are kept once per id (a pipeline has a handful of stages), so ``old`` can be
  shown as ``{"id", "name"}`` without asking Odoo. 20 000 leads with two fields take about
  0.4 MB of JSON.
* **Bounded.** At most :data:`VALUES_KEPT` records; past that the records unchanged the longest
  are forgotten, and their next change shows ``"old": null, "oldKnown": false``.
* **The first sight of a record is its baseline.** A record never seen (a state reset, a record
  newly inside the domain, one forgotten by the bound) has no ``old``: its watched fields are all
  shown with ``"old": null`` and ``"oldKnown": false``. A ``from`` condition cannot hold for it;
  a ``to`` condition is checked on the new value.

Limit: only the values a poll (or a post) sees are compared, so a value changed and changed back
between two sightings is not a change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..client import OdooClient
from ..errors import InputError
from ..values import friendly_record
from ..values.conditions import resolve_conditions, watched_fields

__all__ = [
    "ARCHIVE_FLAGS",
    "VALUES_KEPT",
    "Sighting",
    "check_watch_state",
    "created_passes",
    "forget_unused_names",
    "prepare",
    "remember",
    "select_watch_field",
    "sight",
    "wanted",
    "watch_inputs",
]

VALUES_KEPT = 100_000
ARCHIVE_FLAGS = {"archived": "showArchivedRecords", "unarchived": "showUnarchivedRecords"}
_INPUTS = ("watchFields", "to", "from", *ARCHIVE_FLAGS.values())


def watch_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs this module reads, for a caller passing inputs on (the webhook's poll)."""
    return {k: inputs[k] for k in _INPUTS if k in inputs}


def wanted(inputs: Mapping[str, Any]) -> bool:
    """Whether the inputs ask for field changes or archive branches at all."""
    return bool(inputs.get("watchFields")) or any(inputs.get(f) for f in ARCHIVE_FLAGS.values())


def _fingerprint(model: str, inputs: Mapping[str, Any]) -> str:
    given = {k: inputs.get(k) for k in _INPUTS}
    text = json.dumps([model, given], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare(
    client: OdooClient, model: str, inputs: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The state's ``watch`` entry for these inputs: the previous one when the inputs are the
    same (no request), else resolved again (``fields_get``, one lookup per named value), keeping
    the remembered values when the tracked fields did not change. None when nothing is watched."""
    if not wanted(inputs):
        return None
    key = _fingerprint(model, inputs)
    if previous is not None and previous.get("key") == key:
        return {**previous, "values": dict(previous["values"]), "names": _copy_names(previous["names"])}
    names: list[str] = list(inputs.get("watchFields") or [])
    typed = dict(watched_fields(client, model, names))
    archive = [branch for branch, flag in ARCHIVE_FLAGS.items() if inputs.get(flag)]
    if archive:
        if client.fields_get(model).get("active", {}).get("type") != "boolean":
            raise InputError(
                f"{model} has no 'active' field, so its records cannot be archived: turn off "
                "showArchivedRecords and showUnarchivedRecords.",
                path=ARCHIVE_FLAGS[archive[0]],
            )
        typed.setdefault("active", "boolean")
    conditions = {}
    for where in ("to", "from"):
        given = inputs.get(where) or {}
        stray = [name for name in given if name not in names]
        if stray:
            raise InputError(
                f"{where}.{stray[0]}: a condition names a field that is not in watchFields.",
                path=f"{where}.{stray[0]}",
                hint=f"Add {stray[0]!r} to watchFields, or drop the condition.",
            )
        conditions[where] = resolve_conditions(client, model, given, where)
    tracked = list(typed)
    same_fields = previous is not None and previous.get("fields") == tracked
    return {
        "key": key,
        "watched": names,
        "fields": tracked,
        "types": typed,
        "to": conditions["to"],
        "from": conditions["from"],
        "archive": archive,
        # remembered values stay valid while the tracked fields are the same; else a new baseline
        "values": dict(previous["values"]) if previous is not None and same_fields else {},
        "names": _copy_names(previous["names"]) if previous is not None and same_fields else {},
        "complete": bool(previous is not None and same_fields and previous.get("complete")),
    }


def _copy_names(names: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    return {field: dict(table) for field, table in names.items()}


def check_watch_state(watch: Any) -> str | None:
    """Why ``watch`` is not a state entry :func:`prepare` wrote, or None when it is."""
    if not isinstance(watch, Mapping):
        return "its 'watch' entry is not an object"
    if not isinstance(watch.get("key"), str) or not isinstance(watch.get("fields"), list):
        return "its 'watch' entry has no key or fields"
    width = len(watch["fields"])
    values = watch.get("values")
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and k.isdigit() and isinstance(v, list) and len(v) == width
        for k, v in values.items()
    ):
        return "its 'watch' values are not a map of record ids to one value per tracked field"
    names = watch.get("names")
    if not isinstance(names, Mapping) or not all(isinstance(t, Mapping) for t in names.values()):
        return "its 'watch' names are not a map of fields to names"
    for entry in ("types", "to", "from"):
        if not isinstance(watch.get(entry), Mapping):
            return f"its 'watch' entry has no {entry!r} map"
    return None


def _value(row: Mapping[str, Any], field: str) -> Any:
    """A field of a row as ``read`` gives it; a many2one read through a specification
    (``{"id", "display_name"}``) as ``[id, name]``."""
    value = row.get(field, False)
    if isinstance(value, Mapping) and "id" in value:
        return [value["id"], value.get("display_name")]
    return value


def _compact(value: Any, kind: str) -> Any:
    if kind == "many2one":
        return value[0] if isinstance(value, list) and value else (value or False)
    if kind in ("many2many", "one2many"):
        return sorted(value) if isinstance(value, list) else []
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as stored: never Python's loose ``1 == True`` nor ``0 == False``."""
    return (type(a) is type(b) and bool(a == b)) or (a in (None, False) and b in (None, False))


def remember(watch: dict[str, Any], row: Mapping[str, Any]) -> None:
    """Keeps ``row``'s tracked values (and its related records' names) as the record's last seen,
    moving it to the newest end of the bounded store."""
    key = str(row["id"])
    types: Mapping[str, str] = watch["types"]
    values: dict[str, list[Any]] = watch["values"]
    values.pop(key, None)
    values[key] = [_compact(_value(row, f), types[f]) for f in watch["fields"]]
    for field in watch["fields"]:
        value = _value(row, field)
        if types[field] == "many2one" and isinstance(value, list) and len(value) == 2:
            watch["names"].setdefault(field, {})[str(value[0])] = value[1]
    while len(values) > VALUES_KEPT:
        del values[next(iter(values))]


def forget_unused_names(watch: dict[str, Any]) -> None:
    """Drops names no remembered value refers to any more (a renamed or unused stage)."""
    for index, field in enumerate(watch["fields"]):
        table = watch["names"].get(field)
        if table:
            used = {str(v[index]) for v in watch["values"].values()}
            watch["names"][field] = {k: n for k, n in table.items() if k in used}


class Sighting:
    """One record seen again: its branch (``updated``, ``archived``, ``unarchived`` or None for
    nothing to emit) and its ``changes`` in the friendly format."""

    def __init__(self, watch: Mapping[str, Any], row: Mapping[str, Any]) -> None:
        self.branch: str | None = None
        self.changes: dict[str, dict[str, Any]] = {}
        types: Mapping[str, str] = watch["types"]
        old = watch["values"].get(str(row["id"]))
        new = {f: _compact(_value(row, f), types[f]) for f in watch["fields"]}
        before = dict(zip(watch["fields"], old, strict=True)) if old is not None else None
        for field in watch["watched"]:
            if before is None:
                self.changes[field] = {
                    "old": None,
                    "new": _shown(watch, field, _value(row, field)),
                    "oldKnown": False,
                }
            elif not _same(before[field], new[field]):
                self.changes[field] = {
                    "old": _shown(watch, field, _as_read(watch, field, before[field])),
                    "new": _shown(watch, field, _value(row, field)),
                }
        if watch["archive"]:
            if before is not None and before["active"] is not False and new["active"] is False:
                self.branch = "archived"
            elif before is not None and before["active"] is False and new["active"] is not False:
                self.branch = "unarchived"
        if self.branch is None and self.changes and _conditions_hold(watch, before, new, self.changes):
            self.branch = "updated"
        if self.branch is None and not watch["watched"]:
            self.branch = "updated"  # archive tracking only: every other change is an update
        self.known = before is not None


def sight(watch: Mapping[str, Any], row: Mapping[str, Any]) -> Sighting:
    """What ``row`` (read now, with the tracked fields) changed since its last sighting."""
    return Sighting(watch, row)


def created_passes(watch: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether a new record is emitted under the conditions: ``to`` on its values, and no
    ``from`` (a new record had no value before)."""
    if watch["from"]:
        return False
    types: Mapping[str, str] = watch["types"]
    return all(
        any(_same(_compact(_value(row, f), types[f]), v) for v in accepted)
        for f, accepted in watch["to"].items()
    )


def _conditions_hold(
    watch: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    changes: Mapping[str, Any],
) -> bool:
    for field, accepted in watch["to"].items():
        if field not in changes or not any(_same(new[field], v) for v in accepted):
            return False
    for field, accepted in watch["from"].items():
        if before is None or field not in changes or not any(_same(before[field], v) for v in accepted):
            return False
    return True


def _as_read(watch: Mapping[str, Any], field: str, compact: Any) -> Any:
    """A remembered value as Odoo reads it: a many2one as ``[id, name]`` from the kept names."""
    if watch["types"][field] == "many2one" and compact:
        return [compact, watch["names"].get(field, {}).get(str(compact))]
    return compact


# Set by Odoo on every write, or not a value of the record: watching them would watch everything.
_NOT_WATCHED = frozenset({"id", "write_date", "write_uid", "create_date", "create_uid", "__last_update"})


def select_watch_field(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The selectWatchField picklist: the stored fields of the model (Odoo's trigger fields must
    be stored: a computed field that is not is never written), by label."""
    fields = client.fields_get(inputs["model"])
    options = [
        {"key": name, "label": f"{spec.get('string') or name} ({name})"}
        for name, spec in fields.items()
        if spec.get("store", True) and name not in _NOT_WATCHED
    ]
    return sorted(options, key=lambda o: o["label"].casefold())


def _shown(watch: Mapping[str, Any], field: str, value: Any) -> Any:
    shown = friendly_record({field: value}, {field: {"type": watch["types"][field]}})[field]
    return shown

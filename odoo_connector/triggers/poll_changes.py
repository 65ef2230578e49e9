"""pollChangesTrigger: records created or updated since the last poll, losing none, repeating none.

How it stays exact, given what Odoo does:

* **The cursor is server time.** It is the newest ``write_date`` Odoo returned, never this
  machine's clock, so a client clock hours off changes nothing.
* **Look-back window.** Odoo stamps ``write_date`` with the time its transaction *started*; a long
  transaction commits a record whose ``write_date`` is older than a cursor we already moved past.
  Every poll therefore asks for ``write_date >= cursor - lookback`` and skips what it already
  emitted, remembered as ``seen[id] = write_date`` for the records inside the window. The state
  forgets entries that fall out of the window, so it stays bounded.
* **Same-second writes.** ``write_date`` has one-second precision; asking with ``>=`` and
  deduplicating on ``(id, write_date)`` neither misses nor repeats records sharing the cursor's second.
* **Every page.** Pages are ordered by ``(write_date, id)`` and continued from the last key seen,
  so a burst of any size is read completely, each record once.
* **Seen pairs excluded on the server.** The page query leaves out the (id, write_date) pairs
  already emitted, so an idle poll is one request even right after a burst.
* **Whole records in the pages** when ``fields`` or ``specification`` is given (a specification,
  related records and lines included, is read through ``web_search_read``); without it, pages ask only for
  ``id, create_date, write_date`` and the records to emit are read afterwards with the default
  field list, so that an idle poll never pays for ``fields_get``.
* **All or nothing.** Any error raises, and the caller keeps the previous state, so the next poll
  repeats the work: nothing is skipped.

Limit: Odoo's ``write_date`` has one-second precision, so a record written again in the very
second of the write_date already emitted for it is not seen as changed; the next write in a
later second is. No client can tell those writes apart through the external API.

Branches: a record goes to ``created`` when it was never emitted (nor part of the baseline) and was
created inside the window; any other change goes to ``updated``. A record updated again after it
was emitted is emitted again, as updated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..actions.records import default_fields, web_search_read
from ..actions.specification import Spec, friendly_tree, specification_for, with_fields
from ..client import OdooClient
from ..domain import validate_domain
from ..errors import InputError
from ..values import friendly_record
from .dedupe import in_window, same_change

__all__ = ["RESET_HINT", "STATE_VERSION", "poll_changes"]

# Which (id, write_date) pairs were already emitted is decided by .dedupe, shared with
# recordWebhookTrigger, so a change is emitted once whichever trigger path sees it first.

STATE_VERSION = 1
_FMT = "%Y-%m-%d %H:%M:%S"
_KEY_FIELDS = ["id", "create_date", "write_date"]
_READ_CHUNK = 500
# Past this many domain items the exclusion would outweigh what it saves.
_MAX_EXCLUSION_TERMS = 4000


def _shift(stamp: str, seconds: int) -> str:
    # Here rather than in .dedupe: this module's clock is the one tests skew.
    return (datetime.strptime(stamp, _FMT) - timedelta(seconds=seconds)).strftime(_FMT)


_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
RESET_HINT = (
    "Run again with --reset to discard it and start a new baseline (changes made since the last "
    "good state are then not emitted), or restore the state that the trigger wrote."
)


def _refuse(why: str) -> InputError:
    return InputError(f"The trigger state is not one pollChangesTrigger wrote: {why}.", hint=RESET_HINT)


def _load_state(state: Any, model: str) -> dict[str, Any] | None:
    """The state the last poll returned, checked whole; ``None`` only when there is none yet.

    Anything else that is not exactly what :func:`_result` writes is refused: taking ``{}`` or a
    junk cursor for "no state" would start a new baseline and silently skip every change since the
    last real state.
    """
    if state is None:
        return None
    if not isinstance(state, Mapping):
        raise _refuse(f"it is a JSON {type(state).__name__}, not an object")
    if state.get("version") != STATE_VERSION:
        raise _refuse(f"its version is {state.get('version')!r}, this connector writes {STATE_VERSION}")
    if state.get("model") != model:
        if isinstance(state.get("model"), str):
            raise InputError(
                f"The trigger state belongs to model {state['model']!r}, not {model!r}.",
                hint="Use a separate state per model, or reset the state with --reset.",
            )
        raise _refuse("it names no model")
    cursor = state.get("cursor")
    if cursor is not None and not (isinstance(cursor, str) and _STAMP.fullmatch(cursor)):
        raise _refuse(f"its cursor {str(cursor)[:40]!r} is not a time like 2026-01-31 23:59:59")
    seen = state.get("seen")
    if not isinstance(seen, Mapping):
        raise _refuse("its 'seen' entry is not an object")
    for key, stamp in seen.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()):
            raise _refuse(f"its 'seen' entry has the key {str(key)[:40]!r}, not a record id")
        if not (isinstance(stamp, str) and _STAMP.fullmatch(stamp)):
            raise _refuse(f"its 'seen' entry for record {key} is not a time")
    if cursor is None and seen:
        raise _refuse("it remembers records but has no cursor")
    return {"cursor": cursor, "seen": dict(seen)}


def _id_terms(ids: list[int]) -> list[Any]:
    """``ids`` as one domain expression: runs of consecutive ids as ranges (a burst of creations
    has consecutive ids, so thousands of pairs shrink to a few terms), the rest in one ``in``."""
    ranges: list[tuple[int, int]] = []
    loose: list[int] = []
    ordered = sorted(ids)
    start = 0
    for index in range(1, len(ordered) + 1):
        if index == len(ordered) or ordered[index] != ordered[index - 1] + 1:
            first, last = ordered[start], ordered[index - 1]
            if last - first >= 4:  # a range costs 4 domain items; shorter runs go in the list
                ranges.append((first, last))
            else:
                loose.extend(ordered[start:index])
            start = index
    terms: list[list[Any]] = [["&", ["id", ">=", a], ["id", "<=", b]] for a, b in ranges]
    if loose:
        terms.append([["id", "in", loose]])
    return ["|"] * (len(terms) - 1) + [item for term in terms for item in term]


def _size(terms: list[Any]) -> int:
    """Domain items, counting each id of an ``in`` list: what the request and Odoo's SQL carry."""
    return sum(len(t[2]) if isinstance(t, list) and t[1] == "in" else 1 for t in terms)


def _not_seen(seen: Mapping[str, str]) -> list[Any]:
    """A domain excluding the (id, write_date) pairs already emitted, grouped by stamp (a burst
    written over a minute has at most 60) with ids as ranges. Without it, every idle poll after a
    burst would re-read the whole burst for as long as the cursor does not move.

    The domain is kept under a size budget: past it, the newest stamps are excluded and the older
    pairs are skipped here instead (correct either way, only the cost differs).
    """
    by_stamp: dict[str, list[int]] = {}
    for key, stamp in seen.items():
        by_stamp.setdefault(stamp, []).append(int(key))
    chosen: list[list[Any]] = []
    budget = _MAX_EXCLUSION_TERMS
    for stamp in sorted(by_stamp, reverse=True):
        term = ["&", ["write_date", "=", stamp], *_id_terms(by_stamp[stamp])]
        budget -= _size(term) + 1
        if budget < 0:
            break
        chosen.append(term)
    if not chosen:
        return []
    return ["!", *(["|"] * (len(chosen) - 1)), *(item for term in chosen for item in term)]


def _changed_since(
    client: OdooClient,
    model: str,
    domain: list[Any],
    since: str | None,
    page_size: int,
    fields: list[str],
    seen: Mapping[str, str] | None = None,
    specification: Spec | None = None,
) -> list[dict[str, Any]]:
    """Every record with write_date >= since, except the pairs in ``seen``, in key order."""
    base = [*domain, ["write_date", ">=", since]] if since else list(domain)
    base += _not_seen(seen or {})
    rows: list[dict[str, Any]] = []
    last: tuple[str, int] | None = None
    while True:
        page_domain = (
            base
            if last is None
            else [
                *base,
                "|",
                ["write_date", ">", last[0]],
                "&",
                ["write_date", "=", last[0]],
                ["id", ">", last[1]],
            ]
        )
        order, limit = "write_date asc, id asc", page_size + 1  # the extra row: another page follows
        page: list[dict[str, Any]] = (
            client.call(model, "search_read", domain=page_domain, fields=fields, order=order, limit=limit)
            if specification is None
            else web_search_read(
                client, model, page_domain, specification, order=order, limit=limit, offset=0
            )
        )
        more = len(page) > page_size
        del page[page_size:]
        rows.extend(page)
        if not more:
            return rows
        last = (page[-1]["write_date"], page[-1]["id"])


def _read_full(
    client: OdooClient, model: str, ids: list[int], fields: list[str]
) -> dict[int, dict[str, Any]]:
    records: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), _READ_CHUNK):
        for row in client.call(model, "read", ids[start : start + _READ_CHUNK], fields=fields):
            records[row["id"]] = row
    return records


def _baseline(
    client: OdooClient, model: str, domain: list[Any], lookback: int, page_size: int
) -> dict[str, Any]:
    newest = client.call(
        model, "search_read", domain=domain, fields=["write_date"], order="write_date desc, id desc", limit=1
    )
    if not newest:
        return {"cursor": None, "seen": {}}
    cursor = newest[0]["write_date"]
    recent = _changed_since(client, model, domain, _shift(cursor, lookback), page_size, _KEY_FIELDS)
    return {"cursor": cursor, "seen": {str(r["id"]): r["write_date"] for r in recent}}


def poll_changes(
    client: OdooClient, inputs: Mapping[str, Any], state: Mapping[str, Any] | None
) -> dict[str, Any]:
    model: str = inputs["model"]
    domain = validate_domain(inputs.get("domain", []))
    lookback: int = inputs.get("lookbackSeconds", 300)
    page_size: int = inputs.get("pageSize", 500)
    show_new: bool = inputs.get("showNewRecords", True)
    show_updated: bool = inputs.get("showUpdatedRecords", True)
    previous = _load_state(state, model)
    # checked before any request of the poll: a misspelt name is refused whatever the state
    spec = specification_for(client, model, inputs.get("specification"), inputs.get("fields"))

    if previous is None and not inputs.get("emitExisting", False):
        base = _baseline(client, model, domain, lookback, page_size)
        return _result(model, [], [], base["cursor"], base["seen"], lookback)

    cursor: str | None = previous["cursor"] if previous else None
    seen: dict[str, str] = previous["seen"] if previous else {}
    window_start = _shift(cursor, lookback) if cursor else None
    # With the fields known, pages carry the whole records (ceil(N/page) requests in all). Without,
    # the default list needs fields_get; ask for light rows first so that an idle poll stays one
    # request, and read the records to emit afterwards.
    given: list[str] | None = list(inputs["fields"]) if inputs.get("fields") else None
    page_fields = [*given, *(f for f in _KEY_FIELDS if f not in given)] if given else _KEY_FIELDS
    page_spec = with_fields(spec, _KEY_FIELDS) if spec is not None else None
    changed = _changed_since(client, model, domain, window_start, page_size, page_fields, seen, page_spec)

    created_ids: list[int] = []
    updated_ids: list[int] = []
    new_seen = dict(seen)
    queued: set[str] = set()
    newest = cursor
    for row in changed:
        key, stamp = str(row["id"]), row["write_date"]
        if newest is None or stamp > newest:
            newest = stamp
        if same_change(seen.get(key), stamp):
            continue
        new_seen[key] = stamp
        if key in queued:
            # Written again while we paged, so it is on a later page too: emit it once, as read below.
            continue
        queued.add(key)
        is_new = key not in seen and (window_start is None or row["create_date"] >= window_start)
        if is_new and show_new:
            created_ids.append(row["id"])
        elif not is_new and show_updated:
            updated_ids.append(row["id"])

    emitted = created_ids + updated_ids
    records: dict[int, dict[str, Any]] = {}
    if given or spec is not None:
        # a record met twice (written again while we paged) is emitted as its later row
        records = {row["id"]: row for row in changed}
    elif emitted:
        fields = default_fields(client, model)
        fields += [f for f in _KEY_FIELDS if f not in fields and f != "id"]
        records = _read_full(client, model, emitted, fields)
        for record_id, record in records.items():
            # Emitted as read now: a write that landed between the two requests is in it already.
            new_seen[str(record_id)] = record.get("write_date") or new_seen[str(record_id)]
    # A record deleted between the two requests is gone from `records`: nothing to emit for it.
    created = [records[i] for i in created_ids if i in records]
    updated = [records[i] for i in updated_ids if i in records]
    if inputs.get("format") == "friendly" and (created or updated):
        # fields_get only when there is something to emit: an idle poll stays one request
        if spec is not None:
            created = [friendly_tree(client, model, spec, r) for r in created]
            updated = [friendly_tree(client, model, spec, r) for r in updated]
        else:
            shapes = client.fields_get(model)
            created = [friendly_record(r, shapes) for r in created]
            updated = [friendly_record(r, shapes) for r in updated]
    return _result(model, created, updated, newest, new_seen, lookback)


def _result(
    model: str,
    created: list[dict[str, Any]],
    updated: list[dict[str, Any]],
    cursor: str | None,
    seen: dict[str, str],
    lookback: int,
) -> dict[str, Any]:
    if cursor is not None:
        seen = in_window(seen, _shift(cursor, lookback))
    return {
        "data": {"created": created, "updated": updated},
        "state": {"version": STATE_VERSION, "model": model, "cursor": cursor, "seen": seen},
        "polledNoChanges": not created and not updated,
    }

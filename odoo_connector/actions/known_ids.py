"""Which of a call's external IDs already name a record of the model, and which record, for a user
who cannot read ``ir.model.data`` (only the *Access Rights* group may).

Why this matters: ``skipUnchanged`` compares a row with its record before writing, so it must
know the record first. Odoo gives an ordinary user three ways, each with its cost:

* **What earlier calls learnt** (:func:`learn`): every ``load`` answers the ids of the rows it
  wrote, in order, so a sync that runs again on the same connection (a pooled client of the
  runner or a server) already knows its records. What is remembered may be stale (the record
  deleted, the ID moved), so it is checked before use: the candidates' own ``get_metadata`` (2000
  ids a request, whatever the model's size) must list the external ID, else it is forgotten and
  the row is found another way or written as given. A deleted record is absent from
  ``get_metadata``'s answer, so it is never written to; nothing negative is remembered, so no
  row is ever taken for new because of this memory.
* **One ``ir.model.data/check_object_reference`` per ID**: open to every user, exact, and its cost
  does not depend on the model's size; but it is a request per ID. It answers ``[model, id]``,
  ``[model, false]`` when the record is gone or hidden, and an error when the ID is unknown. Only
  ``[this model, id]`` is taken; anything else goes to ``load``, which says what it said before
  (another model's ID is an error naming it, a deleted record's ID is created again).
* **A scan of the model**: its ids (one ``search``, archived included) and their external IDs
  (``get_metadata``): about 0.13 ms a record, whatever the number of rows.

Measured on Odoo 19 (bench/upsert_large_model.py, bench/RESULTS.md section 14): one
``check_object_reference`` costs what scanning about :data:`CHECK_COST` records costs. The
IDs not remembered are looked up the cheaper way, within the budget the scan always had
(:func:`odoo_connector.actions.unchanged.scan_limit`: 20 records a row, at least 5 000); beyond
it their rows are written as given, as before. So a call with few unknown IDs costs the same on
a model of 10 records or of a million, and a call of many IDs into a large model costs a
``search_count`` until earlier calls have taught the connection its records.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping

from ..client import OdooClient
from ..errors import AccessDeniedError, OdooValidationError

__all__ = ["CACHE_SIZE", "CHECK_COST", "METADATA_CHUNK", "clear", "existing_ids", "forget", "learn"]

log = logging.getLogger("odoo_connector.batch")

# One check_object_reference costs what scanning this many records through get_metadata costs:
# measured 150 (Basic Auth, where XML makes the scan dearer) to 500-750 (API key), bench/RESULTS.md
# section 14. The low end is taken: a check's cost stays put as the model grows, a scan's does not.
CHECK_COST = 200
# Remembered ids per connection (about 150 bytes each).
CACHE_SIZE = 50_000
METADATA_CHUNK = 2_000
_CONTEXT = {"active_test": False}  # archived records are found like active ones, as load finds them

# per connection (a pooled client lives as long as its process uses the connection), the least
# recently used first out; several jobs may share a client from threads
_Learnt = OrderedDict[tuple[str, str], int]  # (model, external ID) -> id
_learnt: weakref.WeakKeyDictionary[OdooClient, _Learnt] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def learn(client: OdooClient, model: str, pairs: Iterable[tuple[str, int]]) -> None:
    """Remembers that each external ID names that record of ``model`` (the oldest go first beyond
    :data:`CACHE_SIZE`)."""
    with _lock:
        known = _learnt.setdefault(client, OrderedDict())
        for external_id, record_id in pairs:
            known[(model, external_id)] = int(record_id)
            known.move_to_end((model, external_id))
        while len(known) > CACHE_SIZE:
            known.popitem(last=False)


def forget(client: OdooClient, model: str, external_ids: Iterable[str]) -> None:
    with _lock:
        known = _learnt.get(client)
        if known is None:
            return
        for external_id in external_ids:
            known.pop((model, external_id), None)


def _remembered(client: OdooClient, model: str, wanted: Iterable[str]) -> dict[str, int]:
    with _lock:
        known = _learnt.get(client)
        if not known:
            return {}
        out = {}
        for external_id in wanted:
            if (model, external_id) in known:
                out[external_id] = known[(model, external_id)]
                known.move_to_end((model, external_id))
        return out


def _metadata(client: OdooClient, model: str, ids: list[int]) -> dict[int, set[str]]:
    """Each existing record's external IDs; a deleted id is absent from Odoo's answer."""
    out: dict[int, set[str]] = {}
    for start in range(0, len(ids), METADATA_CHUNK):
        for meta in client.call(model, "get_metadata", ids[start : start + METADATA_CHUNK]):
            names = {e.get("xmlid") for e in meta.get("xmlids") or () if isinstance(e, Mapping)}
            out[int(meta["id"])] = {n for n in names if isinstance(n, str)}
    return out


def _confirmed(client: OdooClient, model: str, candidates: Mapping[str, int]) -> dict[str, int]:
    """Of the remembered ``candidates``, those whose record exists and still holds the ID (a
    record this user may no longer read refuses the whole answer: none is taken then)."""
    try:
        metadata = _metadata(client, model, sorted(set(candidates.values())))
    except AccessDeniedError:
        metadata = {}
    good = {x: i for x, i in candidates.items() if x in metadata.get(i, ())}
    stale = [x for x in candidates if x not in good]
    if stale:
        log.info("%s: %d remembered external IDs no longer name their record", model, len(stale))
        forget(client, model, stale)
    return good


def _checked(client: OdooClient, model: str, external_id: str) -> int | None:
    """The record of ``model`` behind the ID by ``check_object_reference``, or None: unknown, of
    another model, or gone/hidden (``[model, false]``); those rows go to ``load`` as given."""
    module, _, name = external_id.partition(".")
    try:
        answer = client.call(
            "ir.model.data", "check_object_reference", module=module, xml_id=name, context=_CONTEXT
        )
    except OdooValidationError as exc:
        if "not found" in exc.message.lower():
            return None
        raise
    found_model, res_id = [*answer, None, None][:2]
    return int(res_id) if found_model == model and isinstance(res_id, int) and res_id else None


def _scanned(client: OdooClient, model: str, ids: list[int], wanted: set[str]) -> dict[str, int]:
    return {x: i for i, names in _metadata(client, model, ids).items() for x in names & wanted}


def existing_ids(
    client: OdooClient, model: str, wanted: Iterable[str], budget: Callable[[int], int]
) -> tuple[dict[str, int], int | None]:
    """The ids behind those of ``wanted`` that exist, and the model's highest id when a scan read
    it (the batch actions' watermark for telling created rows), else None. ``budget(n)`` is what
    looking up ``n`` IDs the connection has not seen may cost, in records scanned."""
    wanted = set(wanted)
    remembered = _remembered(client, model, wanted)
    found = _confirmed(client, model, remembered) if remembered else {}
    unknown = wanted - set(found)
    if not unknown:
        return found, None
    check_cost, allowed = CHECK_COST * len(unknown), budget(len(unknown))
    cap = min(allowed, check_cost)  # a model this small is scanned: cheaper than checking
    size = int(client.call(model, "search_count", domain=[], limit=cap + 1, context=_CONTEXT))
    learnt: dict[str, int] = {}
    top: int | None = None
    if size <= cap:  # (limited: a model grown meanwhile is scanned no further; its rows go to load)
        ids = client.call(model, "search", domain=[], order="id desc", limit=cap + 1, context=_CONTEXT)
        top = int(ids[0]) if ids else 0
        learnt = _scanned(client, model, [int(i) for i in ids], unknown)
    elif check_cost <= allowed:
        hits = {x: _checked(client, model, x) for x in sorted(unknown)}
        learnt = {x: i for x, i in hits.items() if i is not None}
    else:
        log.info(
            "%s holds more than %d records: the %d external IDs not seen before on this connection "
            "are written as given",
            model,
            cap,
            len(unknown),
        )
    learn(client, model, learnt.items())
    return {**found, **learnt}, top


def clear(client: OdooClient) -> None:
    """Forgets what ``client`` learnt (the benchmark's cold runs)."""
    with _lock:
        _learnt.pop(client, None)

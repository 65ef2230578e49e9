"""recordWebhookTrigger's posts: a post names a record; Odoo says what the record is.

Odoo signs nothing, so the subscription's secret travels in the rule's URL, and Odoo 19 writes
that URL, secret included, to its server log twice per post (``INFO … Webhook call to
https://…?token=…&event=change`` and ``… - succeeded``); proxies and tunnels log it too. Whoever
reads one of those logs can post. So a post is believed only as far as Odoo confirms it:

* **A change post is a hint.** :func:`confirm` reads the named records by id, with the
  subscription's fields, domain and context, as the connection's user, and emits what Odoo
  answers. A made-up id, a record outside the domain and one the user may not read emit nothing;
  fields a post adds never appear; a replayed body finds the record as it is now.
* **Never an older version.** A record is emitted only when its ``write_date`` is newer than the
  one already emitted for it (:func:`.dedupe.newer`; the post's microseconds tell two writes of
  one second apart), and, like the poll, not when it falls before the poll's look-back window.
* **A deletion is believed when Odoo shows it.** ``read`` by id answers nothing for a record that
  is gone and an access error for one that exists but is hidden from the user (a record rule,
  another company): only the first is a deletion. A record Odoo returns is not deleted, whatever
  a post said, so a forged deletion mutes nothing. A deleted record's values cannot be read any
  more: they are the post's, and only the subscription's fields are kept.
* **In batches.** The listener collects posts for a moment and confirms them together: a burst
  of 500 creates (6 500 posts on Odoo 19, 13 per record) costs one read per 500 ids, and a copy
  of a change already emitted costs no request at all.

The secret is checked before the body is read (:func:`check_token`), so a request without it
costs no more than its query string.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..client import OdooClient
from ..connections import Connection, parse_connection
from ..context import odoo_context
from ..errors import AccessDeniedError, InputError, register_secret
from .dedupe import STAMP, newer, second, shift
from .webhook import ALWAYS_SENT, BRANCH_FLAGS, LOOKBACK, Unauthorized, load_state, prune, secret_hash

__all__ = ["MAX_BODY", "Hint", "TooLarge", "check_token", "confirm", "parse_post", "read_fields", "receive"]

# Odoo's bodies are a few kB (the subscription's fields of one record); 1 MiB is plenty.
MAX_BODY = 1 << 20
_READ_CHUNK = 500
# Claimed stamps kept per record and batch: Odoo sends one or two distinct ones; more is a flood.
_STAMPS_KEPT = 32
_MICRO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{1,6}")
_EVENTS = ("change", "delete")


class TooLarge(InputError):
    """A body over :data:`MAX_BODY`: answer 413."""

    status_code = 413


@dataclass(frozen=True)
class Hint:
    """What one post claims: a record changed or was deleted, at a ``write_date``.

    ``stamp`` only helps to drop copies and to tell two writes of one second apart; ``values``
    (the post's fields) is kept for a deletion, the one case where Odoo cannot be asked.
    """

    record_id: int
    event: str
    stamp: str
    values: Mapping[str, Any] = field(default_factory=dict)
    size: int = 0  # bytes of the body kept in ``values``, so a queue can bound what it holds


def query_of(request: Mapping[str, Any]) -> str:
    """The query string of ``{"query": …}`` or ``{"url": …}``."""
    if "query" in request:
        query = request["query"]
        return query.decode("latin-1") if isinstance(query, bytes) else str(query or "")
    return urlsplit(str(request.get("url", ""))).query


def check_token(secret_sha256: str, query: str) -> None:
    """Raises :class:`Unauthorized` unless ``query`` carries the subscription's secret."""
    token = (parse_qs(query).get("token") or [""])[0]
    if not hmac.compare_digest(secret_hash(token).encode(), secret_sha256.encode()):
        raise Unauthorized("The webhook request does not carry this subscription's secret.")
    register_secret(token)  # from here on no output shows it


def parse_post(model: str, query: str, body: Any, fields: Collection[str] | None = None) -> Hint:
    """One of Odoo's webhook bodies for ``model`` as a :class:`Hint`; :class:`InputError`
    (answer 400) for anything else, :class:`TooLarge` (413) past :data:`MAX_BODY`. A deletion
    keeps the body's values of ``fields`` (and the record's dates) when given, else all."""
    if isinstance(body, bytes | str) and len(body) > MAX_BODY:
        raise TooLarge(f"The webhook body is larger than {MAX_BODY} bytes.")
    event = (parse_qs(query).get("event") or ["change"])[0]
    if event not in _EVENTS:
        raise InputError(f"The webhook event {event[:40]!r} is neither change nor delete.")
    try:
        payload = json.loads(body) if isinstance(body, bytes | str) else body
    except ValueError:
        raise InputError("The webhook body is not JSON.") from None
    if not isinstance(payload, Mapping) or payload.get("_model") != model:
        raise InputError(f"The webhook body is not an Odoo webhook for {model}.")
    record_id, stamp = payload.get("id"), payload.get("write_date")
    if (
        not isinstance(record_id, int)
        or isinstance(record_id, bool)
        or record_id < 1
        or not (isinstance(stamp, str) and STAMP.fullmatch(stamp))
    ):
        raise InputError("The webhook body has no record id or write_date.")
    if event != "delete":
        return Hint(record_id, event, stamp)
    kept = None if fields is None else {"id", *fields, *ALWAYS_SENT}
    values = {k: v for k, v in payload.items() if not k.startswith("_") and (kept is None or k in kept)}
    return Hint(record_id, event, stamp, values, len(body) if isinstance(body, bytes | str) else 0)


@dataclass(frozen=True)
class _ReadSpec:
    model: str
    fields: list[str]
    domain: list[Any]
    context: dict[str, Any]


def read_fields(source: Mapping[str, Any]) -> list[str]:
    """The fields a posted record is read with: the subscription's, and its dates."""
    return [*dict.fromkeys([*(source.get("fields") or ["display_name"]), *ALWAYS_SENT])]


def _read_spec(state: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> _ReadSpec:
    """How a posted record is read: the inputs' fields, domain and context when given (the
    listener), else the subscription's own (a platform's ``receive``)."""
    source = inputs if inputs is not None else state
    fields = read_fields(source)
    # Archived records too, as the rules post them, unless the subscription's context says not.
    context = {"active_test": False, **odoo_context(source.get("context"))}
    return _ReadSpec(state["model"], fields, list(source.get("domain") or []), context)


def _read(client: OdooClient, spec: _ReadSpec, ids: list[int]) -> list[dict[str, Any]]:
    """The records among ``ids`` that exist, match the domain and the user may read."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), _READ_CHUNK):
        rows += client.call(
            spec.model,
            "search_read",
            domain=[["id", "in", ids[start : start + _READ_CHUNK]], *spec.domain],
            fields=spec.fields,
            context=spec.context,
        )
    return rows


def _gone(client: OdooClient, spec: _ReadSpec, ids: list[int]) -> set[int]:
    """The ids among ``ids`` that Odoo confirms deleted.

    ``read`` leaves out ids that do not exist and raises an access error when one of them exists
    but the user may not read it (Odoo 19's ``fetch``), so an error is split in halves until it
    names the hidden records, which are not deleted.
    """
    if not ids:
        return set()
    if len(ids) > _READ_CHUNK:
        middle = len(ids) // 2
        return _gone(client, spec, ids[:middle]) | _gone(client, spec, ids[middle:])
    try:
        found = client.call(spec.model, "read", ids, fields=["write_date"], context=spec.context)
    except AccessDeniedError:
        if len(ids) == 1:
            return set()
        middle = len(ids) // 2
        return _gone(client, spec, ids[:middle]) | _gone(client, spec, ids[middle:])
    return set(ids) - {row["id"] for row in found}


def _version(write_date: str, claimed: Iterable[str], *known: str | None) -> str | None:
    """The stamp to remember for a record read with ``write_date`` (to the second), or None when
    that is not newer than what was emitted. A claimed stamp of that very second lends its
    microseconds: the one way to tell a second write within the same second."""
    same_second = sorted(
        (s for s in claimed if len(s) > 19 and second(s) == write_date), key=lambda s: s.ljust(26, "0")
    )
    for stamp in reversed(same_second):
        if all(newer(stamp, k) for k in known):
            return stamp
    return write_date if all(newer(write_date, k) for k in known) else None


def _api_precision(record: Mapping[str, Any]) -> dict[str, Any]:
    """A post's values as the API shows a record: datetimes to the second, as the poll path and
    the reads return them, so a flow sees one shape whichever path emitted a record."""
    return {
        key: second(value) if isinstance(value, str) and _MICRO_STAMP.fullmatch(value) else value
        for key, value in record.items()
    }


def confirm(
    client: OdooClient,
    state: Mapping[str, Any],
    hints: Iterable[Hint],
    inputs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The records to emit for ``hints`` (posts already authenticated and parsed), as Odoo shows
    them now, and the state to store once they are delivered.

    Returns the trigger envelope with a ``deleted`` branch: ``{"data": {"created", "updated",
    "deleted"}, "state", "polledNoChanges"}``. Changes cost one ``search_read`` per 500 ids,
    deletions one ``read`` per 500; a hint for a change already emitted costs nothing.
    """
    checked = load_state(state)
    spec = _read_spec(checked, inputs)
    shown = set(checked.get("branches", BRANCH_FLAGS))
    options = {flag: branch in shown for branch, flag in BRANCH_FLAGS.items()}
    options.update({k: v for k, v in (inputs or {}).items() if k in BRANCH_FLAGS.values()})
    received, gone = checked["received"], checked["deleted"]
    seen: Mapping[str, str] = checked["poll"].get("seen", {})
    cursor = checked["poll"].get("cursor")
    horizon = shift(cursor, LOOKBACK) if cursor else None

    claimed: dict[int, set[str]] = {}
    deletions: dict[int, Hint] = {}
    for hint in hints:
        key = str(hint.record_id)
        if hint.event == "delete":
            if key not in gone:
                deletions[hint.record_id] = hint
        elif newer(hint.stamp, received.get(key)) and newer(hint.stamp, seen.get(key)):
            stamps = claimed.setdefault(hint.record_id, set())
            if len(stamps) < _STAMPS_KEPT:
                stamps.add(hint.stamp)

    created: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    for row in sorted(_read(client, spec, sorted(claimed)), key=lambda r: r["id"]):
        key, stamp = str(row["id"]), row["write_date"]
        gone.pop(key, None)  # Odoo has it: not deleted, whatever a post said
        version = _version(stamp, claimed.get(row["id"], ()), received.get(key), seen.get(key))
        if version is None or (horizon is not None and stamp < horizon):
            continue  # emitted already, or older than anything the poll would emit
        # as the poll decides: never emitted, and created inside the window
        recent = horizon is None or row["create_date"] >= horizon
        is_new = key not in received and key not in seen and recent
        received[key] = version
        if is_new and options.get("showNewRecords", True):
            created.append(row)
        elif not is_new and options.get("showUpdatedRecords", True):
            updated.append(row)

    kept = {"id", *spec.fields}
    for record_id in sorted(_gone(client, spec, sorted(deletions))):
        hint, key = deletions[record_id], str(record_id)
        gone[key] = hint.stamp
        received.pop(key, None)
        if options.get("showDeletedRecords", True):
            values = {k: v for k, v in hint.values.items() if k in kept}
            deleted.append(_api_precision({**values, "id": record_id}))
    return {
        "data": {"created": created, "updated": updated, "deleted": deleted},
        "state": prune(checked),
        "polledNoChanges": not (created or updated or deleted),
    }


def receive(
    connection: Connection | Mapping[str, Any] | None,
    state: Mapping[str, Any],
    request: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    *,
    client: OdooClient | None = None,
) -> dict[str, Any]:
    """One request from Odoo, for a platform: check, parse, read back, and the envelope.

    ``request`` is ``{"url" or "query", "body"}`` (body as bytes, text or parsed JSON). Raises
    :class:`Unauthorized` (answer 401) without the subscription's secret, :class:`TooLarge` (413)
    and :class:`InputError` (400) for a body that is not one of Odoo's. The connection is needed
    because the post is only a hint: the record is read from Odoo, as that connection's user.
    The branches, fields and domain are the subscription's; ``inputs``, when given, win.
    """
    checked = load_state(state)
    query = query_of(request)
    check_token(checked["secretSha256"], query)
    hint = parse_post(checked["model"], query, request.get("body"))
    if client is not None:
        return confirm(client, checked, [hint], inputs)
    if connection is None:
        raise InputError("receive needs the connection: a post is checked by reading the record from Odoo.")
    from ..client import make_client

    odoo = make_client(parse_connection(connection))
    try:
        return confirm(odoo, checked, [hint], inputs)
    finally:
        odoo.close()

"""Many records per request, on Odoo's import engine: upsertRecord and the batch actions.

``model.load(fields, data)`` is the engine behind Odoo's Import button, and it is public. One call
writes many rows in **one transaction**: any failing row and nothing is written (``ids`` false,
``messages`` naming the row, 0-based, the field and Odoo's words). A column ``id`` holds an
external ID: an existing one updates its record, a new one creates the record *and* the external
ID, which Odoo writes itself, so this works for an ordinary user (``ir.model.data`` is otherwise
the Access Rights group's). A column ``.id`` holds a database id to update ("" creates).
Values travel as text, converted per field type by :mod:`odoo_connector.values`.

What this module adds on top, and why:

* **Batches** of at most ``batchSize`` consecutive rows that write the same fields: an empty cell
  clears its field in ``load``, so rows with different fields never share a call.
* **onError** ``stop``: a batch is all or nothing; the first failing batch ends the run with an
  error naming the row's index in the input, its field and Odoo's message, and saying which
  batches were written (``exc.report`` holds the per-row report). ``skip``: a failing batch is
  sent again without the rows Odoo named, and split in halves while a failure names no row (as
  Odoo's own import isolates bad rows), so every good row is written once.
* **created** without an extra request per batch: new records get ids from Odoo's sequence, so a
  record created by this run has an id above the model's highest id before the run (one
  ``search`` per run) and was not seen earlier in the run; anything else was updated.
* **trackHistory** (off by default, as in Odoo's Import button): the batch actions write with
  ``tracking_disable``, so Odoo posts no chatter notes, subscribes no followers and notifies no
  one; ``trackHistory: true`` keeps all of it, at Odoo's cost.
* **Retries**: a batch whose every row names its record by external ID gives the same records
  however often it runs, so only that call is marked idempotent (retried after a timeout).
  Creating by position or by matchFields is not retried: Odoo may have created the rows.
* **External IDs under a module's name** (``base.…``, ``sale.…``) are refused before sending
  (:mod:`.external_ids`).
* **create where load cannot**: Odoo 19's ``load`` reads, for a contact under a parent, fields
  an ordinary user may not read (``credit_limit``) where ``create`` reads them as superuser; rows
  refused only for that and creating without an external ID go through ``create`` in one call
  (:meth:`_Run._read_by_load`).
* **Empty match values** (``matchFields``) are refused by name before sending: Odoo's search would
  take them for "records without a value" and update one.
* **skipUnchanged** (upsertRecords and updateRecords, on by default): rows whose record is known
  before sending (by ``recordId``, an external ID found by :mod:`.unchanged`, or a match key with
  exactly one match) are compared with the record; a row that matches is not sent
  (``unchanged`` in its report), and the changed rows go with only their changed fields through
  ``web_save_multi``, the list view's multi-edit (one request, one transaction per batch, about
  1 ms a record against 6 for ``load``'s row-by-row write). Odoo's refusal there names no row,
  so a refused batch is sent again through ``load`` as given (the same end state), which names
  it: one call when its rows set the same fields. Rows by position, new external IDs, match keys
  matching no record or several, and rows naming the same record twice go through ``load`` as
  given, in order.

The rows, the report and the wording of a stop live in :mod:`.batch_rows`, the comparison in
:mod:`.unchanged`, the match search in :mod:`.matching`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..client import OdooClient
from ..errors import (
    InputError,
    OdooConnectorError,
    OdooRequestError,
    OdooValidationError,
    ServerError,
    TransportError,
    UnsupportedServerError,
    input_path,
)
from ..values import Converter, ValueRefused, load_row
from .batch_rows import (
    KEY_INPUTS,
    ROW_ERRORS,
    Row,
    message_error,
    report,
    row_error,
    stopped,
    systemic,
    unanswered,
)
from .external_ids import STANDARD_MODULES, check_external_id, external_id_problem
from .matching import match_hits, plain
from .unchanged import compare

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "STANDARD_MODULES",
    "check_external_id",
    "create_records",
    "delete_records",
    "highest_id",
    "load_one",
    "update_records",
    "upsert_record",
    "upsert_records",
]

progress = logging.getLogger("odoo_connector.progress")
log = logging.getLogger("odoo_connector.batch")

# bench/batch_upsert.py against a real Odoo 19 (bench/RESULTS.md): the per-row cost stops falling
# at a few hundred rows, while a failing batch costs more to isolate the bigger it is.
DEFAULT_BATCH_SIZE = 500
# Odoo's words when a user lacks the group a field needs (models.py _check_field_access)
_FIELD_READ = re.compile(r'enough rights to access the field "([^"]+)".*?Operation: read', re.DOTALL)
# Datetimes are UTC strings both ways (load reads them in the context's timezone), and archived
# records are found by their id or external ID like active ones.
_LOAD_CONTEXT = {"tz": "UTC", "active_test": False}


class _Run:
    """One batch action over one call's records; see the module docstring for the rules."""

    def __init__(self, client: OdooClient, op: str, inputs: Mapping[str, Any]) -> None:
        self.client = client
        self.op = op  # create | update | upsert | delete
        self.model: str = inputs["model"]
        self.match_fields: list[str] = list(inputs.get("matchFields") or [])
        self.batch_size: int = inputs.get("batchSize") or DEFAULT_BATCH_SIZE
        self.skip = inputs.get("onError", "stop") == "skip"
        self.first = int(inputs.get("firstIndex", 0))
        self.rows = [Row(self.first + i, i) for i in range(len(inputs["records"]))]
        self.single = bool(inputs.get("_single"))  # upsertRecord, createRecord: no batch wording
        self.compare = op in ("upsert", "update") and not self.single and inputs.get("skipUnchanged", True)
        # Odoo's Import button writes with the chatter off unless asked ("Track history during
        # import", off by default): no follower subscriptions, no tracking messages, no
        # notifications, and creates a third faster. The batch actions do the same; the
        # single-record ones keep the chatter, as a form would.
        self.context = dict(_LOAD_CONTEXT)
        if not self.single and not inputs.get("trackHistory", False):
            self.context["tracking_disable"] = True
        # createRecord with an external ID converts before it gets here, and says so
        self.raw = bool(inputs.get("rawValues") or inputs.get("_converted"))
        self.written_batches = 0
        self.watermark: int | None = None
        self.seen: set[int] = set()
        self._prepare(inputs["records"])

    # -- before sending --------------------------------------------------------------------------

    def _prepare(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.fields = fields = self.client.fields_get(self.model) if self.op != "delete" else {}
        if self.op == "upsert":
            self._check_match_fields(fields)
        # values as people write them, names looked up once for all rows (values.write)
        self.converter = None if self.raw else Converter(self.client)
        for row, record in zip(self.rows, records, strict=True):
            try:
                self._prepare_row(row, record, fields)
            except ValueRefused as exc:
                row.error, where = row_error(exc), f"parameters.{exc.field}"
            except InputError as exc:
                row.error, where = row_error(exc), exc.path or ""
            if not row.error:
                continue
            # the whole path, so a skipped row's error and the stop's name the same place
            path = where if self.single else input_path("records", row.position, where)
            if path:
                row.error["path"] = path
            if not self.skip:
                text = row.error["message"] if self.single else f"Row {row.index}: {row.error['message']}"
                raise InputError(f"{text} Nothing was written.", path=path or None)

    def _prepare_row(self, row: Row, record: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
        if self.op == "delete":
            row.record_id = int(record["recordId"])
            return
        values = dict(record.get("parameters") or {})
        if self.converter is not None:
            values = self.converter.convert(self.model, values)
        columns, cells = load_row(self.model, fields, values)
        row.values = values  # for skipUnchanged, and for create when load cannot (_create)
        key_column, key = "", ""
        if self.op == "update":
            row.record_id = int(record["recordId"])
            key_column, key = ".id", str(row.record_id)
        elif self.op == "upsert":
            external_id = record.get("externalId")
            if external_id:
                problem = external_id_problem(self.client, external_id)
                if problem:
                    raise InputError(problem, path="externalId")
                key_column, key = "id", external_id
            elif self.match_fields:
                missing = [f for f in self.match_fields if f not in values]
                if missing:
                    raise ValueRefused(
                        missing[0],
                        f"matchFields names {missing[0]!r}, which this row does not set in parameters.",
                    )
                row.match = tuple(plain(values[f]) for f in self.match_fields)
                for name, value in zip(self.match_fields, row.match, strict=True):
                    if _empty(value, fields.get(name)):
                        # Odoo's search would take it for "records without a value" and update one
                        raise ValueRefused(
                            name,
                            f"Cannot match on an empty {name}: this row's {name} is empty, and "
                            f"matchFields would find a record that has no {name} and overwrite it. "
                            "Give it a value, or name the record by externalId.",
                        )
                key_column = ".id"
            else:
                raise InputError(
                    "This row has no externalId, and no matchFields were given: nothing says which "
                    "record it is."
                )
        row.columns = ((key_column,) if key_column else ()) + columns
        row.cells = ([key] if key_column else []) + cells

    def _check_match_fields(self, fields: Mapping[str, Any]) -> None:
        """matchFields name fields holding one value each: a row's x2many is a list of records,
        which no search compares with one value (and Odoo's ``=`` on it means "contains")."""
        for name in self.match_fields:
            kind = (fields.get(name) or {}).get("type")
            if kind in ("one2many", "many2many"):
                raise InputError(
                    f"matchFields names {name!r}, a {kind} field: a row is matched on fields that "
                    "hold one value each (text, a number, a date, a many2one), not on a list of "
                    "records. Nothing was written.",
                    path="matchFields",
                    hint="Match on a field such as email, ref or vat, or name the records by externalId.",
                )

    def batches(self) -> Iterator[list[Row]]:
        """Consecutive good rows, at most batch_size, with the same columns; a repeated match key
        starts a new batch (two rows matching nothing would otherwise both create). Rows with
        changed values for a known record (``write``) each touch a record no other row does, so
        they are gathered whatever lies between them: any fields, batch_size a request."""
        batch: list[Row] = []
        writes: list[Row] = []
        keys: set[tuple[Any, ...]] = set()
        for row in self.rows:
            if row.error or row.done:
                continue
            if row.write is not None:
                writes.append(row)
                if len(writes) >= self.batch_size:
                    yield writes
                    writes = []
                continue
            if batch and (
                len(batch) >= self.batch_size
                or row.columns != batch[0].columns
                or (row.match is not None and row.match in keys)
            ):
                yield batch
                batch, keys = [], set()
            batch.append(row)
            if row.match is not None:
                keys.add(row.match)
        if batch:
            yield batch
        if writes:
            yield writes

    # -- sending ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        total = len(self.rows)
        if self.compare:
            top = compare(
                self.client,
                self.model,
                self.fields,
                self.rows,
                op=self.op,
                batch_size=self.batch_size,
                match_fields=self.match_fields,
            )
            if self.watermark is None and top is not None:
                self.watermark = top  # the scan's search began at the highest id: no search for it
        number = 0
        for number, batch in enumerate(self.batches(), start=1):
            try:
                parts = [batch]
                if batch[0].write is not None:
                    parts = [] if self._write_known(batch) else self._load_parts(batch)
                for part in parts:
                    if self.skip:
                        self._write_skipping(part)
                    else:
                        self._write_or_stop(part, number)
            except OdooConnectorError as exc:
                raise stopped(
                    exc,
                    self.rows,
                    batch,
                    number,
                    op=self.op,
                    batches=self.written_batches,
                    single=self.single,
                ) from None
            done = sum(1 for r in self.rows if r.done or r.error)
            progress.info("%s: %d of %d rows done (%d batches)", self.model, done, total, number)
        return report(self.rows, self.op, self.written_batches)

    def _write_known(self, batch: list[Row]) -> bool:
        """Writes the rows' changed values on their known records in one ``web_save_multi``;
        True when done. False when Odoo refused (its error names no row): the rows are then
        handed back as given, for :meth:`_load_parts`."""
        try:
            self.client.call(
                self.model,
                "web_save_multi",
                [r.record_id or 0 for r in batch],
                vals_list=[r.write for r in batch],
                specification={},
                context=self.context,
                idempotent=True,  # the same values on the same records: sending again is harmless
            )
        except (OdooRequestError, ServerError, TransportError) as exc:
            if unanswered(exc):
                _mark_lost(batch, exc)
                raise
            log.info(
                "%s: web_save_multi refused %d rows (%s); sending them through load",
                self.model,
                len(batch),
                exc,
            )
            for row in batch:
                row.write = None  # back to the row as given: load writes the same end state
            return False
        for row in batch:
            row.done = True
        self.written_batches += 1
        return True

    @staticmethod
    def _load_parts(batch: list[Row]) -> list[list[Row]]:
        """Rows :meth:`_write_known` handed back, as ``load`` calls: one per set of columns. Rows
        of a sync usually set the same fields, so that is one call, all or nothing; the rows touch
        records no other row does, so grouping them out of order changes nothing."""
        parts: dict[tuple[str, ...], list[Row]] = {}
        for row in batch:
            parts.setdefault(row.columns, []).append(row)
        return list(parts.values())

    def _write_or_stop(self, batch: list[Row], number: int) -> None:
        named, whole = self._attempt(batch)
        if named:
            row, error = next(iter(named.items()))
            row.error = error
            cls = ROW_ERRORS.get(error["type"], OdooValidationError)
            field_name: str | None = error.get("field")
            parts: list[str | int] = [] if self.single else ["records", row.position]
            if field_name:
                parts.append(field_name if field_name in KEY_INPUTS.values() else f"parameters.{field_name}")
            where = f"Row {row.index}" if not self.single else ""
            if field_name:
                where = f"{where}, field {field_name!r}" if where else f"Field {field_name!r}"
            raise cls(
                f"{where}: {error['message']}" if where else error["message"], path=input_path(*parts) or None
            )
        if whole is not None:
            raise whole

    def _write_skipping(self, batch: list[Row]) -> None:
        pending = [batch]
        while pending:
            part = pending.pop()
            named, whole = self._attempt(part)
            if not named and whole is None:
                continue
            if whole is not None and unanswered(whole):
                raise whole  # whether Odoo wrote the rows is unknown: never send them again
            refusal = systemic(named, whole)
            if refusal is not None:
                # a missing group refuses every row alike: isolating them would cost a request each
                for row in part:
                    row.error = refusal
                continue
            for row, error in named.items():
                row.error = error
            rest = [r for r in part if r.error is None]
            if named and len(rest) < len(part):
                if rest:
                    pending.append(rest)
            elif len(part) == 1:
                part[0].error = (
                    row_error(whole)
                    if whole is not None
                    else {"type": "OdooValidationError", "message": "Odoo refused the row."}
                )
            else:
                half = len(part) // 2
                pending += [part[half:], part[:half]]

    def _attempt(self, part: list[Row]) -> tuple[dict[Row, dict[str, Any]], OdooConnectorError | None]:
        """Sends ``part`` once. Returns the rows Odoo named with their errors, or the error of a
        failure that names no row; both empty when it was written."""
        if self.op == "delete":
            return self._attempt_delete(part)
        named: dict[Row, dict[str, Any]] = {}
        if any(r.match is not None for r in part):
            named = self._resolve_matches(part)
            if named:
                return named, None
        by_xid = part[0].columns[:1] == ("id",)
        if by_xid and self.watermark is None:
            self.watermark = highest_id(self.client, self.model)
        try:
            answer = self.client.call(
                self.model,
                "load",
                fields=list(part[0].columns),
                data=[r.cells for r in part],
                context=self.context,
                idempotent=by_xid,
            )
        except (OdooRequestError, ServerError, TransportError) as exc:
            if unanswered(exc):
                _mark_lost(part, exc)
            return {}, exc
        ids, messages = _load_answer(self.client, self.model, answer, len(part))
        if ids is None:
            for message in messages:
                rows = message.get("rows") or {}
                start, end = rows.get("from"), rows.get("to")
                if (
                    message.get("type") == "error"
                    and isinstance(start, int)
                    and start == end
                    and 0 <= start < len(part)
                ):
                    named.setdefault(part[start], message_error(message))
            if named:
                unread = self._read_by_load(named, part)
                if unread and all(self._creates(r) for r in part):
                    log.info(
                        "%s: load refused %d rows, reading %r on its own; creating them with create",
                        self.model,
                        len(part),
                        unread,
                    )
                    return self._create(part)
                if unread:
                    for error in named.values():
                        error["message"] += (
                            f"\n\nOdoo's import (load) reads {unread!r} on its own here (these rows "
                            "do not set it), which Odoo's create does not: rows without an external "
                            "ID are created through create instead, but rows named by external ID "
                            "need load, so the API user needs one of the groups Odoo names."
                        )
                return named, None
            first = next((m for m in messages if m.get("type") == "error"), {})
            return {}, OdooValidationError(
                str(first.get("message") or "Odoo refused the batch."), odoo_name="load"
            )
        for row, record_id in zip(part, ids, strict=True):
            row.record_id, row.done = record_id, True
            if self.op == "create":
                row.created = True
            elif by_xid:
                row.created = record_id > (self.watermark or 0) and record_id not in self.seen
            elif self.op == "upsert":
                row.created = row.cells[0] == ""
            self.seen.add(record_id)
        self.written_batches += 1
        return {}, None

    @staticmethod
    def _read_by_load(named: Mapping[Row, dict[str, Any]], part: Sequence[Row]) -> str | None:
        """The field Odoo refused to read when that refusal is all it said and the rows do not set
        the field: its import read the field on its own. Observed in Odoo 19: ``load`` creating a
        contact under a parent (``parent_id``) copies the parent's commercial fields without
        ``sudo``, among them ``credit_limit``, which only the Accounting groups may read; ``create``
        does the same copy as superuser."""
        read = [m.group(1) if (m := _FIELD_READ.search(e["message"])) else None for e in named.values()]
        field_name = read[0]
        if field_name is None or any(other != field_name for other in read):
            return None
        sent = {c.split("/")[0] for r in part for c in r.columns}
        return None if field_name in sent else field_name

    def _creates(self, row: Row) -> bool:
        """Whether ``row`` creates a record without an external ID (by position, or a match key
        that matched nothing), so ``create`` can write it as ``load`` would."""
        if row.values is None:
            return False
        if self.op == "create":
            return True
        return self.op == "upsert" and row.columns[:1] == (".id",) and row.cells[0] == ""

    def _create(self, part: list[Row]) -> tuple[dict[Row, dict[str, Any]], OdooConnectorError | None]:
        """``part`` through ``create``, in one call (one transaction, all or nothing, as ``load``),
        with the rows' values in Odoo's form; what :meth:`_attempt` returns."""
        try:
            ids = self.client.call(
                self.model, "create", vals_list=[r.values for r in part], context=self.context
            )
        except (OdooRequestError, ServerError, TransportError) as exc:
            if unanswered(exc):
                _mark_lost(part, exc)
            return {}, exc
        for row, record_id in zip(part, ids if isinstance(ids, list) else [ids], strict=True):
            row.record_id, row.done, row.created = int(record_id), True, True
            self.seen.add(int(record_id))
        self.written_batches += 1
        return {}, None

    def _resolve_matches(self, part: list[Row]) -> dict[Row, dict[str, Any]]:
        """One exact search for the rows' match keys: 0 found → create, 1 → update, more → the
        row's error, listing the ids (nothing of it is written)."""
        keys = [r.match for r in part if r.match is not None]
        hits = match_hits(self.client, self.model, self.match_fields, keys)
        named: dict[Row, dict[str, Any]] = {}
        for row in part:
            ids = hits.get(row.match or (), [])
            if len(ids) > 1:
                shown = ", ".join(
                    f"{f}={v!r}" for f, v in zip(self.match_fields, row.match or (), strict=True)
                )
                named[row] = {
                    "type": "OdooValidationError",
                    "message": f"{len(ids)} {self.model} records match {shown}: ids {ids}.",
                    "field": self.match_fields[0],
                    "ids": ids,
                }
            else:
                row.cells[0] = str(ids[0]) if ids else ""
        return named

    def _attempt_delete(self, part: list[Row]) -> tuple[dict[Row, dict[str, Any]], OdooConnectorError | None]:
        ids = [r.record_id or 0 for r in part]
        try:
            self.client.call(self.model, "unlink", ids)
        except (OdooRequestError, ServerError, TransportError) as exc:
            if unanswered(exc):
                _mark_lost(part, exc)
                return {}, exc
            there = set(
                self.client.call(
                    self.model, "search", domain=[["id", "in", ids]], context={"active_test": False}
                )
            )
            named = {
                r: {
                    "type": "NotFoundError",
                    "message": f"No {self.model} record with id {r.record_id} (it does not exist or "
                    "was deleted).",
                }
                for r in part
                if r.record_id not in there
            }
            return named, (None if named else exc)
        for row in part:
            row.done = True
        self.written_batches += 1
        return {}, None


def _empty(value: Any, spec: Mapping[str, Any] | None) -> bool:
    """A match value that names no value: None, False (but for a boolean field, where it is one),
    or text of nothing but spaces."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (value is False and (spec or {}).get("type") != "boolean")


def _mark_lost(rows: Sequence[Row], exc: OdooConnectorError) -> None:
    """The rows of a request Odoo may have run without answering: their report says
    ``"written": "unknown"``, as the error does."""
    for row in rows:
        row.lost = exc.kind


def highest_id(client: OdooClient, model: str) -> int:
    """The model's highest record id (archived included), 0 for none: every record created after
    this call has a higher one (ids come from a sequence)."""
    top = client.call(model, "search", domain=[], order="id desc", limit=1, context={"active_test": False})
    return int(top[0]) if top else 0


def _load_answer(
    client: OdooClient, model: str, answer: Any, rows: int
) -> tuple[list[int] | None, list[dict[str, Any]]]:
    if isinstance(answer, dict) and isinstance(answer.get("messages", []), list):
        ids = answer.get("ids")
        messages = [m for m in answer.get("messages", []) if isinstance(m, dict)]
        if ids is False:
            return None, messages
        if (
            isinstance(ids, list)
            and len(ids) == rows
            and all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            return ids, messages
    raise UnsupportedServerError(
        f"{client.connection.url} answered {model}.load with {str(answer)[:80]!r}, not Odoo's "
        '{"ids", "messages"} for the rows sent.',
        hint="Check the base URL points at an Odoo 19 server.",
    )


def _handler(op: str) -> Callable[[OdooClient, Mapping[str, Any]], dict[str, Any]]:
    def handler(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return _Run(client, op, inputs).run()

    return handler


create_records = _handler("create")
create_records.__doc__ = (
    "createRecords: rows of ``parameters``, created in batches (not retried after a timeout)."
)
update_records = _handler("update")
update_records.__doc__ = "updateRecords: rows of ``recordId`` and ``parameters``, written in batches."
upsert_records = _handler("upsert")
upsert_records.__doc__ = "upsertRecords: rows by ``externalId`` (safe to send again) or by ``matchFields``."
delete_records = _handler("delete")
delete_records.__doc__ = "deleteRecords: rows of ``recordId``, deleted in batches."


def upsert_record(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """One record by external ID or matchFields: the batch path with one row, so both behave
    alike; more than one match is an error listing the ids, and nothing is changed."""
    if bool(inputs.get("externalId")) == bool(inputs.get("matchFields")):
        raise InputError("Give either externalId or matchFields: they say which record to create or update.")
    if inputs.get("externalId"):
        check_external_id(client, inputs["externalId"])
    record = {"parameters": inputs["parameters"], "externalId": inputs.get("externalId")}
    run = _Run(client, "upsert", {**inputs, "records": [record], "onError": "stop", "_single": True})
    row = run.run()["rows"][0]
    return {"id": row["id"], "created": row["created"]}


def load_one(client: OdooClient, model: str, external_id: str, parameters: Mapping[str, Any]) -> int:
    """Creates or updates the record behind ``external_id`` with ``parameters`` in one ``load``
    (one transaction: the record and its external ID together or neither). Used by createRecord,
    which checks first that the external ID is free."""
    records = [{"externalId": external_id, "parameters": parameters}]
    run = _Run(client, "upsert", {"model": model, "records": records, "_single": True, "_converted": True})
    run.watermark = 0  # createRecord does not report created: no search for it
    row = run.run()["rows"][0]
    return int(row["id"])

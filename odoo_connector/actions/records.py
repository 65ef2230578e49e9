"""Record actions: create, update, delete, get (by id or external ID), set an external ID, list.

Each handler takes (client, inputs) with inputs already validated against its schema, and returns
the ``data`` of the envelope. What Odoo does that surprises is written where it is handled.

Past 400 lines because listing (paging, and the stream that says where it stopped) lives here
with the single-record actions: both read through ``default_fields`` and ``_shaped``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..client import OdooClient
from ..domain import validate_domain
from ..errors import (
    AccessDeniedError,
    NotFoundError,
    OdooConnectorError,
    OdooValidationError,
    ServerError,
    TransportError,
)
from ..values import friendly_record, to_odoo
from .batch import highest_id, load_one
from .batch_rows import no_answer, unanswered, unanswered_write
from .external_ids import check_external_id
from .specification import Spec, friendly_tree, specification_for

__all__ = [
    "RecordStream",
    "create_record",
    "default_fields",
    "delete_record_by_id",
    "get_record_by_external_id",
    "get_record_by_id",
    "iter_records",
    "list_records",
    "set_external_id",
    "split_external_id",
    "stream_records",
    "update_record",
    "web_search_read",
]

progress = logging.getLogger("odoo_connector.progress")

# Types read by default when the caller names no fields. x2many fields are left out because
# reading them checks access to the related model: on res.partner, `rtc_session_ids` fails with a
# 403 for every non-administrator once Discuss is installed. Binary fields can be megabytes.
_DEFAULT_TYPES = frozenset(
    {
        "char",
        "text",
        "html",
        "integer",
        "float",
        "monetary",
        "boolean",
        "date",
        "datetime",
        "selection",
        "many2one",
        "many2one_reference",
        "reference",
    }
)
_EXTERNAL_ID_GROUP = "Access Rights (base.group_erp_manager)"  # its Odoo 19 name
# fetchAll without a pageSize sizes its pages from the rows it reads: the first page is small, the
# next ones hold about _PAGE_BYTES of JSON (narrow rows: up to _MAX_PAGE rows, so 20 000 leads with
# four fields took 3 requests instead of 40 on the real Odoo; wide rows: smaller pages), which also
# bounds memory per page.
_FIRST_PAGE = 500
_MIN_PAGE = 50
_MAX_PAGE = 20000
_PAGE_BYTES = 2 * 1024 * 1024


def default_fields(client: OdooClient, model: str) -> list[str]:
    """A readable, useful field list for ``model`` for a non-administrator: stored scalar and
    many2one fields that ``fields_get`` shows this user (it hides fields of groups the user lacks),
    plus ``display_name``. Cached per connection, so only the first call pays for ``fields_get``."""
    fields = client.fields_get(model)
    names = sorted(
        name
        for name, spec in fields.items()
        if spec.get("store", True) and spec.get("type") in _DEFAULT_TYPES
    )
    if "display_name" in fields and "display_name" not in names:
        names.append("display_name")
    return names


def _fields(client: OdooClient, model: str, fields: Sequence[str] | None) -> list[str]:
    return list(fields) if fields else default_fields(client, model)


def split_external_id(external_id: str) -> tuple[str, str]:
    module, _, name = external_id.partition(".")
    return module, name


def _missing(model: str, record_id: int, exc: OdooConnectorError | None = None) -> NotFoundError:
    text = f"No {model} record with id {record_id} (it does not exist or was deleted)."
    if exc is not None:
        text = f"{text} Odoo said: {exc.message}"
    return NotFoundError(
        text,
        detail=exc.detail if exc else None,
        odoo_name=exc.odoo_name if exc else None,
        status=exc.status if exc else None,
        hint="Check the record id, e.g. with listRecords or the selectRecordById picklist.",
    )


def _external_id_access(exc: AccessDeniedError) -> AccessDeniedError:
    return AccessDeniedError(
        exc.message,
        groups=exc.groups or ["Access Rights"],
        detail=exc.detail,
        odoo_name=exc.odoo_name,
        status=exc.status,
        hint=f"Creating or checking external IDs needs the Odoo group {_EXTERNAL_ID_GROUP}, which "
        "ordinary users do not have. Ask an Odoo administrator to add it to the API user, or "
        "leave externalId empty. Reading records by external ID (getRecordByExternalId) works "
        "without it.",
    )


def _find_external_ids(
    client: OdooClient, module: str, name: str, model: str | None = None, record_id: int | None = None
) -> list[dict[str, Any]]:
    """``ir.model.data`` rows holding ``module.name`` (or, given a record, any external ID of that
    record). Reading ``ir.model.data`` needs the same group as creating in it, so this one call
    also proves, before anything is written, that the user will be allowed to set the ID."""
    domain: list[Any] = [["module", "=", module], ["name", "=", name]]
    if model is not None and record_id is not None:
        domain = ["|", "&", *domain, "&", ["model", "=", model], ["res_id", "=", record_id]]
    try:
        rows: list[dict[str, Any]] = client.call(
            "ir.model.data", "search_read", domain=domain, fields=["module", "name", "model", "res_id"]
        )
    except AccessDeniedError as exc:
        raise _external_id_access(exc) from None
    return rows


def _create_external_id(client: OdooClient, module: str, name: str, model: str, record_id: int) -> int:
    try:
        ids = client.call(
            "ir.model.data",
            "create",
            vals_list=[{"module": module, "name": name, "model": model, "res_id": record_id}],
        )
    except AccessDeniedError as exc:
        raise _external_id_access(exc) from None
    return int(ids[0] if isinstance(ids, list) else ids)


def _refuse_taken(client: OdooClient, external_id: str) -> bool:
    """Refuses an external ID that already names a record this user can see.

    ``check_object_reference`` is open to every user (``ir.model.data`` is not) and answers "not
    found" with an error: the free case. ``[model, false]`` is not proof of a record: Odoo 19
    answers it for a record the user cannot read, and also, from a worker's cache, for the
    record of a ``load`` that failed and was rolled back (observed: the ID stays "taken" by a
    record that never existed). Refusing then would block the retry after a fixed value, so
    the write goes ahead, and True says the caller must check that it created a record.
    """
    module, name = split_external_id(external_id)
    try:
        model, res_id = client.call("ir.model.data", "check_object_reference", module=module, xml_id=name)
    except OdooValidationError as exc:
        if "External ID not found" in exc.message:
            return False
        raise
    if res_id:
        raise OdooValidationError(
            f"The external ID {external_id!r} is already used by {model} record {res_id}.",
            hint="Choose another external ID, or change that record with upsertRecord or updateRecord.",
        )
    return True


def create_record(client: OdooClient, inputs: Mapping[str, Any]) -> int:
    """Creates one record; with ``externalId`` the record and its external ID are written by one
    ``load`` (Odoo's import), one transaction, so the end state is both or neither, and an
    ordinary user may do it (``ir.model.data`` itself needs the Access Rights group).

    Before that write: an external ID under an Odoo module's name is refused, and one that is
    taken too (``load`` would update its record instead of creating one). Values go through
    :mod:`odoo_connector.values`, so what ``load`` cannot express is refused with the field named.
    Without an external ID, a ``create`` whose answer is lost is never sent again (it would make
    a second record): the error says the record may exist, in the batch actions' words.
    """
    model: str = inputs["model"]
    external_id: str | None = inputs.get("externalId")
    if external_id:
        check_external_id(client, external_id)
    values = _values(client, inputs)
    if external_id:
        uncertain = _refuse_taken(client, external_id)
        # new ids come from a sequence: an id at or below the highest before the write is an update
        before = highest_id(client, model) if uncertain else None
        new_id = load_one(client, model, external_id, values)
        if before is not None and new_id <= before:
            raise OdooValidationError(
                f"The external ID {external_id!r} was already used by {model} record {new_id}, which "
                "Odoo did not show this user before writing: that record was updated with these "
                "values; no record was created.",
                hint="Use upsertRecord when updating the record behind an external ID is intended.",
            )
        return new_id
    try:
        result = client.call(model, "create", vals_list=[values])
    except (ServerError, TransportError) as exc:
        if unanswered(exc):  # never sent again (a second record): say it may exist
            lost = no_answer(f"The new {model} record", "whether it exists", done="created")
            raise unanswered_write(exc, f"{exc.message} {lost}") from None
        raise
    return int(result[0] if isinstance(result, list) else result)


def _values(client: OdooClient, inputs: Mapping[str, Any], record_id: int | None = None) -> dict[str, Any]:
    """``parameters`` as Odoo takes them (:func:`odoo_connector.values.to_odoo`), or as given
    with ``rawValues`` (no fields_get, no lookups: for values already in Odoo's form)."""
    if inputs.get("rawValues"):
        return dict(inputs["parameters"])
    return to_odoo(client, inputs["model"], inputs["parameters"], record_id=record_id)


def update_record(client: OdooClient, inputs: Mapping[str, Any]) -> bool:
    model, record_id = inputs["model"], inputs["recordId"]
    try:
        values = _values(client, inputs, record_id)
        client.call(model, "write", [record_id], vals=values)
    except NotFoundError as exc:
        raise _missing(model, record_id, exc) from None
    return True


def delete_record_by_id(client: OdooClient, inputs: Mapping[str, Any]) -> bool:
    model, record_id = inputs["model"], inputs["recordId"]
    try:
        client.call(model, "unlink", [record_id])
    except NotFoundError as exc:
        raise _missing(model, record_id, exc) from None
    return True


def _spec(client: OdooClient, model: str, inputs: Mapping[str, Any]) -> Spec | None:
    """The checked ``web_read`` specification of the inputs, None for a plain read."""
    return specification_for(client, model, inputs.get("specification"), inputs.get("fields"))


def _read_one(client: OdooClient, model: str, record_id: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
    spec = _spec(client, model, inputs)
    # Odoo answers `read` (and `web_read`) of a deleted or unknown id with [] and status 200.
    if spec is None:
        rows = client.call(model, "read", [record_id], fields=_fields(client, model, inputs.get("fields")))
    else:
        rows = client.call(model, "web_read", [record_id], specification=spec)
    if not rows:
        raise _missing(model, record_id)
    return dict(rows[0])


def _shaped(client: OdooClient, model: str, inputs: Mapping[str, Any]) -> Any:
    """``row -> row`` in the output format the inputs ask for: Odoo's own (the default: nothing
    changes, no request), or ``friendly`` (values.friendly_record, at every level of a
    specification; one cached fields_get per model)."""
    if inputs.get("format") != "friendly":
        return lambda row: row
    spec = _spec(client, model, inputs)
    if spec is not None:
        return lambda row: friendly_tree(client, model, spec, row)
    fields = client.fields_get(model)
    return lambda row: friendly_record(row, fields)


def get_record_by_id(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    record = _read_one(client, inputs["model"], inputs["recordId"], inputs)
    return _shaped(client, inputs["model"], inputs)(record)  # type: ignore[no-any-return]


def get_record_by_external_id(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Resolves the ID with ``ir.model.data.check_object_reference``, which every user may call
    (``ir.model.data`` itself is readable only by the Access Rights group)."""
    external_id: str = inputs["externalId"]
    module, name = split_external_id(external_id)
    try:
        model, res_id = client.call("ir.model.data", "check_object_reference", module=module, xml_id=name)
    except OdooValidationError as exc:
        if "External ID not found" in exc.message:
            raise NotFoundError(
                f"No record has the external ID {external_id!r}.",
                odoo_name=exc.odoo_name,
                hint="Check the spelling: an external ID is module.name, e.g. base.main_company.",
            ) from None
        raise
    if not res_id:
        # Odoo found the ID but the user cannot see the record (or it was deleted).
        raise NotFoundError(
            f"The external ID {external_id!r} points at a {model} record this user cannot read "
            "(or that was deleted).",
            hint="Check the record exists and that the API user may read it (record rules, company).",
        )
    record = _shaped(client, model, inputs)(_read_one(client, model, int(res_id), inputs))
    return {"externalId": external_id, "model": model, "id": int(res_id), "record": record}


def set_external_id(client: OdooClient, inputs: Mapping[str, Any]) -> int:
    model, record_id, external_id = inputs["model"], inputs["recordId"], inputs["externalId"]
    module, name = split_external_id(external_id)
    if not client.call(model, "read", [record_id], fields=["display_name"]):
        raise _missing(model, record_id)
    for row in _find_external_ids(client, module, name, model, record_id):
        if row["module"] == module and row["name"] == name:
            if row["model"] == model and row["res_id"] == record_id:
                raise OdooValidationError(
                    f"{model} record {record_id} already has the external ID {external_id!r}.",
                    hint="Nothing to do; getRecordByExternalId finds the record.",
                )
            raise OdooValidationError(
                f"The external ID {external_id!r} is already used by {row['model']} record {row['res_id']}.",
                hint="Choose another external ID.",
            )
        raise OdooValidationError(
            f"{model} record {record_id} already has the external ID {row['module']}.{row['name']}.",
            hint="A record keeps one external ID here; use the one it has with getRecordByExternalId.",
        )
    return _create_external_id(client, module, name, model, record_id)


def iter_records(
    client: OdooClient,
    model: str,
    *,
    domain: Sequence[Any] = (),
    fields: Sequence[str] | None = None,
    order: str | None = None,
    offset: int = 0,
    page_size: int | None = None,
    specification: Spec | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching record, one page in memory at a time.

    ``page_size`` None sizes pages from what they hold (see ``_PAGE_BYTES``); a number is used
    as given. A ``specification`` (checked: :mod:`.specification`) reads each page with its
    related records and lines through ``web_search_read``, still one request per page.

    Without an ``order`` it pages by id (``id > last``) rather than by offset, so records created
    or deleted while paging neither shift the pages nor get skipped or repeated. With an ``order``
    it must page by offset, with ``id`` added as a tie-breaker so the order is total.
    """
    checked = validate_domain(list(domain))
    names = _fields(client, model, fields) if specification is None else []
    keyset = _keyset(order)
    sort = "id asc" if keyset else f"{order}, id asc"
    last_id: int | None = None
    position = offset
    seen = 0
    adaptive = page_size is None
    size = _FIRST_PAGE if page_size is None else page_size
    while True:
        page_domain = checked if last_id is None else [*checked, ["id", ">", last_id]]
        # one row more than a page tells whether another page follows, so a result that is an
        # exact multiple of the page size costs no trailing empty request
        at = position if (not keyset or last_id is None) else 0
        page: list[dict[str, Any]] = (
            client.call(
                model, "search_read", domain=page_domain, fields=names, order=sort, limit=size + 1, offset=at
            )
            if specification is None
            else web_search_read(
                client, model, page_domain, specification, order=sort, limit=size + 1, offset=at
            )
        )
        more = len(page) > size
        del page[size:]
        if adaptive and page:
            sample = page[:: max(1, len(page) // 20)]
            per_row = max(1, len(json.dumps(sample, separators=(",", ":"), default=str)) // len(sample))
            size = max(_MIN_PAGE, min(_MAX_PAGE, _PAGE_BYTES // per_row))
        yield from page
        seen += len(page)
        progress.info("%s: %d records read", model, seen)
        if not more:
            return
        if keyset:
            last_id = page[-1]["id"]
        else:
            position += len(page)


def stream_records(client: OdooClient, inputs: Mapping[str, Any]) -> RecordStream:
    """listRecords with fetchAll as an iterator: what ``odoo-connector run listRecords --jsonl``
    writes out one record at a time, and which says where it stopped if a page cannot be read."""
    return RecordStream(client, inputs)


class RecordStream(Iterator[dict[str, Any]]):
    """listRecords with fetchAll, one record at a time, counting what it has handed out.

    A page that cannot be read (Odoo still away after the connection's retryFor) ends the stream
    with the error of that page, reworded to say how many records came before it, the last one's
    id, and which inputs read the rest; :attr:`resume` holds those inputs for a caller that
    wants them as data (the CLI's closing error line). Everything handed out before the error
    was read whole: a consumer that wrote each record before asking for the next has written
    exactly those, and resuming from :attr:`resume` gives exactly the others.
    """

    def __init__(self, client: OdooClient, inputs: Mapping[str, Any]) -> None:
        self.inputs = inputs
        self.count = 0
        self.last_id: int | None = None
        self._rows = _stream(client, inputs)
        self._shape = _shaped(client, inputs["model"], inputs)

    def __iter__(self) -> RecordStream:
        return self

    def __next__(self) -> dict[str, Any]:
        try:
            row = next(self._rows)
        except OdooConnectorError as exc:
            if not self.count:
                raise  # nothing handed out: the same call again reads everything
            raise self._stopped(exc) from None
        self.count += 1
        self.last_id = row["id"]
        return self._shape(row)  # type: ignore[no-any-return]

    @property
    def resume(self) -> dict[str, Any]:
        """The inputs to change so that listRecords reads what this stream has not handed out.

        By id order (no ``order``) the pages follow ``id > last``, so the rest is ``afterId``
        the last id (with ``offset`` 0: the offset was spent on the first page). With an
        ``order`` the pages go by offset, so the rest starts that many records further."""
        if not self.count:
            return {}
        if _keyset(self.inputs.get("order")):
            return {"afterId": self.last_id, **({"offset": 0} if self.inputs.get("offset") else {})}
        return {"offset": int(self.inputs.get("offset") or 0) + self.count}

    def _stopped(self, exc: OdooConnectorError) -> OdooConnectorError:
        inputs = ", ".join(f'"{name}": {value}' for name, value in self.resume.items())
        return _reworded(
            exc,
            f"{exc.message.rstrip('.')}. The read stopped after {self.count} records, the last with "
            f"id {self.last_id}; the records after it were not read.",
            f"To read the rest, run listRecords again with the same inputs and {inputs}. {exc.hint}".strip(),
        )


def _reworded(exc: OdooConnectorError, message: str, hint: str) -> OdooConnectorError:
    """``exc`` with another message and hint, of the same class and otherwise the same (Odoo's
    name, status, groups, detail), so whoever catches a TransportError still catches it."""
    new = type(exc).__new__(type(exc))
    new.__dict__.update(exc.__dict__)
    new.args = (message,)
    new.message = message
    new.hint = hint
    return new


def _keyset(order: str | None) -> bool:
    """True when records are read in id order, page after page by ``id > last``."""
    return not order or order.strip().lower() in ("id", "id asc")


def _with_after_id(inputs: Mapping[str, Any]) -> list[Any]:
    """The inputs' domain, and ``id > afterId`` when given (0: none): the records after a stream
    that stopped."""
    domain = list(inputs.get("domain", []))
    after: int = inputs.get("afterId") or 0
    return [*domain, ["id", ">", after]] if after else domain


def web_search_read(
    client: OdooClient,
    model: str,
    domain: list[Any],
    specification: Spec,
    *,
    order: str,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """The records of one ``web_search_read`` page. ``count_limit`` 1 spares Odoo the
    ``search_count`` it runs for the web client's pager when a page is full: nothing here uses
    the total it answers."""
    answer = client.call(
        model,
        "web_search_read",
        domain=domain,
        specification=specification,
        offset=offset,
        limit=limit,
        order=order,
        count_limit=1,
    )
    return list(answer["records"])


def _stream(client: OdooClient, inputs: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    return iter_records(
        client,
        inputs["model"],
        domain=_with_after_id(inputs),
        fields=inputs.get("fields"),
        order=inputs.get("order"),
        offset=inputs.get("offset", 0),
        page_size=inputs.get("pageSize") or None,  # 0: sized from the rows
        specification=_spec(client, inputs["model"], inputs),
    )


def list_records(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    if inputs.get("fetchAll"):
        # all or nothing here: a stopped read returns no records, so nothing to resume from
        shape = _shaped(client, inputs["model"], inputs)
        return [shape(row) for row in _stream(client, inputs)]
    model = inputs["model"]
    domain = validate_domain(_with_after_id(inputs))
    order, limit, offset = inputs.get("order") or "id asc", inputs.get("limit", 10), inputs.get("offset", 0)
    spec = _spec(client, model, inputs)
    rows: list[dict[str, Any]] = (
        client.call(
            model,
            "search_read",
            domain=domain,
            fields=_fields(client, model, inputs.get("fields")),
            order=order,
            limit=limit,
            offset=offset,
        )
        if spec is None
        else web_search_read(client, model, domain, spec, order=order, limit=limit, offset=offset)
    )
    shape = _shaped(client, model, inputs)
    return [shape(row) for row in rows]

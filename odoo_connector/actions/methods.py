"""Odoo's business logic: call a public method, run a wizard, post to a record's chatter.

What a user does with buttons (confirm a quotation, create its invoice, validate a delivery) is a
public model method, sometimes behind a wizard (a transient model created with the active
records in its context, then a button method called on it). Three things about Odoo 19 shape
this module:

* **JSON-2 takes arguments by name only** (``signature.bind(records, **kwargs)``); XML-RPC's
  ``execute_kw`` takes them by position too. ``args`` are therefore sent positionally over
  XML-RPC and, over JSON-2, named from the method's signature in Odoo's API documentation
  (``api_doc``, readable only by the group *Technical Documentation*); without it, the call is
  refused before anything runs, with a hint to give them in ``kwargs``.
* **XML-RPC cannot send None back.** A method that returns nothing (``action_archive``, many
  buttons) commits first, then faults with code 1 "cannot marshal None unless allow_none is
  enabled". The change is made; JSON-2 answers ``200 null`` for the same call. That fault is
  therefore the result ``None`` here, never an error and never retried.
* **Nothing here is retried after a timeout**: these methods change data, and only the read-only
  methods listed in :data:`odoo_connector.client.http.READ_ONLY_METHODS` are (a button pressed
  twice could create two invoices).

A method that answers with a window action (``ir.actions.act_window``) tells the web client which
records to open next; :func:`action_records` turns that into ``{"model", "ids"}`` so a flow can
carry on without parsing Odoo's action dictionaries.
"""

from __future__ import annotations

import ast
import html
import re
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from ..client import OdooClient
from ..client.http import READ_ONLY_METHODS
from ..client.json2 import Json2Client
from ..client.mapping import from_json2_error
from ..client.xmlrpc import XmlRpcClient
from ..errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    OdooConnectorError,
    OdooValidationError,
    UnsupportedServerError,
    input_path,
)
from .batch_rows import no_answer, unanswered, unanswered_write
from .external_ids import external_id_problem
from .files import DEFAULT_MAX_BYTES, checked_base64

__all__ = [
    "action_records",
    "call_method",
    "curated_methods",
    "documented_methods",
    "fetch_api_doc",
    "first_line",
    "post_message",
    "run_wizard",
]

_NO_NONE = "cannot marshal None unless allow_none is enabled"
_DOC_GROUP = "Technical Documentation"
# The api_doc answers per (client, model): a model's methods change only when modules are
# installed, and one answer is a few hundred kB.
_DOC_CACHE: weakref.WeakKeyDictionary[OdooClient, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _is_none_fault(client: OdooClient, exc: OdooConnectorError) -> bool:
    """The XML-RPC fault of a method that ran, committed and returned None (see the module doc)."""
    return client.transport == "xmlrpc" and (_NO_NONE in exc.message or _NO_NONE in (exc.detail or ""))


def fetch_api_doc(client: OdooClient, model: str) -> dict[str, Any]:
    """``POST /doc-bearer/<model>.json``: the model's public methods with signature, parameters and
    docstring (Odoo 19's ``api_doc`` module).

    Needs an API key (the route authenticates with a bearer token, so only the JSON-2 connection
    can ask) and the group *Technical Documentation* (``api_doc.group_allow_doc``, which Role /
    Administrator implies); others get AccessDeniedError naming that group. It reads, so a
    timeout is retried like any read.
    """
    cached = _DOC_CACHE.setdefault(client, {})
    if model in cached:
        return cached[model]
    if not isinstance(client, Json2Client):
        raise UnsupportedServerError(
            "Odoo's API documentation (api_doc) is read with an API key: only the odooApiKey "
            "connection can ask for it.",
            hint="Use the API key connection, or give arguments by name in kwargs.",
        )
    response = client.session.request(
        "POST",
        f"/doc-bearer/{model}.json",
        content=b"{}",
        headers={"Content-Type": "application/json"},
        idempotent=True,
    )
    if not response.is_success:
        error = from_json2_error(
            response.status_code,
            response.headers.get("content-type", ""),
            response.text,
            model=model,
            method="api_doc",
            secrets=client.session.secrets,
            database=client.database,
        )
        if isinstance(error, AccessDeniedError) and not error.groups:
            # Odoo words this refusal without its usual group list; name the group ourselves.
            error = AccessDeniedError(
                error.message,
                groups=[_DOC_GROUP],
                odoo_name=error.odoo_name,
                status=error.status,
                detail=error.detail,
            )
        raise error
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("methods"), dict):
        raise UnsupportedServerError(
            f"{client.connection.url} answered /doc-bearer/{model}.json without a method list.",
            hint="Check that Odoo's api_doc module is installed (Odoo 19 or later).",
        )
    cached[model] = doc
    return doc


# --- callMethod -------------------------------------------------------------------------------


def _named_args(client: OdooClient, model: str, method: str, args: Sequence[Any]) -> dict[str, Any]:
    """Positional ``args`` as keyword arguments, named from the method's signature (JSON-2 has no
    positional arguments)."""
    try:
        doc = fetch_api_doc(client, model)
    except (AccessDeniedError, NotFoundError, UnsupportedServerError) as exc:
        raise InputError(
            f"Odoo's JSON-2 API takes arguments by name only, and the connector could not look up "
            f"the parameter names of {model}.{method} ({exc.message}). Nothing was run.",
            hint='Give the arguments by name in kwargs, e.g. {"partner_ids": [7]} (parameter names '
            "are in Odoo's source or its /doc page), or use the Basic Auth connection, which sends "
            "args by position.",
            path="args",
        ) from None
    spec = doc["methods"].get(method)
    if not isinstance(spec, dict):
        raise NotFoundError(
            f"{model} has no public method {method!r} (Odoo's API documentation does not list it).",
            hint="Pick the method from the selectMethod list.",
        )
    names = [
        name
        for name, param in (spec.get("parameters") or {}).items()
        if (param or {}).get("kind", "POSITIONAL_OR_KEYWORD") == "POSITIONAL_OR_KEYWORD"
    ]
    if len(args) > len(names):
        raise InputError(
            f"{model}.{method} takes {len(names)} positional argument{'s' if len(names) != 1 else ''} "
            f"({', '.join(names) or 'none'}), not {len(args)}. Nothing was run.",
            hint=f"Its signature: {spec.get('signature', '()')}. Give the others by name in kwargs.",
            path="args",
        )
    return dict(zip(names, args, strict=False))


def _call(
    client: OdooClient,
    model: str,
    method: str,
    ids: Sequence[int] | None,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    context: Mapping[str, Any] | None,
) -> Any:
    """One method call, the same on both transports; None for XML-RPC's "cannot marshal None"."""
    named = dict(kwargs)
    if args and not isinstance(client, XmlRpcClient):
        positional = _named_args(client, model, method, args)
        clash = sorted(set(positional) & set(named))
        if clash:
            raise InputError(
                f"{', '.join(clash)} given both in args and in kwargs.", path="kwargs", hint="Give it once."
            )
        named.update(positional)
    try:
        if args and isinstance(client, XmlRpcClient):
            # execute_kw is sent as is: merge the connection's defaults as client.call does
            merged = client.effective_context(context)
            if merged:
                named["context"] = merged
            head: list[Any] = [list(ids)] if ids is not None else []
            return client.execute_kw(model, method, [*head, *args], named)
        return client.call(model, method, ids, context=context or None, **named)
    except OdooConnectorError as exc:
        if _is_none_fault(client, exc):
            return None
        if unanswered(exc) and method not in READ_ONLY_METHODS:
            # a button pressed twice could make two invoices: say it may have run, never "retry"
            lost = no_answer(f"{model}.{method}", "the records it changes", done="run")
            raise unanswered_write(exc, f"{exc.message} {lost}") from None
        raise


def _ids_from_domain(domain: Any) -> list[int] | None:
    """``[("id", "in", [1, 2])]`` or ``[("id", "=", 1)]``, as a list or as Python text; anything
    else (other terms, operators, a domain that needs the server to evaluate) gives None."""
    if isinstance(domain, str):
        try:
            domain = ast.literal_eval(domain)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    if not isinstance(domain, list | tuple) or len(domain) != 1:
        return None
    term = domain[0]
    if not isinstance(term, list | tuple) or len(term) != 3 or term[0] != "id":
        return None
    operator, value = term[1], term[2]
    if operator == "=" and isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if (
        operator == "in"
        and isinstance(value, list | tuple)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return list(value)
    return None


def action_records(result: Any) -> dict[str, Any] | None:
    """The records a window action opens: ``{"model", "ids"}``, or None if ``result`` is no window
    action.

    The ids come from ``res_id`` (one record) or an ``id in`` / ``id =`` domain (several). A window
    action that names neither, such as a wizard form Odoo wants to open
    (``stock.backorder.confirmation``), gives ``ids: []``: the flow runs that wizard next with
    runWizard, passing the action's ``context``.
    """
    if not isinstance(result, dict) or result.get("type") != "ir.actions.act_window":
        return None
    model = result.get("res_model")
    if not isinstance(model, str) or not model:
        return None
    res_id = result.get("res_id")
    if isinstance(res_id, int) and not isinstance(res_id, bool) and res_id > 0:
        return {"model": model, "ids": [res_id]}
    return {"model": model, "ids": _ids_from_domain(result.get("domain")) or []}


def _outcome(result: Any) -> dict[str, Any]:
    return {"result": result, "records": action_records(result)}


def call_method(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Runs ``model.method`` on ``recordIds`` (or on the model, for ``@api.model`` methods).

    The schema refuses private names (``_…``) and non-identifiers before anything is sent; Odoo
    would answer 403 "Private methods … cannot be called remotely". Not retried after a timeout.
    ``load`` is checked as the batch actions check it (:func:`_check_load`).
    """
    if inputs["method"] == "load":
        _check_load(client, inputs["model"], inputs.get("args") or [], inputs.get("kwargs") or {})
    result = _call(
        client,
        inputs["model"],
        inputs["method"],
        inputs.get("recordIds"),
        inputs.get("args") or [],
        inputs.get("kwargs") or {},
        None,  # the action's ``context`` input rides with every call (odoo_connector.context)
    )
    return _outcome(result)


def _check_load(client: OdooClient, model: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """callMethod ``load`` writes external IDs as the batch actions do, so it keeps their rule:
    none under an Odoo module's name (:mod:`.external_ids`), refused before anything runs.

    Refused here rather than routed to upsertRecords: callMethod is the door to a method as Odoo
    has it (its arguments, its ``{"ids", "messages"}`` answer), which a flow may rely on; only
    the one thing the batch actions refuse is refused. The IDs ``load`` writes are those of its
    ``id`` column and of an ``id`` under one2many columns (the lines it creates); an ``x/id`` under
    a many2one or many2many names an existing record (``country_id/id`` = ``base.be``) and is
    fine. An ID without a module gets the context's ``module``, ``__import__`` by default, as
    Odoo's ``load`` does."""
    fields = kwargs["fields"] if "fields" in kwargs else (args[0] if args else None)
    data = kwargs["data"] if "data" in kwargs else (args[1] if len(args) > 1 else None)
    at: tuple[str | int, ...] = ("kwargs", "data") if "data" in kwargs else ("args", 1)
    if not isinstance(fields, list) or not isinstance(data, list):
        return  # Odoo refuses what it cannot read, and writes nothing
    columns = [
        i for i, name in enumerate(fields) if isinstance(name, str) and _writes_id(client, model, name)
    ]
    if not columns:
        return
    module = str((client.effective_context() or {}).get("module") or "__import__")
    for number, row in enumerate(data):
        for column in columns:
            cell = row[column] if isinstance(row, list) and column < len(row) else None
            if not isinstance(cell, str) or not cell.strip():
                continue
            external_id = cell.strip() if "." in cell else f"{module}.{cell.strip()}"
            problem = external_id_problem(client, external_id)
            if problem:
                raise InputError(
                    f"Row {number} of load's data, column {fields[column]!r}: {problem} Nothing was run.",
                    path=input_path(*at, number),
                    hint="Use __import__.<name> or your own prefix, or upsertRecords, which checks "
                    "every row's external ID and reports per row.",
                )


def _writes_id(client: OdooClient, model: str, column: str) -> bool:
    """Whether a ``load`` column holds external IDs that ``load`` writes: ``id``, or ``id`` under
    one2many fields only (``child_ids/id``: Odoo updates the record an existing ID names, or
    creates a line under a new one). ``x:id`` is Odoo's other spelling of ``x/id``."""
    path = re.sub(r"([^/]):id", r"\1/id", column).split("/")
    if path[-1] != "id":
        return False
    for name in path[:-1]:
        spec = client.fields_get(model).get(name) or {}
        if spec.get("type") != "one2many" or not spec.get("relation"):
            return False
        model = str(spec["relation"])
    return True


# --- runWizard --------------------------------------------------------------------------------


def run_wizard(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Creates one wizard record with the active records in its context, then presses its button.

    The context both calls carry is the caller's ``context`` (which the runtime already applies
    to every call) with ``active_model``, ``active_ids`` and ``active_id`` (the first id) set
    from the inputs, which win over the same keys in ``context``: wizards read their
    records from there (``sale.advance.payment.inv`` invoices the orders in ``active_ids``). The
    wizard is a transient model: Odoo's vacuum removes it, so nothing is left to clean. Neither
    call is retried after a timeout.
    """
    wizard_model: str = inputs["wizardModel"]
    active_ids: list[int] = list(inputs["activeIds"])
    context = {  # over the action's ``context`` input, which rides with every call
        "active_model": inputs["activeModel"],
        "active_ids": active_ids,
        "active_id": active_ids[0],
    }
    values = dict(inputs.get("parameters") or {})
    created = client.call(wizard_model, "create", vals_list=[values], context=context)
    wizard_id = int(created[0] if isinstance(created, list) else created)
    result = _call(client, wizard_model, inputs["method"], [wizard_id], [], {}, context)
    return _outcome(result)


# --- postMessage ------------------------------------------------------------------------------

_SUBTYPES = {"comment": "mail.mt_comment", "note": "mail.mt_note"}


def _decode(attachment: Mapping[str, Any], index: int) -> str:
    """The attachment's base64 content, checked as uploadAttachment checks it (valid base64, at
    most the default file size limit): Odoo would store garbage as is."""
    where = input_path("attachments", index, "content")
    content, _, _ = checked_base64(attachment["content"], DEFAULT_MAX_BYTES, attachment["name"], path=where)
    return content


def post_message(client: OdooClient, inputs: Mapping[str, Any]) -> int:
    """Posts a message (``comment``: sent to followers and ``partnerIds``) or an internal note
    (``note``: staff only) on any record with a chatter, with optional attachments.

    Odoo's ``message_post`` takes attachments as raw bytes, which JSON cannot carry, so each file
    is first created as an ``ir.attachment`` on the record (base64 ``datas``, what an ordinary
    user may do on a record they may write) and then linked to the message by id. If Odoo then
    refuses the post, those attachments are deleted again; if its answer is lost (a timeout, a
    dropped connection), the message may have been posted with them, so they are left in place
    and the error says to check the chatter before posting again. A plain-text ``body`` is
    escaped by Odoo; ``bodyIsHtml`` posts it as HTML (Odoo sanitizes it). Not retried after a
    timeout.
    """
    model: str = inputs["model"]
    record_id: int = inputs["recordId"]
    kind: str = inputs.get("type", "comment")
    contents = [_decode(a, i) for i, a in enumerate(inputs.get("attachments") or [])]
    attachment_ids: list[int] = []
    if contents:
        values = [
            {
                "name": attachment["name"],
                "datas": content,
                "res_model": model,
                "res_id": record_id,
                **({"mimetype": attachment["mimetype"]} if attachment.get("mimetype") else {}),
            }
            for attachment, content in zip(inputs["attachments"], contents, strict=True)
        ]
        created = client.call("ir.attachment", "create", vals_list=values)
        attachment_ids = [int(i) for i in (created if isinstance(created, list) else [created])]
    kwargs: dict[str, Any] = {
        "body": inputs["body"],
        "message_type": "comment",
        "subtype_xmlid": _SUBTYPES[kind],
        "body_is_html": bool(inputs.get("bodyIsHtml", False)),
    }
    if inputs.get("partnerIds"):
        kwargs["partner_ids"] = list(inputs["partnerIds"])
    if attachment_ids:
        kwargs["attachment_ids"] = attachment_ids
    try:
        result = client.call(model, "message_post", [record_id], **kwargs)
    except OdooConnectorError as exc:
        if unanswered(exc):
            # Odoo may have posted it, attachments and all: deleting them would strip a posted
            # message, and posting again would post it twice
            lost = no_answer(
                f"The message on {model} record {record_id}", "the record's chatter", done="posted"
            )
            kept = (
                f" The attachments made for it (ir.attachment {attachment_ids}) were left in place: "
                "if the message is not there, they are on the record without it."
                if attachment_ids
                else ""
            )
            raise unanswered_write(exc, f"{exc.message} {lost}{kept}") from None
        if attachment_ids:
            try:
                client.call("ir.attachment", "unlink", attachment_ids)
            except OdooConnectorError as cleanup:
                raise type(exc)(
                    f"{exc.message} The attachments created for the message (ir.attachment "
                    f"{attachment_ids}) could not be removed again ({cleanup.message}).",
                    hint=exc.hint,
                    detail=exc.detail,
                    odoo_name=exc.odoo_name,
                    status=exc.status,
                ) from None
        if isinstance(exc, NotFoundError) and "message_post" in exc.message:
            raise OdooValidationError(
                f"{model} has no chatter: it does not inherit mail.thread, so messages cannot be "
                "posted on its records.",
                odoo_name=exc.odoo_name,
                status=exc.status,
                hint="Post on a model with a chatter, such as res.partner, sale.order or crm.lead.",
            ) from None
        if isinstance(exc, NotFoundError) and f"{model}({record_id},)" in exc.message:
            raise NotFoundError(
                f"No {model} record with id {record_id} (it does not exist or was deleted). "
                f"Odoo said: {exc.message}",
                odoo_name=exc.odoo_name,
                status=exc.status,
                hint="Check the record id, e.g. with the selectRecordById picklist.",
            ) from None
        raise
    # JSON-2 turns the returned mail.message into its ids ([42]); XML-RPC gives the id.
    message = result[0] if isinstance(result, list) else result
    return int(message)


# --- selectMethod (the fallback list) -----------------------------------------------------------

# For users without the group Technical Documentation (api_doc refuses them): public methods that
# exist on every model, on models with a given field, and common buttons of well-known models,
# taken from Odoo 19's source and checked against api_doc as an administrator in
# tests/test_methods.py. (method, description)
_EVERY_MODEL: tuple[tuple[str, str], ...] = (
    ("copy", "Duplicate the records; returns the new ids."),
    ("default_get", "Default values for the given fields (model method)."),
    ("formatted_read_group", "Totals per group (model method; see also aggregateRecords)."),
    ("name_create", "Create a record from its name only (model method)."),
    ("name_search", "Records whose name matches, as [id, name] pairs (model method)."),
    ("read", "Read field values of the records."),
    ("search_count", "Count the records matching a domain (model method)."),
    ("search_read", "Search and read in one call (model method)."),
    ("unlink", "Delete the records."),
    ("web_read", "Read the records with related records' fields and lines (see getRecordById)."),
    ("web_search_read", "Search and read with related fields and lines (model method; see listRecords)."),
    ("write", "Write field values on the records."),
)
_BY_FIELD: dict[str, tuple[tuple[str, str], ...]] = {
    "active": (
        ("action_archive", "Archive the records (set active to false)."),
        ("action_unarchive", "Restore archived records (set active to true)."),
    ),
    "message_ids": (
        ("message_post", "Post a message or note in the chatter (see also postMessage)."),
        ("message_subscribe", "Add partners as followers."),
        ("message_unsubscribe", "Remove partners from the followers."),
    ),
    "activity_ids": (("activity_schedule", "Schedule an activity on the records."),),
}
_BY_MODEL: dict[str, tuple[tuple[str, str], ...]] = {
    "sale.order": (
        ("action_cancel", "Cancel the order."),
        ("action_confirm", "Confirm the quotation: it becomes a sales order."),
        ("action_draft", "Set a cancelled or sent quotation back to draft."),
        ("action_lock", "Lock the confirmed order."),
        ("action_quotation_sent", "Mark the quotation as sent."),
        ("action_unlock", "Unlock the order."),
        ("action_view_invoice", "The order's invoices, as a window action."),
    ),
    "stock.picking": (
        ("action_assign", "Check availability: reserve the products."),
        ("action_cancel", "Cancel the transfer."),
        ("action_confirm", "Mark the draft transfer as to do."),
        ("button_validate", "Validate the transfer; may answer with a backorder wizard."),
        ("do_unreserve", "Unreserve the products."),
    ),
    "account.move": (
        ("action_post", "Confirm (post) the invoice or entry."),
        ("action_reverse", "Open the credit note (reversal) wizard."),
        ("button_cancel", "Cancel the draft entry."),
        ("button_draft", "Reset the entry to draft."),
    ),
    "crm.lead": (
        ("action_set_lost", "Mark the opportunities as lost."),
        ("action_set_won", "Mark the opportunities as won."),
    ),
}


def curated_methods(client: OdooClient, model: str) -> list[dict[str, str]]:
    """Common public methods of ``model`` without api_doc: those of every model, those that come
    with a field the model has (``active``, ``message_ids``, ``activity_ids``), and the usual
    buttons of well-known models. ``fields_get`` (cached per connection) shows which fields exist,
    and fails with Odoo's own error for a model that does not exist or that the user may not
    read."""
    fields = client.fields_get(model)
    found = dict(_EVERY_MODEL)
    for field, methods in _BY_FIELD.items():
        if field in fields:
            found.update(methods)
    found.update(_BY_MODEL.get(model, ()))
    return [{"key": name, "label": name, "description": found[name]} for name in sorted(found)]


_TAG = re.compile(r"<[^>]+>")


def first_line(doc_html: Any) -> str:
    """The first sentence-line of an api_doc docstring (HTML from docutils) as plain text."""
    if not isinstance(doc_html, str):
        return ""
    for paragraph in re.split(r"</p>|<br\s*/?>|\n\s*\n", doc_html):
        text = " ".join(html.unescape(_TAG.sub(" ", paragraph)).split())
        if text:
            return text
    return ""


def documented_methods(doc: Mapping[str, Any]) -> list[dict[str, str]]:
    """api_doc's methods as picklist options; ``@api.model`` methods say so (no recordIds)."""
    options = []
    for name in sorted(doc["methods"]):
        spec = doc["methods"][name] if isinstance(doc["methods"][name], dict) else {}
        description = first_line(spec.get("doc"))
        if "model" in (spec.get("api") or []):
            description = f"{description} (model method: no recordIds)".strip()
        options.append({"key": name, "label": name, "description": description})
    return options

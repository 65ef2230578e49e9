"""Picklists a platform form fills inputs from: selectModel (→ ``model``) and selectRecordById
(→ ``recordId``); and modelForm, the form of a model's fields for ``parameters``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from .actions.models import fetch_models
from .client import OdooClient
from .errors import OdooConnectorError
from .runtime import Envelope

__all__ = ["model_form", "select_company", "select_language", "select_model", "select_record_by_id"]


def select_model(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    models = fetch_models(client, inputs.get("modelSearch"), inputs.get("nameSearch"), with_ids=False)
    options = [{"key": m["model"], "label": f"{m['name']} ({m['model']})"} for m in models]
    return sorted(options, key=lambda o: o["label"].casefold())


def select_record_by_id(client: OdooClient, inputs: Mapping[str, Any]) -> Envelope:
    """The first ``limit`` records by Odoo's own ordering of ``name_search``, narrowed on the
    server by ``search``. A form must never load a whole table, so one more record than asked is
    fetched to tell whether the list was cut, and the envelope says so with ``truncated``."""
    limit: int = inputs.get("limit", 100)
    rows = client.call(inputs["model"], "name_search", name=inputs.get("search", ""), limit=limit + 1)
    options = [{"key": str(row[0]), "label": row[1] if row[1] else f"#{row[0]}"} for row in rows[:limit]]
    return Envelope(options, truncated=len(rows) > limit)


def select_method(client: OdooClient, inputs: Mapping[str, Any]) -> Envelope:
    """Public methods of ``model`` for callMethod's ``method`` input, never a bare 403 in a form.

    Odoo's API documentation (``api_doc``) lists every public method with its docstring, but only
    to the group Technical Documentation and only with an API key. Where it answers, the options
    come from it (``source: "api_doc"``); where it refuses (an ordinary user, the Basic Auth
    connection, api_doc not installed), a curated list of common methods the model has is given
    instead (``source: "curated"``) and ``reason`` says why. Bounded by ``limit`` like every
    picklist, with ``truncated`` when more matched.
    """
    from .actions.methods import curated_methods, documented_methods, fetch_api_doc
    from .errors import AccessDeniedError, NotFoundError, UnsupportedServerError

    model: str = inputs["model"]
    search = inputs.get("search", "").strip().casefold()
    limit: int = inputs.get("limit", 200)
    extra: dict[str, Any] = {}
    try:
        options = documented_methods(fetch_api_doc(client, model))
        extra["source"] = "api_doc"
    except (AccessDeniedError, NotFoundError, UnsupportedServerError) as exc:
        options = curated_methods(client, model)
        extra["source"] = "curated"
        extra["reason"] = exc.message
    if search:
        options = [o for o in options if search in f"{o['key']} {o['description']}".casefold()]
    return Envelope(options[:limit], truncated=len(options) > limit, **extra)


def select_company(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The companies this user may work in, for a ``companyId``: read from the user's allowed
    companies, not searched, so a connection's default company does not hide the others."""
    return [{"key": str(c["id"]), "label": c["name"]} for c in client.user_companies()]


def select_language(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The active languages (``res.lang.get_installed``), for a ``language``: a language that is
    not active is ignored by Odoo, so only these are offered."""
    rows = client.call("res.lang", "get_installed")
    return [{"key": str(code), "label": str(name)} for code, name in rows]


# Fields a form never shows: bookkeeping and the chatter's, which Odoo fills itself.
_TECHNICAL_FIELDS = frozenset(
    {
        "__last_update",
        "id",
        "display_name",
        "create_uid",
        "create_date",
        "write_uid",
        "write_date",
        "website_message_ids",
    }
)
_TECHNICAL_PREFIXES = ("activity_", "message_", "rating_")
_ALWAYS = ("1", "True", "true")  # invisible="1": a field the form never shows
# Types a form cannot fill from a JSON value: files, and the free-form json/properties fields.
_UNFILLABLE_TYPES = frozenset({"binary", "json", "properties", "properties_definition"})
_JSON_TYPES = {
    "boolean": "boolean",
    "integer": "integer",
    "many2one_reference": "integer",
    "float": "number",
    "monetary": "number",
}
_FORM_ATTRIBUTES = [
    "string",
    "help",
    "type",
    "required",
    "readonly",
    "selection",
    "relation",
    "size",
    "store",
]


def model_form(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The model's own form for createRecord's and updateRecord's ``parameters``: a JSON Schema
    and a JSON Forms UI schema (``{"schema", "uischema"}``), built from the fields as this user
    sees them, in the order of the model's form view.

    Only what a person can write is shown: readonly, computed non-stored, binary and technical
    fields (chatter, activities, create/write stamps) are left out. Writable fields the form view
    does not show (or hides) come last, in an "Advanced" group. Odoo's ``required`` alone would
    demand fields it fills itself (a lead's ``type``, an order's ``name`` "New"), so for
    ``create`` a field is required only when ``default_get`` gives it no default; for ``update``
    nothing is.

    Two requests cold, none warm. ``get_views`` for the form *and* the search view answers the
    form's layout and, because the search view loads every field, the attributes of all fields
    (a fields_get in the same answer); then ``default_get``. The fields also fill the client's
    fields_get cache, so a createRecord after the form asks nothing more. The form is kept on the
    client per model, purpose and context (labels follow the language).
    """
    model: str = inputs["model"]
    purpose: str = inputs.get("purpose", "create")
    cache: dict[tuple[str, str, str], dict[str, Any]] = client.__dict__.setdefault("_model_forms", {})
    key = (model, purpose, json.dumps(client.effective_context(), sort_keys=True, default=str))
    if key not in cache:
        cache[key] = _build_model_form(client, model, purpose)
    return cache[key]


def _fields_and_layout(client: OdooClient, model: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """All fields with their attributes, and the names the form view shows, in its order."""
    try:
        views = client.call(model, "get_views", views=[[False, "form"], [False, "search"]])
        fields: dict[str, dict[str, Any]] = views["models"][model]["fields"]
        shown = _form_fields(views["views"]["form"]["arch"])
    except (OdooConnectorError, KeyError, TypeError, ElementTree.ParseError):
        # no readable view (or an answer of another shape): field order, from fields_get
        return client.call(model, "fields_get", attributes=_FORM_ATTRIBUTES), []
    client.remember_fields(model, fields)
    return fields, shown


def _form_fields(arch: str) -> list[str]:
    """Field names of a form view's arch in document order: not those of an embedded list or
    form (an x2many's own view), nor those always hidden (``invisible="1"``)."""
    names: list[str] = []

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            if child.get("invisible") in _ALWAYS:
                continue
            if child.tag == "field":
                if child.get("name") and child.get("name") not in names:
                    names.append(str(child.get("name")))
            else:
                walk(child)

    # the arch comes from the authenticated Odoo server, and expat (2.4+) refuses entity bombs
    walk(ElementTree.fromstring(arch))  # noqa: S314
    return names


def _build_model_form(client: OdooClient, model: str, purpose: str) -> dict[str, Any]:
    fields, shown = _fields_and_layout(client, model)
    properties = {
        name: _field_schema(spec)
        for name, spec in fields.items()
        if name not in _TECHNICAL_FIELDS
        and not name.startswith(_TECHNICAL_PREFIXES)
        and not spec.get("readonly")
        and spec.get("store", True)
        and spec.get("type") not in _UNFILLABLE_TYPES
    }
    required: list[str] = []
    if purpose == "create":
        # a required one2many is met by lines Odoo makes itself (a product's variants)
        candidates = [
            name
            for name in properties
            if fields[name].get("required") and fields[name].get("type") != "one2many"
        ]
        defaults = client.call(model, "default_get", fields=candidates) if candidates else {}
        required = [name for name in candidates if name not in defaults]
    schema: dict[str, Any] = {
        "type": "object",
        "title": model,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    main = [name for name in shown if name in properties]
    main += [name for name in required if name not in main]
    if not shown:  # no form view to follow: the required fields first, then field order
        main = required + [name for name in properties if name not in required]
    advanced = [name for name in properties if name not in main]
    elements: list[dict[str, Any]] = [_control(name) for name in main]
    if advanced:
        elements.append({"type": "Group", "label": "Advanced", "elements": [_control(n) for n in advanced]})
    return {"schema": schema, "uischema": {"type": "VerticalLayout", "elements": elements}}


def _control(name: str) -> dict[str, Any]:
    return {"type": "Control", "scope": f"#/properties/{name}"}


def _field_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """One field as a JSON Schema property a form renderer can draw."""
    kind = spec.get("type")
    prop: dict[str, Any] = {"title": spec.get("string") or ""}
    if spec.get("help"):
        prop["description"] = spec["help"]
    relation = spec.get("relation")
    if kind == "many2one":
        prop.update(_record_id(relation))
    elif kind in ("one2many", "many2many"):
        prop.update({"type": "array", "items": _record_id(relation), "x-relation": relation})
    elif kind == "selection":
        options = spec.get("selection") or []
        numeric = bool(options) and all(isinstance(v, int) and not isinstance(v, bool) for v, _ in options)
        prop["type"] = "integer" if numeric else "string"
        prop["oneOf"] = [{"const": value, "title": str(label)} for value, label in options]
    elif kind in _JSON_TYPES:
        prop["type"] = _JSON_TYPES[kind]
    else:
        prop["type"] = "string"
        if kind == "date":
            prop["format"] = "date"
        elif kind == "datetime":
            prop["format"] = "date-time"
        elif kind == "char" and spec.get("size"):
            prop["maxLength"] = spec["size"]
    return prop


def _record_id(relation: Any) -> dict[str, Any]:
    """A related record's id, picked from ``selectRecordById`` of the related model."""
    return {
        "type": "integer",
        "x-dataSource": "selectRecordById",
        "x-relation": relation,
        "x-dataSourceInputs": {"model": relation},
    }

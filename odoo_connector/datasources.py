"""Picklists a platform form fills inputs from: selectModel (→ ``model``) and selectRecordById
(→ ``recordId``); and modelForm, the form of a model's fields for ``parameters``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from xml.etree import ElementTree

from .actions.models import fetch_models
from .client import OdooClient
from .errors import OdooConnectorError
from .form_view import FormField, evaluate, form_fields, names_in
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
# The technical relations of Discuss, RTC, the calendar, the chatter (followers, activities,
# messages, ratings) and website tracking: Odoo's own flows fill them, its form view does not show
# them, and an integration writing them would do it through the chatter's methods. They are
# dropped from the form, not put under "Advanced" (docs/workbench.md says so).
_TECHNICAL_PREFIXES = (
    "activity_",
    "message_",
    "rating_",
    "calendar_",
    "rtc_",
    "channel_",
    "starred_",
    "im_status",
    "visitor_",
    "website_track",
)
_TECHNICAL_RELATIONS = (
    "mail.",
    "discuss.",
    "bus.",
    "calendar.",
    "rating.",
    "website.visitor",
    "website.track",
)
_TECHNICAL_NAMES = frozenset({"meeting_ids", "meeting_count", "user_livechat_username"})
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
    "relation_field",
    "size",
    "store",
]


def model_form(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The model's own form for createRecord's and updateRecord's ``parameters``: a JSON Schema
    and a JSON Forms UI schema (``{"schema", "uischema"}``), built from the fields as this user
    sees them, in the order of the model's form view.

    Only what a person can write is shown: readonly, computed non-stored, binary and technical
    fields (chatter, activities, Discuss, calendar, create/write stamps) are left out. The form
    view's modifiers (Python-like expressions in Odoo 19) are evaluated (:mod:`.form_view`) with
    the new record's defaults (``create``): a field the view hides or shows read-only goes to the
    "Advanced" group with the writable fields the view does not show; a field the view requires
    is required unless its default fills it (res.partner's Name for a contact). Odoo's own
    ``required`` alone would demand fields it fills itself (a lead's ``type``, an order's
    ``name`` "New"), so a field is required only when ``default_get`` gives it no default; for
    ``update`` nothing is (a write names only what changes). Expressions that cannot be evaluated
    are left out and listed in the schema's ``x-modifiersLeftOut``.

    A many2many is a list of record ids, each picked by name (``items`` with ``x-dataSource``);
    a one2many shown with an embedded view is a list of line objects drawn from that view (its
    UI schema in the control's ``options.detail``), the objects createRecord turns into lines.

    Two requests cold, none warm. ``get_views`` for the form *and* the search view answers the
    form's layout and, because the search view loads every field, the attributes of all fields
    (a fields_get in the same answer, with the lines' fields); then ``default_get``. The fields
    also fill the client's fields_get cache, so a createRecord after the form asks nothing more.
    The form is kept on the client per model, purpose and context (labels follow the language).
    """
    model: str = inputs["model"]
    purpose: str = inputs.get("purpose", "create")
    cache: dict[tuple[str, str, str], dict[str, Any]] = client.__dict__.setdefault("_model_forms", {})
    key = (model, purpose, json.dumps(client.effective_context(), sort_keys=True, default=str))
    if key not in cache:
        cache[key] = _build_model_form(client, model, purpose)
    return cache[key]


_Fields = dict[str, dict[str, Any]]


def _views(client: OdooClient, model: str) -> tuple[_Fields, list[FormField], dict[str, _Fields]]:
    """All fields with their attributes, the form view's fields in its order, and the fields of
    every model the view loads (an order's lines; a company's contacts are partners too), by model."""
    try:
        views = client.call(model, "get_views", views=[[False, "form"], [False, "search"]])
        fields: dict[str, dict[str, Any]] = views["models"][model]["fields"]
        shown = form_fields(views["views"]["form"]["arch"])
        others = {name: spec["fields"] for name, spec in views["models"].items()}
    except (OdooConnectorError, KeyError, TypeError, ElementTree.ParseError):
        # no readable view (or an answer of another shape): field order, from fields_get
        return client.call(model, "fields_get", attributes=_FORM_ATTRIBUTES), [], {}
    client.remember_fields(model, fields)
    return fields, shown, others


def _writable(name: str, spec: Mapping[str, Any]) -> bool:
    relation = str(spec.get("relation") or "")
    return (
        name not in _TECHNICAL_FIELDS
        and name not in _TECHNICAL_NAMES
        and not name.startswith(_TECHNICAL_PREFIXES)
        and not relation.startswith(_TECHNICAL_RELATIONS)
        and not spec.get("readonly")
        and spec.get("store", True)
        and spec.get("type") not in _UNFILLABLE_TYPES
    )


class _Modifiers:
    """Evaluates a view's modifiers against one record's values, and lists those it cannot."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.left_out: list[dict[str, str]] = []

    def holds(self, item: FormField, attribute: str) -> bool:
        """Whether the modifier holds; one the module cannot evaluate counts as absent."""
        expressions = item.invisible if attribute == "invisible" else [getattr(item, attribute)]
        for expression in expressions:
            if not expression:
                continue
            truth = evaluate(expression, self.values)
            if truth is None:
                self.left_out.append({"field": item.name, "attribute": attribute, "expression": expression})
            elif truth:
                return True
        return False


def _known_values(fields: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """What a new record holds before anyone types: its defaults, ``False`` for a stored writable
    field without one (as Odoo's blank record). A computed field's value is not known (Odoo's
    onchange would compute it), so an expression reading it is not evaluated."""
    values: dict[str, Any] = {"id": False}
    for name, spec in fields.items():
        if name in defaults:
            value = defaults[name]
            values[name] = value[0] if isinstance(value, list) and spec.get("type") == "many2one" else value
        elif spec.get("store", True) and not spec.get("readonly"):
            values[name] = [] if spec.get("type") in ("one2many", "many2many") else False
    return values


def _build_model_form(client: OdooClient, model: str, purpose: str) -> dict[str, Any]:
    fields, shown, others = _views(client, model)
    properties = {name: _field_schema(spec) for name, spec in fields.items() if _writable(name, spec)}
    expressions = [e for item in shown for e in (*item.invisible, item.required, item.readonly) if e]
    referenced = {name for expression in expressions for name in names_in(expression)}
    fs_required = [
        name for name in properties if fields[name].get("required") and fields[name].get("type") != "one2many"
    ]
    asked = sorted({*fs_required, *(referenced & set(fields))}) if purpose == "create" else []
    defaults = client.call(model, "default_get", fields=asked) if asked else {}
    modifiers = _Modifiers(_known_values(fields, defaults) if purpose == "create" else {"id": False})
    main: list[str] = []
    required: list[str] = []
    for item in shown:  # a field shown twice (a company's name, a person's) counts where visible
        if item.name not in properties or item.name in main:
            continue
        if modifiers.holds(item, "invisible") or modifiers.holds(item, "readonly"):
            continue
        main.append(item.name)
        if purpose == "create" and modifiers.holds(item, "required") and not defaults.get(item.name):
            required.append(item.name)
        if fields[item.name].get("type") == "one2many":
            lines = _lines_form(item, fields[item.name], others, modifiers)
            if lines is None:
                main.remove(item.name)
            else:
                properties[item.name]["items"] = lines
                properties[item.name]["x-lineForm"] = True
    if purpose == "create":
        # a required one2many is met by lines Odoo makes itself (a product's variants)
        required += [name for name in fs_required if name not in defaults and name not in required]
    # a one2many the view does not draw with its lines has no line form: ids of other records'
    # lines are not what a person means, so it is left out
    for name in [n for n, prop in properties.items() if fields[n].get("type") == "one2many"]:
        if "x-lineForm" not in properties[name]:
            del properties[name]
    main = [name for name in main if name in properties]
    main += [name for name in required if name not in main]
    if not shown:  # no form view to follow: the required fields first, then field order
        main = required + [name for name in properties if name not in required]
    schema: dict[str, Any] = {
        "type": "object",
        "title": model,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    with_lines = [n for n, prop in properties.items() if "x-lineForm" in prop]
    line_fields = {f"{n}.{line}" for n in with_lines for line in properties[n]["items"]["properties"]}
    left_out = [m for m in modifiers.left_out if m["field"] in properties or m["field"] in line_fields]
    if left_out:
        schema["x-modifiersLeftOut"] = left_out
    advanced = [name for name in properties if name not in main]
    elements: list[dict[str, Any]] = [_control(name, properties[name]) for name in main]
    if advanced:
        elements.append(
            {"type": "Group", "label": "Advanced", "elements": [_control(n, properties[n]) for n in advanced]}
        )
    return {"schema": schema, "uischema": {"type": "VerticalLayout", "elements": elements}}


def _lines_form(
    item: FormField, spec: Mapping[str, Any], others: Mapping[str, _Fields], parent: _Modifiers
) -> dict[str, Any] | None:
    """A one2many's line as an object schema and its UI schema, from the view the form embeds
    for it (its ``form``, else its ``list``) and the line model's fields that view loaded. The
    line's modifiers are evaluated for an empty line (no request more); the link back to the
    parent (``relation_field``) is Odoo's to fill; ``parent.field`` reads the record's values."""
    line_fields = others.get(str(spec.get("relation")))
    if item.subview is None or not line_fields:
        return None
    inverse = spec.get("relation_field")
    modifiers = _Modifiers({**_known_values(line_fields, {}), "parent": parent.values})
    modifiers.left_out = parent.left_out  # one list for the form and its lines
    properties: dict[str, Any] = {}
    required: list[str] = []
    for line in form_fields(item.subview):
        line_spec = line_fields.get(line.name)
        if line_spec is None or line.name in (inverse, *properties) or not _writable(line.name, line_spec):
            continue
        if line_spec.get("type") == "one2many":  # lines of lines: not drawn
            continue
        named = replace(line, name=f"{item.name}.{line.name}")  # as x-modifiersLeftOut names it
        if modifiers.holds(named, "invisible") or modifiers.holds(named, "readonly"):
            continue
        properties[line.name] = _field_schema(line_spec)
        if modifiers.holds(named, "required"):
            required.append(line.name)
    if not properties:
        return None
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _control(name: str, prop: Mapping[str, Any] | None = None) -> dict[str, Any]:
    control: dict[str, Any] = {"type": "Control", "scope": f"#/properties/{name}"}
    if prop is not None and prop.get("x-lineForm"):
        items = prop["items"]
        control["options"] = {
            "detail": {
                "type": "VerticalLayout",
                "elements": [_control(n) for n in items["properties"]],
            }
        }
    return control


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
        # many2many: ids picked by name; a one2many's items become its line form (_lines_form)
        prop.update(
            {"type": "array", "items": _record_id(relation), "uniqueItems": True, "x-relation": relation}
        )
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

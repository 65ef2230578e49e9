"""Picklists a platform form fills inputs from: selectModel (→ ``model``) and selectRecordById
(→ ``recordId``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .actions.models import fetch_models
from .client import OdooClient
from .runtime import Envelope

__all__ = ["select_company", "select_language", "select_model", "select_record_by_id"]


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

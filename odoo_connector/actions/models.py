"""Model actions: listModels and listModelFields (and the helper the selectModel picklist shares)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..client import OdooClient
from ..errors import AccessDeniedError

__all__ = ["fetch_models", "list_model_fields", "list_models"]


def fetch_models(
    client: OdooClient,
    model_search: str | None = None,
    name_search: str | None = None,
    *,
    with_ids: bool = True,
) -> list[dict[str, Any]]:
    """``[{id, name, model}]`` sorted by model, filtered by case-insensitive "contains".

    ``ir.model`` is readable only by the Access Rights group. For everyone else Odoo offers
    ``ir.model.get_available_models`` (the models the user may read), which carries no ids: there
    ``id`` is null, and the refused ``ir.model`` read made it two requests. Filtering happens here
    so both paths behave alike. ``with_ids=False`` (the picklist) asks the second way only.
    """
    if not with_ids:  # a picklist needs no ids: one call that works for everyone
        return _filtered(_available(client), model_search, name_search)
    try:
        rows = client.call(
            "ir.model",
            "search_read",
            domain=[["transient", "=", False]],
            fields=["name", "model"],
            order="model asc",
        )
        models = [{"id": r["id"], "name": r["name"], "model": r["model"]} for r in rows]
    except AccessDeniedError:
        models = _available(client)
    return _filtered(models, model_search, name_search)


def _available(client: OdooClient) -> list[dict[str, Any]]:
    available = client.call("ir.model", "get_available_models")
    return [{"id": None, "name": r["display_name"], "model": r["model"]} for r in available]


def _filtered(
    models: list[dict[str, Any]], model_search: str | None, name_search: str | None
) -> list[dict[str, Any]]:
    wanted_model = (model_search or "").casefold()
    wanted_name = (name_search or "").casefold()
    return sorted(
        (
            m
            for m in models
            if wanted_model in m["model"].casefold() and wanted_name in (m["name"] or "").casefold()
        ),
        key=lambda m: m["model"],
    )


def list_models(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    models = fetch_models(client, inputs.get("modelSearch"), inputs.get("nameSearch"))
    offset = inputs.get("offset", 0)
    if inputs.get("fetchAll"):
        return models[offset:]
    return models[offset : offset + inputs.get("limit", 10)]


def list_model_fields(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    fields = client.fields_get(inputs["model"])
    return [
        {
            "name": name,
            "label": spec.get("string"),
            "type": spec.get("type"),
            "required": bool(spec.get("required", False)),
            "readonly": bool(spec.get("readonly", False)),
            "relation": spec.get("relation") or None,
            "selection": spec.get("selection") if spec.get("type") == "selection" else None,
            "help": spec.get("help") or None,
        }
        for name, spec in sorted(fields.items())
    ]

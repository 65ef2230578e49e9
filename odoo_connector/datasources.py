"""Picklists a platform form fills inputs from: selectModel (→ ``model``) and selectRecordById
(→ ``recordId``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .actions.models import fetch_models
from .client import OdooClient
from .runtime import Envelope

__all__ = ["select_model", "select_record_by_id"]


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

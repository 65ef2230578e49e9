"""The n8n workflows of tests/test_n8n.py against the real Odoo, on both connections (``pytest -m
live`` with the ODOO_* variables; skipped otherwise): a workflow written from describe lists
countries; the poll trigger on crm.lead upserts a contact by email with a model and a country
picked through n8n's editor API, emits nothing on its second run, and only the new lead on its
third. Leads and contacts are named after the run's prefix and deleted afterwards."""

from __future__ import annotations

import contextlib
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.errors import OdooConnectorError
from tests.n8n_host import install, node_output
from tests.test_n8n import check_poll_to_upsert, host, start_to_list_records

pytestmark = pytest.mark.live


def test_n8n_runs_the_workflows_against_a_real_odoo(
    conn: dict[str, Any], prefix: str, tmp_path: Path
) -> None:
    kind = conn["type"]
    email_prefix = f"{prefix}-n8n"

    def partners(email: str) -> list[dict[str, Any]]:
        found = invoke(
            "listRecords",
            conn,
            {"model": "res.partner", "domain": [["email", "=", email]], "fields": ["name", "country_id"]},
        )
        return list(found["data"])

    with ExitStack() as stack:
        stack.callback(clean_up, conn, email_prefix)
        n8n_host = host(stack, tmp_path, install(), {kind: conn})
        flow = start_to_list_records("listLive", kind)
        n8n_host.n8n.import_workflow(flow)
        [rows] = node_output(n8n_host.n8n.execute(flow["id"])["data"], "List countries")
        assert [(row["name"], row["code"]) for row in rows] == [("Belarus", "BY"), ("Belgium", "BE")]
        check_poll_to_upsert(
            n8n_host, kind, {"crm.lead": "Lead", "res.partner": "Contact"}, email_prefix, partners
        )


def clean_up(conn: dict[str, Any], prefix: str) -> None:
    """This run's leads and contacts (their names and emails start with the prefix)."""
    for model, field in (("crm.lead", "name"), ("res.partner", "email")):
        found = invoke(
            "listRecords",
            conn,
            {"model": model, "domain": [[field, "=like", f"{prefix}%"]], "fields": ["id"]},
        )
        for row in found["data"]:
            with contextlib.suppress(OdooConnectorError):  # a right the user lacks: left, named by the prefix
                invoke("deleteRecordById", conn, {"model": model, "recordId": row["id"]})

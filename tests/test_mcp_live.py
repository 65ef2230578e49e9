"""The MCP server against the real Odoo on both connections (``pytest -m live`` with the ODOO_*
variables; skipped otherwise): the SDK's client starts ``odoo-connector mcp`` over stdio as an
ordinary user, creates a contact with its country by name, reads and updates it, completes a
record picklist and follows the trigger's cursor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.test_mcp import envelope, error_of, stdio_session

pytestmark = pytest.mark.live


def test_an_agent_creates_reads_updates_and_polls_as_an_ordinary_user(
    conn: dict[str, Any], prefix: str, cleanup: list[tuple[str, int]], tmp_path: Path
) -> None:
    connection = tmp_path / "connection.json"
    connection.write_text(json.dumps(conn))
    name = f"{prefix}-mcp"

    async def scenario() -> None:
        async with stdio_session(connection) as session:
            baseline = envelope(
                await session.call_tool("pollChangesTrigger", {"model": "res.partner", "fields": ["name"]})
            )
            record_id = envelope(
                await session.call_tool(
                    "createRecord",
                    {"model": "res.partner", "parameters": {"name": name, "country_id": "Belgium"}},
                )
            )["data"]
            cleanup.append(("res.partner", record_id))
            read = envelope(
                await session.call_tool(
                    "getRecordById",
                    {"model": "res.partner", "recordId": record_id, "fields": ["name", "country_id"]},
                )
            )["data"]
            assert read["name"] == name and read["country_id"][1] == "Belgium"
            envelope(
                await session.call_tool(
                    "updateRecord",
                    {"model": "res.partner", "recordId": record_id, "parameters": {"name": f"{name}-2"}},
                )
            )
            completion = await session.complete(
                __import__("mcp_types").PromptReference(type="ref/prompt", name="getRecordById"),
                {"name": "recordId", "value": "Belgi"},
                context_arguments={"model": "res.country"},
            )
            assert completion.completion.values, "no country offered for 'Belgi'"
            changed = envelope(
                await session.call_tool(
                    "pollChangesTrigger",
                    {"model": "res.partner", "fields": ["name"], "state": baseline["state"]},
                )
            )
            seen = {r["id"]: r["name"] for r in changed["data"]["created"] + changed["data"]["updated"]}
            assert seen.get(record_id) == f"{name}-2"
            bad = error_of(await session.call_tool("getRecordById", {"model": "res.partner", "recordId": 0}))
            assert bad["type"] == "InputError"

    anyio.run(scenario)

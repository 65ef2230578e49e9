"""`odoo-connector mcp` driven by the MCP SDK's own client, as a subprocess, against the fake Odoo
on a loopback port: over stdio, as a desktop agent starts it, and over streamable HTTP with its
bearer token. The tools, schemas and hints must be the manifest's; every call goes through the
connector's validation and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2  # the SDK's HTTP client
import mcp_types as types
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from odoo_connector.cli import main
from odoo_connector.manifest import load_manifest
from tests.fakes.odoo import API_KEY, DATABASE, FakeOdoo
from tests.fakes.server import serve_transport

ROOT = Path(__file__).parent.parent
WRITES = {u.key for u in load_manifest().units() if not u.read_only}


def fake_odoo() -> FakeOdoo:
    odoo = FakeOdoo(models={"res.partner": {"email": "char"}, "res.country": {"code": "char"}})
    odoo.add_model("ir.model", {"model": "char"})  # for the model picklist
    odoo.relate("res.partner", "country_id", "res.country")
    odoo.create("res.country", name="Belgium", code="BE")
    odoo.create("res.country", name="Belarus", code="BY")
    return odoo


@pytest.fixture
def odoo() -> FakeOdoo:
    return fake_odoo()


@pytest.fixture
def connection(odoo: FakeOdoo, tmp_path: Path) -> Iterator[Path]:
    with serve_transport(odoo) as url:
        path = tmp_path / "connection.json"
        path.write_text(
            json.dumps({"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY})
        )
        yield path


def server_env() -> dict[str, str]:
    # no fields cache shared with other runs: each test's fake starts empty
    return {**os.environ, "ODOO_CONNECTOR_FIELDS_CACHE": "off", "PYTHONPATH": str(ROOT)}


@asynccontextmanager
async def stdio_session(connection: Path, *extra: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "odoo_connector.cli", "mcp", "--connection", str(connection), *extra],
        env=server_env(),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def envelope(result: types.CallToolResult) -> Any:
    assert not result.is_error, result.content
    [text] = result.content
    assert isinstance(text, types.TextContent)
    assert json.loads(text.text) == result.structured_content  # the same answer, as text too
    return result.structured_content


def error_of(result: types.CallToolResult) -> dict[str, Any]:
    assert result.is_error
    [text] = result.content
    assert isinstance(text, types.TextContent)
    assert "Traceback" not in text.text
    return json.loads(text.text)["error"]  # type: ignore[no-any-return]


async def agent_session(session: ClientSession, odoo: FakeOdoo) -> None:
    """What an agent does: list, create by name, complete a picklist, poll changes, get an
    error for a bad input without a request reaching Odoo."""
    manifest = load_manifest()
    listed = {tool.name: tool for tool in (await session.list_tools()).tools}
    actions = {unit.key: unit for unit in manifest.actions}
    assert set(actions) <= set(listed)
    assert set(listed) == set(actions) | {u.key for u in manifest.data_sources} | {"pollChangesTrigger"}
    for key, unit in actions.items():
        tool = listed[key]
        assert tool.input_schema == unit.input_schema and tool.output_schema == unit.output_schema, key
        assert (tool.title, tool.description) == (unit.label, unit.description)
        assert tool.annotations is not None
        hints = (
            tool.annotations.read_only_hint,
            tool.annotations.destructive_hint,
            tool.annotations.idempotent_hint,
        )
        assert hints == (unit.read_only, unit.destructive, unit.idempotent), key
    assert listed["selectModel"].annotations and listed["selectModel"].annotations.read_only_hint

    # the trigger's baseline, before anything is created
    first = envelope(await session.call_tool("pollChangesTrigger", {"model": "res.partner"}))
    assert first["data"] == {"created": [], "updated": []}

    created = envelope(
        await session.call_tool(
            "createRecord",
            {"model": "res.partner", "parameters": {"name": "Ada", "country_id": "belgium"}},
        )
    )
    [partner] = [r for r in odoo.tables["res.partner"].values() if r["name"] == "Ada"]
    assert created["data"] == partner["id"]
    assert partner["country_id"] == next(
        i for i, r in odoo.tables["res.country"].items() if r["name"] == "Belgium"
    )

    completion = await session.complete(
        types.PromptReference(type="ref/prompt", name="getRecordById"),
        {"name": "recordId", "value": "Bel"},
        context_arguments={"model": "res.country"},
    )
    assert sorted(completion.completion.values) == sorted(str(i) for i in odoo.tables["res.country"])
    models = await session.complete(
        types.PromptReference(type="ref/prompt", name="listRecords"), {"name": "model", "value": "count"}
    )
    assert "res.country" in models.completion.values and "res.partner" not in models.completion.values

    changed = envelope(
        await session.call_tool("pollChangesTrigger", {"model": "res.partner", "state": first["state"]})
    )
    assert [r["id"] for r in changed["data"]["created"]] == [partner["id"]]
    again = envelope(
        await session.call_tool("pollChangesTrigger", {"model": "res.partner", "state": changed["state"]})
    )
    assert again["data"] == {"created": [], "updated": []}

    before = len(odoo.calls)
    bad = await session.call_tool("getRecordById", {"model": "Res Partner", "recordId": 0})
    error = error_of(bad)
    assert error["type"] == "InputError" and "model" in error["message"] and error.get("hint") is not None
    assert len(odoo.calls) == before  # refused before anything was sent

    missing = await session.call_tool("getRecordById", {"model": "res.partner", "recordId": 999})
    error = error_of(missing)  # Odoo's refusal, in the words the CLI gives
    assert error["type"] == "NotFoundError" and "999" in error["message"]
    assert API_KEY not in json.dumps(error)


def test_stdio_an_agent_lists_creates_completes_and_polls(odoo, connection):
    async def scenario() -> None:
        async with stdio_session(connection) as session:
            await agent_session(session, odoo)

    anyio.run(scenario)


def test_stdio_read_only_and_allow_lists_hide_and_refuse(odoo, connection):
    async def scenario() -> None:
        async with stdio_session(connection, "--read-only", "--allow-models", "res.country") as session:
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert names and not names & WRITES
            assert all(
                tool.annotations and tool.annotations.read_only_hint
                for tool in (await session.list_tools()).tools
            )
            before = len(odoo.calls)
            hidden = error_of(
                await session.call_tool("createRecord", {"model": "res.country", "parameters": {}})
            )
            assert hidden["type"] == "ToolError" and "not offered" in hidden["message"]
            outside = error_of(await session.call_tool("listRecords", {"model": "res.partner"}))
            assert outside["type"] == "ToolError" and "res.partner" in outside["message"]
            assert len(odoo.calls) == before
            rows = envelope(
                await session.call_tool("listRecords", {"model": "res.country", "fields": ["name"]})
            )
            assert {r["name"] for r in rows["data"]} == {"Belgium", "Belarus"}

    anyio.run(scenario)


def test_a_missing_connection_exits_3_before_serving(tmp_path):
    env = {k: v for k, v in server_env().items() if not k.startswith("ODOO_")}
    done = subprocess.run(
        [sys.executable, "-m", "odoo_connector.cli", "mcp"],
        env=env,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 3
    assert json.loads(done.stderr.decode().splitlines()[-1])["error"]["type"] == "ConnectionSettingsError"


def test_without_the_extra_it_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mcp", None)  # as if the mcp extra were not installed
    assert main(["mcp"]) == 3
    error = json.loads(capsys.readouterr().err.splitlines()[-1])["error"]
    assert error["type"] == "MissingExtraError" and "[mcp]" in error["hint"]


def test_an_unknown_allowed_key_exits_3_before_serving(connection, capsys):
    assert main(["mcp", "--connection", str(connection), "--allow-keys", "getRecordById,noSuchKey"]) == 3
    assert "noSuchKey" in json.loads(capsys.readouterr().err.splitlines()[-1])["error"]["message"]


@pytest.mark.parametrize("value", [None, "short"])
def test_a_missing_or_short_token_variable_exits_3_before_serving(connection, monkeypatch, capsys, value):
    monkeypatch.delenv("MCP_TEST_TOKEN", raising=False)
    if value is not None:
        monkeypatch.setenv("MCP_TEST_TOKEN", value)
    argv = ["mcp", "--connection", str(connection), "--http", "--port", "0", "--token-env", "MCP_TEST_TOKEN"]
    assert main(argv) == 3
    assert "MCP_TEST_TOKEN" in json.loads(capsys.readouterr().err.splitlines()[-1])["error"]["message"]


# -- streamable HTTP ---------------------------------------------------------------------------


@pytest.fixture
def http_server(connection: Path) -> Iterator[tuple[str, str]]:
    """The server over HTTP on a free port with a token it made: (url, token) from its stderr."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo_connector.cli",
            "mcp",
            "--http",
            "--port",
            "0",
            "--connection",
            str(connection),
        ],
        env=server_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        announced = json.loads(line)["mcp"]
        yield announced["url"], announced["token"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        assert proc.stderr is not None
        rest = proc.stderr.read()
        assert API_KEY not in rest and API_KEY not in line


def test_http_an_agent_with_the_token(odoo, http_server):
    url, token = http_server

    async def scenario() -> None:
        client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        async with (
            client,
            streamable_http_client(url, http_client=client) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await agent_session(session, odoo)

    anyio.run(scenario)


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", "Basic abc"])
def test_http_refuses_a_missing_or_wrong_token(odoo, http_server, header):
    url, _ = http_server
    before = len(odoo.calls)
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if header:
        headers["Authorization"] = header
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "listModels", "arguments": {}},
    }
    answer = httpx2.post(url, json=body, headers=headers, timeout=30)
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["error"]["type"] == "AuthenticationError"
    assert len(odoo.calls) == before

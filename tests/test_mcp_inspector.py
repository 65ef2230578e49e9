"""A client not written here: the MCP Inspector's CLI (npm ``@modelcontextprotocol/inspector-cli``
1.0.3) starts ``odoo-connector mcp`` over stdio, lists the tools and calls one against the fake
Odoo. Needs node and npm; the package is installed once into the user cache and reused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from odoo_connector.manifest import load_manifest
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import serve_transport
from tests.test_mcp import fake_odoo

VERSION = "1.0.3"
PACKAGE = f"@modelcontextprotocol/inspector-cli@{VERSION}"
# Read at import: conftest gives each test its own $XDG_CACHE_HOME, which would install it each time.
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def inspector() -> Path:
    """The Inspector CLI's ``build`` folder, installed with npm on first use."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("needs node and npm (e.g. apt-get install nodejs npm) to run the MCP Inspector CLI")
    prefix = CACHE / "odoo-connector-tests" / f"inspector-cli-{VERSION}"
    build = prefix / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build"
    if not (build / "cli.js").is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), PACKAGE],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return build


def run_inspector(build: Path, connection: Path, *method: str) -> dict:
    # 1.0.3 looks for its package.json relative to the working directory: run it from build/
    command = [
        "node",
        str(build / "cli.js"),
        "--cli",
        "-e",
        "ODOO_CONNECTOR_FIELDS_CACHE=off",
        sys.executable,
        "-m",
        "odoo_connector.cli",
        "mcp",
        "--connection",
        str(connection),
        *method,
    ]
    done = subprocess.run(command, cwd=build, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_mcp_inspector_lists_the_tools_and_calls_one(tmp_path):
    build = inspector()
    odoo = fake_odoo()
    with serve_transport(odoo) as url:
        connection = tmp_path / "connection.json"
        connection.write_text(
            json.dumps({"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY})
        )
        listed = run_inspector(build, connection, "--method", "tools/list")
        tools = {tool["name"]: tool for tool in listed["tools"]}
        for unit in load_manifest().actions:
            assert tools[unit.key]["inputSchema"] == unit.input_schema
            assert tools[unit.key]["annotations"]["readOnlyHint"] is unit.read_only
        called = run_inspector(
            build,
            connection,
            *("--method", "tools/call", "--tool-name", "listRecords"),
            *("--tool-arg", "model=res.country", '--tool-arg=fields=["name"]'),
        )
    assert not called.get("isError"), called
    assert {row["name"] for row in called["structuredContent"]["data"]} == {"Belgium", "Belarus"}

"""MCP overhead: what ``odoo-connector mcp`` adds to ``invoke`` for the same call, and its start-up.

Two paths run the same ``getRecordById`` against the bench's fake Odoo (a subprocess on loopback),
one call of each in turn so drift and the machine's load hit both alike:

* A ``invoke``: ``runtime.invoke`` with the pooled client, as a Python host calls it.
* B ``mcp``: ``tools/call`` from the SDK's ``ClientSession`` to the server built by
  ``odoo_connector.hosts.mcp.build_server``, over the SDK's in-memory transport in the same
  process: JSON-RPC both ways, the SDK's validation, the worker-thread hop, the result's text and
  structured content. The SDK client also checks every result against the tool's output schema
(jsonschema); that share is measured apart (the same check, run again on each result).

The headline is the median of the paired differences (B - A, call by call); target <= 1 ms.
Start-up is the wall time from
spawning ``odoo-connector mcp`` (stdio) to the first ``tools/list`` answer, the median of a few
starts; most of it is importing the SDK.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from common import FAKE_DB, emit_json, median, print_table
from fake_odoo import running_server

from odoo_connector import invoke
from odoo_connector.hosts.mcp import build_server
from odoo_connector.hosts.tools import Toolbox
from odoo_connector.manifest import load_manifest

TARGET_MS = 1.0
INPUTS = {"model": "res.partner", "recordId": 7, "fields": ["name", "email", "city", "write_date"]}


async def loops(
    connection: dict[str, Any], rounds: int, calls: int
) -> tuple[list[float], list[float], list[float]]:
    from mcp.client._memory import InMemoryTransport
    from mcp.client.session import ClientSession

    manifest = load_manifest()
    server = build_server(Toolbox(manifest, connection))
    direct: list[float] = []
    through_mcp: list[float] = []
    client_check: list[float] = []  # the SDK client's own output-schema check of each result
    async with InMemoryTransport(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for _ in range(3):  # warm both paths: the pooled client, the schemas compiled
            invoke("getRecordById", connection, INPUTS, manifest=manifest)
            await session.call_tool("getRecordById", INPUTS)
        for _ in range(rounds * calls):  # one of each in turn: drift and load hit both alike
            start = time.perf_counter()
            invoke("getRecordById", connection, INPUTS, manifest=manifest)
            direct.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = await session.call_tool("getRecordById", INPUTS)
            through_mcp.append(time.perf_counter() - start)
            assert not result.is_error, result.content
            start = time.perf_counter()
            await session.validate_tool_result("getRecordById", result)
            client_check.append(time.perf_counter() - start)
    return direct, through_mcp, client_check


async def startups(connection_file: Path, starts: int) -> list[float]:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "odoo_connector.cli", "mcp", "--connection", str(connection_file)]
    )
    times = []
    for _ in range(starts):
        start = time.perf_counter()
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            times.append(time.perf_counter() - start)
            assert tools.tools
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and starts (about 20 s)")
    args = parser.parse_args()
    rounds, calls, starts = (3, 100, 3) if args.quick else (5, 300, 5)
    with running_server() as url:
        connection = {
            "type": "odooApiKey",
            "baseUrl": url,
            "database": FAKE_DB,
            "apiKey": "bench-key-0123456789",
        }
        direct, through_mcp, client_check = anyio.run(loops, connection, rounds, calls)
        import json
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            file = Path(folder) / "connection.json"
            file.write_text(json.dumps(connection))
            start_times = anyio.run(startups, file, starts)
    a, b = median(direct) * 1000, median(through_mcp) * 1000
    overhead = median([m - d for d, m in zip(direct, through_mcp, strict=True)]) * 1000
    check = median(client_check) * 1000
    print_table(
        f"getRecordById, {rounds * calls} calls per path, alternating (ms per call, median)",
        ["path", "median ms", "overhead ms", f"target <= {TARGET_MS} ms"],
        [
            ["invoke", a, "", ""],
            ["mcp tools/call (in-memory)", b, overhead, "met" if overhead <= TARGET_MS else "MISSED"],
            ["of which the client's output-schema check", check, "", ""],
        ],
    )
    print_table(
        f"start-up to the first tools/list answer ({starts} starts, stdio subprocess)",
        ["median s", "min s", "max s"],
        [[median(start_times), min(start_times), max(start_times)]],
    )
    emit_json(
        "mcp_overhead",
        {
            "invoke_ms": a,
            "mcp_ms": b,
            "overhead_ms": overhead,
            "client_check_ms": check,
            "target_ms": TARGET_MS,
            "startup_s": median(start_times),
            "rounds": rounds,
            "calls": calls,
        },
    )


if __name__ == "__main__":
    main()

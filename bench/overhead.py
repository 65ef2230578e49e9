"""Overhead: what the connector adds to the same JSON-2 calls made with a bare ``httpx.Client``.

Three loops make the same calls (alternately ``search_read`` of 20 records and ``read`` of one
record by id, with the same fields, over one keep-alive connection), interleaved round by round
(A B C, A B C, ...) so drift in the machine hits all three alike:

* A ``bare``: ``httpx.Client.post`` + ``response.json()``; the floor any Python client pays.
* B ``client``: ``Json2Client.call``, the connector's transport alone (retry policy, error mapping).
* C ``invoke``: ``runtime.invoke("listRecords" / "getRecordById", ..., client=...)``, everything a
  platform or the CLI goes through (input coercion, schema validation, handler).

The headline is median(C/A) over the rounds; target <= 1.05. Against the local fake server (an
instant, fixed answer in another process) the ratio shows the connector's own cost as sharply as
possible; against a real Odoo (ODOO_URL, ODOO_DB, ODOO_API_KEY set) it shows what a user sees.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from common import FAKE_DB, emit_json, invoke_loop, loop_args, median, print_table, real_connection, real_host
from fake_odoo import running_server

from odoo_connector import make_client, parse_connection
from odoo_connector.client.base import OdooClient
from odoo_connector.manifest import load_manifest
from odoo_connector.runtime import validate_inputs

FAKE_TARGET = {"model": "res.partner", "record": 7,
               "fields": ["name", "email", "phone", "street", "city", "zip", "country_id", "company_id",
                          "is_company", "active", "ref", "write_date"]}
REAL_TARGET = {"model": "res.country", "record": 1, "fields": ["name", "code", "phone_code", "currency_id"]}
TARGET_RATIO = 1.05

Loop = Callable[[int], None]


def make_loops(connection: dict[str, Any], target: dict[str, Any]) -> tuple[dict[str, Loop], list[Any]]:
    """The three loops over the same calls; returns them and the resources to close."""
    model, record, fields = target["model"], target["record"], target["fields"]
    conn = parse_connection(connection)
    secret = connection["apiKey"]
    bare = httpx.Client(
        base_url=conn.url,
        headers={"Authorization": f"bearer {secret}", "X-Odoo-Database": conn.database,
                 "Accept": "application/json", "Content-Type": "application/json"},
        timeout=120.0,
    )
    search_body = {"domain": [], "fields": fields, "order": "id asc", "limit": 20, "offset": 0}
    read_body = {"ids": [record], "fields": fields}
    search_path, read_path = f"/json/2/{model}/search_read", f"/json/2/{model}/read"

    def bare_loop(n: int) -> None:
        for i in range(n):
            path, body = (search_path, search_body) if i % 2 == 0 else (read_path, read_body)
            response = bare.post(path, content=json.dumps(body, separators=(",", ":")).encode())
            response.raise_for_status()
            rows = response.json()
            assert rows, "empty answer"

    transport_client: OdooClient = make_client(conn)

    def client_loop(n: int) -> None:
        for i in range(n):
            if i % 2 == 0:
                rows = transport_client.call(model, "search_read", domain=[], fields=fields,
                                             order="id asc", limit=20, offset=0)
            else:
                rows = transport_client.call(model, "read", [record], fields=fields)
            assert rows, "empty answer"

    connector_loop, close_connector = invoke_loop(conn, model, fields, record)

    loops: dict[str, Loop] = {"bare": bare_loop, "client": client_loop, "invoke": connector_loop}
    return loops, [bare.close, transport_client.close, close_connector]


def measure(loops: dict[str, Loop], calls: int, rounds: int) -> dict[str, Any]:
    """Warm up each loop, then time ``rounds`` interleaved rounds of ``calls`` calls each."""
    for loop in loops.values():
        loop(min(calls, 20))
    per_call: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, loop in loops.items():
            gc.collect()
            start = time.perf_counter_ns()
            loop(calls)
            per_call[name].append((time.perf_counter_ns() - start) / calls / 1000.0)
    ratios = {
        name: [v / a for v, a in zip(values, per_call["bare"], strict=True)]
        for name, values in per_call.items()
        if name != "bare"
    }
    return {
        "calls_per_round": calls,
        "rounds": rounds,
        "us_per_call": {name: median(v) for name, v in per_call.items()},
        "ratio": {name: median(r) for name, r in ratios.items()},
        "ratio_min_max": {name: [min(r), max(r)] for name, r in ratios.items()},
    }


def run(
    label: str, connection: dict[str, Any], target: dict[str, Any], calls: int, rounds: int
) -> dict[str, Any]:
    loops, resources = make_loops(connection, target)
    try:
        result = measure(loops, calls, rounds)
    finally:
        for close in resources:
            close()
    us = result["us_per_call"]
    ratio = result["ratio"]
    rows = [
        ["A bare httpx", f"{us['bare']:.1f}", "1.000", "-", "-"],
        ["B Json2Client.call", f"{us['client']:.1f}", f"{ratio['client']:.3f}",
         f"{us['client'] - us['bare']:+.1f}", "-"],
        ["C runtime.invoke", f"{us['invoke']:.1f}", f"{ratio['invoke']:.3f}",
         f"{us['invoke'] - us['bare']:+.1f}",
         "met" if ratio["invoke"] <= TARGET_RATIO else "MISSED"],
    ]
    print_table(
        f"{label}: {calls} calls per loop per round, {rounds} rounds, median over rounds "
        f"(target C/A <= {TARGET_RATIO})",
        ["loop", "us/call", "ratio to A", "us/call added", "target"],
        rows,
    )
    result["target_met"] = ratio["invoke"] <= TARGET_RATIO
    return result


def validation_cost(repeat: int = 2000) -> dict[str, float]:
    """Microseconds ``runtime.validate_inputs`` spends per call on the inputs used above: the
    largest single part of what ``invoke`` adds (see RESULTS.md)."""
    manifest = load_manifest()
    fields = FAKE_TARGET["fields"]
    cases = {
        "listRecords": {"model": "res.partner", "fields": fields, "limit": 20},
        "getRecordById": {"model": "res.partner", "recordId": 7, "fields": fields},
    }
    out: dict[str, float] = {}
    for key, inputs in cases.items():
        unit = manifest.unit(key)
        validate_inputs(unit, inputs)
        start = time.perf_counter_ns()
        for _ in range(repeat):
            validate_inputs(unit, inputs)
        out[key] = (time.perf_counter_ns() - start) / repeat / 1000.0
    print_table("runtime.validate_inputs alone (no HTTP)", ["key", "us/call"],
                [[k, f"{v:.1f}"] for k, v in out.items()])
    return out


def main() -> None:
    args = loop_args(__doc__)
    out: dict[str, Any] = {"target_ratio": TARGET_RATIO}

    with running_server(records=1000) as url:
        fake = {"type": "odooApiKey", "baseUrl": url, "database": FAKE_DB, "apiKey": "bench-not-a-secret"}
        out["fake"] = run("Local fake server (connector's own cost)", fake, FAKE_TARGET,
                          args.calls, 5 if args.quick else 15)

    real = None if args.no_real else real_connection("odooApiKey")
    if real is None:
        print("\nReal Odoo: skipped (set ODOO_URL, ODOO_DB and ODOO_API_KEY to include it).")
    else:
        calls = 100 if args.quick else args.calls
        out["real"] = run(f"Real Odoo at {real_host(real)} ({REAL_TARGET['model']})", real, REAL_TARGET,
                          calls, 3 if args.quick else 5)
    out["validate_inputs_us"] = validation_cost()
    emit_json("overhead", out)


if __name__ == "__main__":
    main()

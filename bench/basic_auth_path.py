"""Basic Auth over JSON-RPC against OdooRPC and a hand-written JSON-RPC client (issue 30).

Against a real Odoo 19 (ODOO_URL, ODOO_DB, ODOO_USERNAME, ODOO_PASSWORD, ODOO_API_KEY: an
ordinary user who can read crm.lead), every figure interleaved round by round (each configuration
once per round, the order rotated) so that a loaded machine hits all alike; ratios are medians of
per-round ratios:

1. **fetchAll, whole process.** ``odoo-connector run listRecords --input '{"model": "crm.lead",
   "fetchAll": true, "fields": [4 fields], "domain": [["name", "=like", "bench-lead-%"]]}'`` as a
   child process over ``odooBasicAuth`` and over ``odooApiKey``, against a child OdooRPC script
   doing one ``search_read`` of the same rows and writing them to stdout as JSON. Wall, CPU
   (user + system of the child, from ``os.wait4``). Goals (Basic Auth): wall <= 1.0x and CPU <=
   2x OdooRPC's.
2. **Per call, in process.** ``invoke("getRecordById", conn, {...})`` with a fresh dict
   connection and no ``client=`` (as the README calls it), against a reused hand-written client
   of the same protocol doing the same ``read``: for Basic Auth an ``httpx.Client`` posting
   ``/jsonrpc`` ``execute_kw`` (login once), for the API key one posting ``/json/2/crm.lead/read``.
   Goal (Basic Auth): <= 1.1x.

It writes nothing to the database. Credentials go only into a connection file (mode 600, in a
private temporary directory) and the children's environment; they are never printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx
from common import emit_json, median, print_table, real_connection

from odoo_connector import invoke

MODEL = "crm.lead"
FIELDS = ["name", "email_from", "stage_id", "expected_revenue"]
DOMAIN = [["name", "=like", "bench-lead-%"]]
GOAL_FETCH_WALL, GOAL_FETCH_CPU, GOAL_CALL = 1.0, 2.0, 1.1

ODOORPC_SCRIPT = """
import json, os, sys
from urllib.parse import urlsplit
import odoorpc
url = urlsplit(os.environ["ODOO_URL"])
odoo = odoorpc.ODOO(url.hostname, protocol="jsonrpc+ssl" if url.scheme == "https" else "jsonrpc",
                    port=url.port or (443 if url.scheme == "https" else 80), timeout=600)
odoo.login(os.environ["ODOO_DB"], os.environ["ODOO_USERNAME"], os.environ["ODOO_PASSWORD"])
domain, fields = json.loads(sys.argv[2]), json.loads(sys.argv[3])
rows = odoo.execute_kw(sys.argv[1], "search_read", [domain], {"fields": fields})
json.dump(rows, sys.stdout)
print(len(rows), file=sys.stderr)
"""


def child(argv: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """Runs ``argv``; its wall seconds, its CPU seconds (user + system) and its stderr."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{argv[:3]} failed ({status}): {err[-500:].decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, err


def figure_fetch(basic: dict[str, Any], apikey: dict[str, Any], rounds: int) -> dict[str, Any]:
    inputs = json.dumps({"model": MODEL, "fetchAll": True, "fields": FIELDS, "domain": DOMAIN})
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for name, conn in (("basic", basic), ("apikey", apikey)):
            path = os.path.join(folder, f"{name}.json")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
                json.dump(conn, out)
            files[name] = path
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ODOO_") or k in ("ODOO_URL", "ODOO_DB", "ODOO_USERNAME", "ODOO_PASSWORD")
        }
        env["ODOO_CONNECTOR_FIELDS_CACHE"] = "off"
        cli = [sys.executable, "-m", "odoo_connector.cli", "run", "listRecords", "--input", inputs]
        runs: dict[str, list[str]] = {
            "connector, odooBasicAuth": [*cli, "--connection", files["basic"]],
            "connector, odooApiKey": [*cli, "--connection", files["apikey"]],
            "OdooRPC script": [
                sys.executable,
                "-c",
                ODOORPC_SCRIPT,
                MODEL,
                json.dumps(DOMAIN),
                json.dumps(FIELDS),
            ],
        }
        order = list(runs)
        walls: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        for r in range(rounds):
            for name in order[r % len(order) :] + order[: r % len(order)]:
                wall, cpu, _ = child(runs[name], env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    peer = "OdooRPC script"
    result: dict[str, Any] = {"rounds": rounds, "rows": {}}
    table = []
    for name in runs:
        wall_ratio = median([w / p for w, p in zip(walls[name], walls[peer], strict=True)])
        cpu_ratio = median([c / p for c, p in zip(cpus[name], cpus[peer], strict=True)])
        goal = "-"
        if name == "connector, odooBasicAuth":
            goal = (
                ("wall met" if wall_ratio <= GOAL_FETCH_WALL else "wall MISSED")
                + ", "
                + ("CPU met" if cpu_ratio <= GOAL_FETCH_CPU else "CPU MISSED")
            )
        result["rows"][name] = {
            "wall_s": median(walls[name]),
            "cpu_s": median(cpus[name]),
            "wall_ratio": wall_ratio,
            "cpu_ratio": cpu_ratio,
            "walls": walls[name],
            "cpus": cpus[name],
        }
        table.append(
            [
                name,
                f"{median(walls[name]):.2f}",
                f"{median(cpus[name]):.2f}",
                f"{wall_ratio:.2f}",
                f"{cpu_ratio:.2f}",
                goal,
            ]
        )
    print_table(
        f"1. fetchAll of the bench-lead-* leads, whole process, {rounds} rounds "
        f"(goals, Basic Auth: wall <= {GOAL_FETCH_WALL}x, CPU <= {GOAL_FETCH_CPU}x OdooRPC)",
        ["process", "wall s", "CPU s", "wall / OdooRPC", "CPU / OdooRPC", "goal"],
        table,
    )
    return result


def hand_jsonrpc(conn: dict[str, Any], record: int) -> tuple[Callable[[], Any], Callable[[], None]]:
    """A reused hand-written JSON-RPC client: one httpx.Client, login once, execute_kw read."""
    client = httpx.Client(base_url=conn["baseUrl"], timeout=120)

    def rpc(service: str, method: str, *args: Any) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
        }
        answer = client.post("/jsonrpc", json=body).json()
        if "error" in answer:
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    db, password = conn["database"], conn["password"]
    uid = rpc("common", "login", db, conn["username"], password)

    def read() -> Any:
        return rpc("object", "execute_kw", db, uid, password, MODEL, "read", [[record]], {"fields": FIELDS})

    return read, client.close


def hand_json2(conn: dict[str, Any], record: int) -> tuple[Callable[[], Any], Callable[[], None]]:
    """A reused hand-written JSON-2 client: one httpx.Client, the key in a header."""
    client = httpx.Client(
        base_url=conn["baseUrl"],
        timeout=120,
        headers={"Authorization": f"bearer {conn['apiKey']}", "X-Odoo-Database": conn["database"]},
    )

    def read() -> Any:
        return client.post(f"/json/2/{MODEL}/read", json={"ids": [record], "fields": FIELDS}).json()

    return read, client.close


def figure_calls(
    basic: dict[str, Any], apikey: dict[str, Any], record: int, calls: int, rounds: int
) -> dict[str, Any]:
    inputs = {"model": MODEL, "recordId": record, "fields": FIELDS}

    def connector(conn: dict[str, Any]) -> Callable[[], Any]:
        return lambda: invoke("getRecordById", dict(conn), inputs)["data"]

    rpc_read, rpc_close = hand_jsonrpc(basic, record)
    json2_read, json2_close = hand_json2(apikey, record)
    loops: dict[str, Callable[[], Any]] = {
        "invoke, odooBasicAuth (JSON-RPC)": connector(basic),
        "hand-written JSON-RPC client (reused)": rpc_read,
        "invoke, odooApiKey (JSON-2)": connector(apikey),
        "hand-written JSON-2 client (reused)": json2_read,
    }
    try:
        for loop in loops.values():  # warm: the pooled client's login, imports, schemas
            for _ in range(3):
                assert loop(), "empty answer"
        ms: dict[str, list[float]] = {name: [] for name in loops}
        cpu: dict[str, list[float]] = {name: [] for name in loops}
        order = list(loops)
        for r in range(rounds):
            for name in order[r % len(order) :] + order[: r % len(order)]:
                gc.collect()
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(calls):
                    loops[name]()
                ms[name].append((time.perf_counter() - start) * 1000 / calls)
                cpu[name].append((time.process_time() - start_cpu) * 1000 / calls)
    finally:
        rpc_close()
        json2_close()
    pairs = {
        "invoke, odooBasicAuth (JSON-RPC)": "hand-written JSON-RPC client (reused)",
        "invoke, odooApiKey (JSON-2)": "hand-written JSON-2 client (reused)",
    }
    result: dict[str, Any] = {"calls": calls, "rounds": rounds, "rows": {}}
    table = []
    for name in loops:
        peer = pairs.get(name)
        ratio = median([a / b for a, b in zip(ms[name], ms[peer], strict=True)]) if peer else None
        goal = "-"
        if name == "invoke, odooBasicAuth (JSON-RPC)" and ratio is not None:
            goal = "met" if ratio <= GOAL_CALL else "MISSED"
        result["rows"][name] = {"ms": median(ms[name]), "cpu_ms": median(cpu[name]), "ratio": ratio}
        table.append(
            [
                name,
                f"{median(ms[name]):.2f}",
                f"{median(cpu[name]):.2f}",
                "-" if ratio is None else f"{ratio:.3f}",
                goal,
            ]
        )
    print_table(
        f"2. getRecordById per call, in process, {calls} calls per loop, {rounds} rounds "
        f"(goal, Basic Auth: invoke <= {GOAL_CALL}x the hand-written client)",
        ["loop", "wall ms/call", "CPU ms/call", "invoke / hand-written", "goal"],
        table,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fetchAll rounds (default 5)")
    parser.add_argument("--calls", type=int, default=25, help="per-call loop length (default 25)")
    parser.add_argument("--call-rounds", type=int, default=7, help="per-call rounds (default 7)")
    args = parser.parse_args()
    basic, apikey = real_connection("odooBasicAuth"), real_connection("odooApiKey")
    if basic is None or apikey is None:
        raise SystemExit("set ODOO_URL, ODOO_DB, ODOO_USERNAME, ODOO_PASSWORD and ODOO_API_KEY")
    client = httpx.Client(base_url=basic["baseUrl"], timeout=120)
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {
            "service": "common",
            "method": "login",
            "args": [basic["database"], basic["username"], basic["password"]],
        },
    }
    uid = client.post("/jsonrpc", json=body).json()["result"]
    body["params"] = {
        "service": "object",
        "method": "execute_kw",
        "args": [
            basic["database"],
            uid,
            basic["password"],
            MODEL,
            "search",
            [DOMAIN],
            {"limit": 1, "order": "id"},
        ],
    }
    record = client.post("/jsonrpc", json=body).json()["result"][0]
    body["params"]["args"][4:] = ["search_count", [DOMAIN]]
    total = client.post("/jsonrpc", json=body).json()["result"]
    client.close()
    print(
        f"{total} {MODEL} records match {DOMAIN[0]}; load average {os.getloadavg()[0]:.1f} at the start",
        flush=True,
    )
    out: dict[str, Any] = {"records": total, "load_start": os.getloadavg()}
    out["calls"] = figure_calls(basic, apikey, record, args.calls, args.call_rounds)
    out["fetch"] = figure_fetch(basic, apikey, args.rounds)
    out["load_end"] = os.getloadavg()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    emit_json("basic_auth_path", out)


if __name__ == "__main__":
    main()

"""The bridge for hosts that are not Python (issue 26): a local service, or a process per call?

A Node.js host (the n8n package) cannot import the connector. Two ways to reach it, measured side
by side against the real Odoo, one call of each in turn so drift and the shared machine's load hit
both alike:

* A ``serve``: ``odoo-connector serve`` started once; every call is ``POST /v1/run`` on one
  kept-alive HTTP connection, as a Node host would keep one (the connection in the body, as n8n
  sends its credentials).
* B ``spawn``: ``odoo-connector run KEY`` / ``picklist KEY`` started per call (the console script
  a host would spawn, ``--connection`` a 0600 file, the fields cache on disk as the CLI keeps it),
  its stdout read as the result.

For scale, C ``invoke``: the same call through ``runtime.invoke`` in the bench's own process
(pooled client), which is what Odoo itself plus the connector cost; A - C is what the service adds.

Two units: the data source ``selectModel`` (what a node's model list runs as the user types) and
``listRecords`` of 5 ``res.partner`` records (a typical step). Per call wall time, median and p95;
the ratio B/A. Also the service's start-up (spawn to the first ``/v1/health`` answer), paid once.
Both paths must return the same envelope for the same call: checked on every listRecords pair.

Needs the real Odoo (ODOO_URL, ODOO_DB, ODOO_API_KEY: ``. /work/odoo19/env.sh``); says so and
stops without it. ``--fake`` runs against the bench's fake Odoo instead (instant, fixed answers:
what the paths themselves cost, without Odoo's time and its noise), with getRecordById in place
of selectModel, which the fake does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from common import FAKE_DB, emit_json, median, print_table, real_connection

FAKE_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "getRecordById": ("run", {"model": "res.partner", "recordId": 7, "fields": ["name", "email"]}),
    "listRecords": ("run", {"model": "res.partner", "fields": ["name", "email"], "limit": 5}),
}
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "selectModel": ("picklist", {"nameSearch": "partner"}),
    "listRecords": ("run", {"model": "res.partner", "fields": ["name", "email"], "limit": 5, "order": "id"}),
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def start_service(token: str, log: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """``odoo-connector serve --port 0``; its URL, and the seconds until /v1/health answered."""
    env = {**os.environ, "ODOO_CONNECTOR_TOKEN": token}
    started = time.perf_counter()
    handle = open(log, "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("odoo-connector")), "serve", "--port", "0", "--quiet"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=handle,
    )
    while not log.read_text().strip():
        if proc.poll() is not None:
            raise SystemExit(f"serve did not start: {log.read_text()}")
        time.sleep(0.01)
    url = json.loads(log.read_text().splitlines()[0])["serve"]["url"]
    while httpx.get(f"{url}/v1/health", timeout=10).status_code != 200:
        time.sleep(0.01)
    return proc, url, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10 calls per unit and path (about 30 s)")
    parser.add_argument("--calls", type=int, default=30, help="calls per unit and path (default 30)")
    parser.add_argument("--fake", action="store_true", help="the bench's fake Odoo instead of the real one")
    args = parser.parse_args()
    calls = 10 if args.quick else args.calls
    if args.fake:
        from fake_odoo import running_server

        with running_server() as url:
            key = "bench-key-0123456789"
            measure(
                {"type": "odooApiKey", "baseUrl": url, "database": FAKE_DB, "apiKey": key}, FAKE_CALLS, calls
            )
        return
    connection = real_connection("odooApiKey")
    if connection is None:
        print("bridge.py needs the real Odoo: ODOO_URL, ODOO_DB and ODOO_API_KEY (. /work/odoo19/env.sh).")
        return
    measure(connection, CALLS, calls)


def measure(connection: dict[str, Any], units: dict[str, tuple[str, dict[str, Any]]], calls: int) -> None:
    token = secrets.token_urlsafe(32)
    script = str(Path(sys.executable).with_name("odoo-connector"))
    with tempfile.TemporaryDirectory() as folder:
        conn_file = Path(folder) / "connection.json"
        conn_file.touch(mode=0o600)
        conn_file.write_text(json.dumps(connection))
        proc, url, startup = start_service(token, Path(folder) / "serve.log")
        times: dict[tuple[str, str], list[float]] = {}
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:

                def serve_call(key: str, inputs: dict[str, Any]) -> Any:
                    body = {"key": key, "connection": connection, "inputs": inputs}
                    answer = http.post("/v1/run", json=body)
                    assert answer.status_code == 200, answer.text[:300]
                    return answer.json()

                def spawn_call(key: str, inputs: dict[str, Any]) -> Any:
                    command, _ = units[key]
                    done = subprocess.run(
                        [script, command, key, "--input", json.dumps(inputs), "--connection", str(conn_file)],
                        capture_output=True,
                        timeout=120,
                        stdin=subprocess.DEVNULL,
                    )
                    assert done.returncode == 0, done.stderr[-300:]
                    return json.loads(done.stdout)

                from odoo_connector import invoke

                def invoke_call(key: str, inputs: dict[str, Any]) -> Any:
                    return invoke(key, connection, inputs)

                for key, (_, inputs) in units.items():  # warm all: the pooled clients, the fields cache
                    assert serve_call(key, inputs) == spawn_call(key, inputs) == invoke_call(key, inputs)
                for _ in range(calls):
                    for key, (_, inputs) in units.items():
                        for path, call in (
                            ("invoke", invoke_call),
                            ("serve", serve_call),
                            ("spawn", spawn_call),
                        ):
                            start = time.perf_counter()
                            result = call(key, inputs)
                            times.setdefault((key, path), []).append(time.perf_counter() - start)
                            assert result["data"], "empty answer"
                        if key == "listRecords":
                            assert serve_call(key, inputs) == spawn_call(key, inputs)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    rows = []
    figures: dict[str, Any] = {"calls": calls, "serve_startup_s": startup}
    for key in units:
        a, b, c = times[(key, "serve")], times[(key, "spawn")], times[(key, "invoke")]
        ratio = median(b) / median(a)
        added = median([x - y for x, y in zip(a, c, strict=True)])  # paired: the same round
        spawn_cost = median([y - x for x, y in zip(a, b, strict=True)])
        rows.append([key, "C invoke in-process (floor)", median(c) * 1000, p95(c) * 1000, "", ""])
        rows.append([key, "A serve (kept-alive HTTP)", median(a) * 1000, p95(a) * 1000, "", added * 1000])
        rows.append(
            [key, "B spawn the CLI per call", median(b) * 1000, p95(b) * 1000, ratio, spawn_cost * 1000]
        )
        figures[key] = {
            "invoke_ms": median(c) * 1000,
            "serve_ms": median(a) * 1000,
            "serve_p95_ms": p95(a) * 1000,
            "serve_minus_invoke_ms": added * 1000,
            "spawn_ms": median(b) * 1000,
            "spawn_p95_ms": p95(b) * 1000,
            "spawn_over_serve": ratio,
            "spawn_minus_serve_ms": spawn_cost * 1000,
        }
    print_table(
        f"per call, {'the fake' if units is FAKE_CALLS else 'real'} Odoo, api key "
        f"({calls} calls per unit and path, alternating)",
        ["unit", "path", "median ms", "p95 ms", "B/A (median)", "added ms (paired median: A-C, B-A)"],
        rows,
    )
    print_table("serve start-up, paid once", ["spawn to first /v1/health answer, s"], [[startup]])
    emit_json("bridge", {**figures, "odoo": "fake" if units is FAKE_CALLS else "real"})


if __name__ == "__main__":
    main()

"""XML-RPC path: the connector over the Basic Auth connection against the usual Python clients.

The same calls as ``overhead.py`` (alternately ``search_read`` of 20 records and ``read`` of one
record by id), interleaved round by round, made by:

* A ``ServerProxy``: ``xmlrpc.client.ServerProxy(.../xmlrpc/2/object).execute_kw``, one proxy
  reused for every call, as Odoo's external API documentation shows.
* B ``ServerProxy/call``: a new ``ServerProxy`` per call (a new TCP connection each time), what
  scripts that build the proxy inside a function do.
* C ``OdooRPC``: ``odoorpc.ODOO.execute_kw`` (JSON-RPC over urllib, a new connection per call);
  skipped with a message when ``odoorpc`` is not installed (``pip install odoorpc``).
* D ``connector``: ``runtime.invoke("listRecords" / "getRecordById")`` over ``odooBasicAuth``:
  JSON-RPC over one pooled httpx connection (XML-RPC until issue 30; bench/basic_auth_path.py
  compares it with a hand-written JSON-RPC client).

Headline: median(D/A) and median(D/C) over the rounds; the goal is <= 1.0 (the connector is no
slower than the standard library or OdooRPC). Against a real Odoo when ODOO_URL, ODOO_DB,
ODOO_USERNAME and ODOO_PASSWORD are set.
"""

from __future__ import annotations

import gc
import time
import xmlrpc.client
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from common import FAKE_DB, emit_json, invoke_loop, loop_args, median, print_table, real_connection, real_host
from fake_odoo import running_server

from odoo_connector import parse_connection

FAKE_TARGET = {"model": "res.partner", "record": 7,
               "fields": ["name", "email", "phone", "street", "city", "zip", "country_id", "company_id",
                          "is_company", "active", "ref", "write_date"]}
REAL_TARGET = {"model": "res.country", "record": 1, "fields": ["name", "code", "phone_code", "currency_id"]}
GOAL_RATIO = 1.0

Loop = Callable[[int], None]


def make_loops(
    connection: dict[str, Any], target: dict[str, Any]
) -> tuple[dict[str, Loop], list[Callable[[], Any]]]:
    """The loops over the same calls, and the callables that close their connections."""
    model, record, fields = target["model"], target["record"], target["fields"]
    conn = parse_connection(connection)
    db, user, password = conn.database, connection["username"], connection["password"]
    object_url = conn.url + "/xmlrpc/2/object"
    common = xmlrpc.client.ServerProxy(conn.url + "/xmlrpc/2/common")
    uid = common.authenticate(db, user, password, {})
    search_kw = {"domain": [], "fields": fields, "order": "id asc", "limit": 20, "offset": 0}
    read_kw = {"fields": fields}

    def proxy_calls(proxy: Any, i: int) -> Any:
        if i % 2 == 0:
            return proxy.execute_kw(db, uid, password, model, "search_read", [], search_kw)
        return proxy.execute_kw(db, uid, password, model, "read", [[record]], read_kw)

    shared = xmlrpc.client.ServerProxy(object_url, allow_none=True)

    def serverproxy_loop(n: int) -> None:
        for i in range(n):
            assert proxy_calls(shared, i), "empty answer"

    def serverproxy_per_call_loop(n: int) -> None:
        for i in range(n):
            with xmlrpc.client.ServerProxy(object_url, allow_none=True) as proxy:
                assert proxy_calls(proxy, i), "empty answer"

    connector_loop, close_connector = invoke_loop(conn, model, fields, record)

    loops: dict[str, Loop] = {"serverproxy": serverproxy_loop,
                             "serverproxy_per_call": serverproxy_per_call_loop}
    try:
        import odoorpc
    except ImportError:
        print("OdooRPC: not installed, its loop is skipped (pip install odoorpc to include it).")
    else:
        parts = urlsplit(conn.url)
        odoo = odoorpc.ODOO(parts.hostname, protocol="jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc",
                            port=parts.port or (443 if parts.scheme == "https" else 80))
        odoo.login(db, user, password)

        def odoorpc_loop(n: int) -> None:
            for i in range(n):
                if i % 2 == 0:
                    rows = odoo.execute_kw(model, "search_read", [], search_kw)
                else:
                    rows = odoo.execute_kw(model, "read", [[record]], read_kw)
                assert rows, "empty answer"

        loops["odoorpc"] = odoorpc_loop
    loops["connector"] = connector_loop
    # ServerProxy answers any attribute with a remote method: close it by its own protocol.
    return loops, [shared("close"), close_connector]


def measure(loops: dict[str, Loop], calls: int, rounds: int) -> dict[str, Any]:
    for loop in loops.values():
        loop(min(calls, 10))
    per_call: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, loop in loops.items():
            gc.collect()
            start = time.perf_counter_ns()
            loop(calls)
            per_call[name].append((time.perf_counter_ns() - start) / calls / 1000.0)
    connector = per_call["connector"]
    ratios = {
        name: median([c / v for c, v in zip(connector, values, strict=True)])
        for name, values in per_call.items()
        if name != "connector"
    }
    return {"calls_per_round": calls, "rounds": rounds,
            "us_per_call": {name: median(v) for name, v in per_call.items()},
            "connector_ratio_to": ratios}


def run(label: str, connection: dict[str, Any], target: dict[str, Any], calls: int,
        rounds: int) -> dict[str, Any]:
    loops, resources = make_loops(connection, target)
    try:
        result = measure(loops, calls, rounds)
    finally:
        for resource in resources:
            resource()
    us, ratios = result["us_per_call"], result["connector_ratio_to"]
    names = {"serverproxy": "A ServerProxy (reused)", "serverproxy_per_call": "B ServerProxy per call",
             "odoorpc": "C OdooRPC (JSON-RPC)", "connector": "D connector invoke (Basic Auth)"}
    rows = []
    for name, value in us.items():
        if name == "connector":
            rows.append([names[name], f"{value:.1f}", "-", "-"])
        else:
            ratio = ratios[name]
            rows.append([names[name], f"{value:.1f}", f"{ratio:.3f}",
                         "met" if ratio <= GOAL_RATIO else "MISSED"])
    print_table(f"{label}: {calls} calls per loop per round, {rounds} rounds (goal D/x <= {GOAL_RATIO})",
                ["loop", "us/call", "D / this loop", "goal"], rows)
    result["goal_met"] = {name: r <= GOAL_RATIO for name, r in ratios.items()}
    return result


def main() -> None:
    args = loop_args(__doc__)
    out: dict[str, Any] = {"goal_ratio": GOAL_RATIO}
    with running_server(records=1000) as url:
        fake = {"type": "odooBasicAuth", "baseUrl": url, "database": FAKE_DB, "username": "bench",
                "password": "bench-not-a-secret"}
        out["fake"] = run("Local fake server", fake, FAKE_TARGET, args.calls if not args.quick else 200,
                          3 if args.quick else 7)
    real = None if args.no_real else real_connection("odooBasicAuth")
    if real is None:
        print("\nReal Odoo: skipped (set ODOO_URL, ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD to include it).")
    else:
        out["real"] = run(f"Real Odoo at {real_host(real)} ({REAL_TARGET['model']})", real, REAL_TARGET,
                          100 if args.quick else 200, 3)
    emit_json("xmlrpc_path", out)


if __name__ == "__main__":
    main()

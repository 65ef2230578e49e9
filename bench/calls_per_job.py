"""Calls per job: how many HTTP requests each action, data source and the trigger sends.

A real Odoo 19 checks the API key (or password) on every request, about 10 ms even on loopback,
so a request saved is worth more than any client-side speed-up. Every manifest key is run
against the real Odoo named by the environment (ODOO_URL, ODOO_DB, ODOO_API_KEY for JSON-2,
ODOO_USERNAME/ODOO_PASSWORD for XML-RPC, ODOO_ADMIN_* for the external-ID cases), counted with
``client.request_count``:

* **cold**: a fresh client, as every CLI call and every platform invocation has (no cache).
* **warm**: the same case again on the same client (``fields_get`` cached, XML-RPC uid known), as
  a long-lived caller such as the poll runner has.

Records it creates are named ``bench-calls-*`` and deleted at the end, external IDs live in the
module ``__bench__`` and are removed too. The credentials are only passed to the connector; they
are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common import emit_json, print_table, real_connection

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.client.base import OdooClient
from odoo_connector.errors import OdooConnectorError

BENCH_MODULE = "__bench__"
# (connection type, as admin) -> connection settings, or None when the environment lacks them
Connections = dict[tuple[str, bool], dict[str, Any] | None]


@dataclass
class Context:
    """Helper clients (not counted) for fixtures and clean-up, and what to clean up."""

    user: OdooClient
    admin: OdooClient | None
    tag: str
    created: list[int] = field(default_factory=list)
    serial: int = 0

    def name(self, what: str) -> str:
        self.serial += 1
        return f"bench-calls-{self.tag}-{what}-{self.serial}"

    def partner(self) -> int:
        new_id = self.user.call("res.partner", "create", vals_list=[{"name": self.name("fixture")}])
        record_id = int(new_id[0] if isinstance(new_id, list) else new_id)
        self.created.append(record_id)
        return record_id


@dataclass
class Case:
    key: str
    label: str
    inputs: Callable[[Context], dict[str, Any]]
    target: Callable[[int], bool] | None = None
    target_text: str = ""
    admin: bool = False
    connections: tuple[str, ...] = ("odooApiKey", "odooBasicAuth")
    keeps: Callable[[Any], int | None] = lambda _data: None


def at_most(limit: int) -> Callable[[int], bool]:
    """A target check: no more than ``limit`` requests."""
    return lambda n: n <= limit


def _new_id(data: Any) -> int | None:
    return int(data) if isinstance(data, int) else None


def cases(ctx: Context, countries: int, page: int) -> list[Case]:
    # ceil(N/page) pages (no trailing empty page since pages ask for page + 1 rows), + 1 fields_get
    # for the default field list when fields are omitted
    pages = math.ceil(countries / page)
    return [
        Case("createRecord", "no external ID", lambda c: {"model": "res.partner",
             "parameters": {"name": c.name("create")}}, at_most(1), "1", keeps=_new_id),
        Case("createRecord", "with external ID (admin)", lambda c: {"model": "res.partner",
             "parameters": {"name": c.name("create-xid")}, "externalId": f"{BENCH_MODULE}.{c.name('c')}"
             .replace("-", "_")}, at_most(3), "<= 3", admin=True, keeps=_new_id),
        Case("updateRecord", "", lambda c: {"model": "res.partner", "recordId": c.partner(),
             "parameters": {"phone": "+32 2 555 01 00"}}, at_most(1), "1"),
        Case("deleteRecordById", "", lambda c: {"model": "res.partner", "recordId": c.partner()},
             at_most(1), "1"),
        Case("getRecordById", "fields given", lambda c: {"model": "res.partner", "recordId": 1,
             "fields": ["name", "email"]}, at_most(1), "1"),
        Case("getRecordById", "fields omitted", lambda c: {"model": "res.partner", "recordId": 1},
             at_most(1), "1"),
        Case("getRecordByExternalId", "fields given", lambda c: {"externalId": "base.main_company",
             "fields": ["name"]}, at_most(2), "2"),
        Case("getRecordByExternalId", "fields omitted", lambda c: {"externalId": "base.main_company"},
             at_most(2), "2"),
        Case("setExternalId", "(admin)", lambda c: {"model": "res.partner", "recordId": c.partner(),
             "externalId": f"{BENCH_MODULE}.{c.name('s')}".replace("-", "_")}, at_most(3), "<= 3",
             admin=True),
        Case("listRecords", "limit 10, fields given", lambda c: {"model": "res.partner", "limit": 10,
             "fields": ["name"]}, at_most(1), "1"),
        Case("listRecords", "limit 10, fields omitted", lambda c: {"model": "res.partner", "limit": 10},
             at_most(1), "1"),
        Case("listRecords", f"fetchAll res.country N={countries} pageSize {page}, fields given",
             lambda c: {"model": "res.country", "fetchAll": True, "pageSize": page, "fields": ["name"]},
             at_most(pages), f"ceil(N/page) = {pages}"),
        Case("listRecords", f"fetchAll res.country N={countries} pageSize {page}, fields omitted",
             lambda c: {"model": "res.country", "fetchAll": True, "pageSize": page},
             at_most(pages + 1), f"ceil(N/page)+1 = {pages + 1}"),
        Case("listModels", "", lambda c: {"limit": 10}, at_most(1), "1"),
        Case("listModelFields", "", lambda c: {"model": "res.partner"}, at_most(1), "1"),
        Case("rawHttpRequest", "GET /web/version", lambda c: {"url": "/web/version", "method": "GET"},
             at_most(1), "1", connections=("odooApiKey",)),
        Case("rawRequest", "search_count", lambda c: {"model": "res.partner", "method": "search_count",
             "parameters": [[]]}, at_most(1), "1", connections=("odooBasicAuth",)),
        Case("selectModel", "", lambda c: {}, at_most(1), "1"),
        Case("selectRecordById", "", lambda c: {"model": "res.partner", "limit": 20}, at_most(1), "1"),
    ]


def count(client: OdooClient, key: str, conn: Any, inputs: dict[str, Any],
          state: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    before = client.request_count
    out = invoke(key, conn, inputs, client=client, state=state)
    return client.request_count - before, out


def run_case(case: Case, ctx: Context, connections: Connections) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind in case.connections:
        conn_data = connections.get((kind, case.admin))
        if conn_data is None:
            figures[kind] = None
            continue
        conn = parse_connection(conn_data)
        with make_client(conn) as client:
            try:
                cold, out = count(client, case.key, conn, case.inputs(ctx))
                kept = case.keeps(out["data"])
                if kept:
                    ctx.created.append(kept)
                warm, out = count(client, case.key, conn, case.inputs(ctx))
                kept = case.keeps(out["data"])
                if kept:
                    ctx.created.append(kept)
                figures[kind] = (cold, warm)
            except OdooConnectorError as exc:
                figures[kind] = f"error: {exc.message[:60]}"
    return figures


def poll_rows(connections: Connections, ctx: Context) -> list[dict[str, Any]]:
    """pollChangesTrigger over a domain only this run's records match: first poll, idle poll, and a
    poll after 3 records were created; cold = fresh client per poll, warm = one client throughout."""
    results: list[dict[str, Any]] = []
    for fields_label, extra in (("fields given", {"fields": ["name"]}), ("fields omitted", {})):
        per_kind: dict[str, dict[str, tuple[int, int]]] = {}
        for kind in ("odooApiKey", "odooBasicAuth"):
            conn_data = connections.get((kind, False))
            if conn_data is None:
                continue
            conn = parse_connection(conn_data)
            steps: dict[str, list[int]] = {"first poll (baseline)": [], "idle poll": [], "3 created": []}
            for mode in ("cold", "warm"):
                marker = ctx.name(f"poll-{kind}-{mode}")
                inputs = {"model": "res.partner", "domain": [["name", "=like", marker + "%"]], **extra}
                shared = make_client(conn)
                state: dict[str, Any] | None = None
                for step in steps:
                    if step == "3 created":
                        for i in range(3):
                            new_id = ctx.user.call("res.partner", "create",
                                                   vals_list=[{"name": f"{marker}-{i}"}])
                            ctx.created.append(int(new_id[0] if isinstance(new_id, list) else new_id))
                    client = shared if mode == "warm" else make_client(conn)
                    n, out = count(client, "pollChangesTrigger", conn, inputs, state)
                    state = out["state"]
                    if client is not shared:
                        client.close()
                    steps[step].append(n)
                shared.close()
            per_kind[kind] = {step: (v[0], v[1]) for step, v in steps.items()}
        # With fields given the pages carry the records: ceil(N/page); without, + 1 for fields_get.
        created = ("ceil(3/500) = 1", 1) if extra else ("ceil(3/500)+1 = 2", 2)
        targets = {"first poll (baseline)": ("-", None), "idle poll": ("1", 1), "3 created": created}
        for step, (text, limit) in targets.items():
            results.append({"key": "pollChangesTrigger", "label": f"{step}, {fields_label}",
                            "figures": {k: v[step] for k, v in per_kind.items()},
                            "target_text": text, "limit": limit})
    return results


def cleanup(ctx: Context) -> None:
    if ctx.created:
        try:
            ctx.user.call("res.partner", "unlink", sorted(set(ctx.created)))
        except OdooConnectorError:  # some were deleted by the deleteRecordById case
            for record_id in sorted(set(ctx.created)):
                with contextlib.suppress(OdooConnectorError):
                    ctx.user.call("res.partner", "unlink", [record_id])
    if ctx.admin is not None:
        left = ctx.admin.call("ir.model.data", "search", domain=[["module", "=", BENCH_MODULE]])
        if left:
            ctx.admin.call("ir.model.data", "unlink", left)
    leftovers = ctx.user.call("res.partner", "search_count",
                              domain=[["name", "=like", f"bench-calls-{ctx.tag}-%"]])
    print(f"\nClean-up: {len(set(ctx.created))} records deleted, {leftovers} left behind.")


def _cell(value: Any, index: int) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return str(value[index])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry: the run is short anyway")
    parser.parse_args()
    connections: Connections = {
        ("odooApiKey", False): real_connection("odooApiKey"),
        ("odooBasicAuth", False): real_connection("odooBasicAuth"),
        ("odooApiKey", True): real_connection("odooApiKey", admin=True),
        ("odooBasicAuth", True): real_connection("odooBasicAuth", admin=True),
    }
    user_conn = connections[("odooApiKey", False)]
    if user_conn is None:
        print("calls_per_job needs a real Odoo: set ODOO_URL, ODOO_DB and ODOO_API_KEY "
              "(and ODOO_USERNAME/ODOO_PASSWORD, ODOO_ADMIN_API_KEY for all rows).")
        emit_json("calls_per_job", {"skipped": "no real Odoo configured"})
        return
    admin_conn = connections[("odooApiKey", True)]
    ctx = Context(
        user=make_client(parse_connection(user_conn)),
        admin=make_client(parse_connection(admin_conn)) if admin_conn else None,
        tag=str(int(time.time())),
    )
    countries = int(ctx.user.call("res.country", "search_count", domain=[]))
    page = 100
    results: list[dict[str, Any]] = []
    try:
        for case in cases(ctx, countries, page):
            figures = run_case(case, ctx, connections)
            results.append({"key": case.key, "label": case.label, "figures": figures,
                            "target_text": case.target_text, "check": case.target})
        for row in poll_rows(connections, ctx):
            limit = row.pop("limit")
            row["check"] = None if limit is None else at_most(limit)
            results.append(row)
    finally:
        cleanup(ctx)
        ctx.user.close()
        if ctx.admin is not None:
            ctx.admin.close()

    rows = []
    machine: list[dict[str, Any]] = []
    for res in results:
        figs = res["figures"]
        json2, xml = figs.get("odooApiKey"), figs.get("odooBasicAuth")
        check = res["check"]
        verdict = "-"
        primary = json2 if json2 is not None else xml  # rawRequest exists on XML-RPC only
        if check is not None and isinstance(primary, tuple):
            cold_ok, warm_ok = check(primary[0]), check(primary[1])
            verdict = "met" if cold_ok and warm_ok else ("warm only" if warm_ok else "MISSED")
        rows.append([res["key"], res["label"], _cell(json2, 0), _cell(json2, 1), _cell(xml, 0), _cell(xml, 1),
                     res["target_text"] or "-", verdict])
        machine.append({"key": res["key"], "case": res["label"], "json2": json2, "xmlrpc": xml,
                        "target": res["target_text"], "verdict": verdict})
    print_table(
        "HTTP requests per job against the real Odoo (cold = fresh client, warm = same client again); "
        "verdict on JSON-2 (XML-RPC for rawRequest)",
        ["key", "case", "JSON-2 cold", "JSON-2 warm", "XML-RPC cold", "XML-RPC warm", "target", "verdict"],
        rows,
    )
    emit_json("calls_per_job", {"countries": countries, "page": page, "rows": machine})


if __name__ == "__main__":
    main()

"""upsertRecords by external ID into a large model against the per-row loop, side by side (issue 30).

Against the real Odoo named by the environment (ODOO_URL, ODOO_DB, ODOO_API_KEY: the ordinary
user, who cannot read ``ir.model.data``; ODOO_ADMIN_API_KEY only to create the filler partners):

1. **Filler**: ``--target`` partners in res.partner (default 100 000), created once as admin by
   ``load`` in chunks of 2000, named ``bench-xmlid-NNNNNN`` (kept for the next run; ``--shrink``
   deletes them afterwards, for the small-model figures).
2. **Unit costs**, side by side: one ``check_object_reference`` against scanning one record
   (``search`` + ``get_metadata`` of 10 000 ids): their ratio is known_ids.CHECK_COST.
3. **One connection** (what the runner or a server does with a pooled client): ``--rows``
   partners upserted by external ID (new), then with half changed, then the same again.
4. **A new connection per run** (a CLI process per run): the half-changed and the unchanged runs
   again, each on a connection that has not seen the IDs.
5. **The per-row loop**, on ``--sample`` rows (createRecord, updateRecord, updateRecord again;
   upsertRecord new, changed, same), multiplied to ``--rows``.

Wall time, requests by method and ratios per run. Records named ``bench-batch-*`` are deleted at
the end. The machine may be shared: the ratios are of paths measured one after the other in this
run.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import time
from typing import Any

from batch_upsert import MODEL, cleanup, count_methods, per_row_loop, rows, timed_upsert
from common import emit_json, print_table, real_connection

from odoo_connector import make_client, parse_connection
from odoo_connector.actions import known_ids
from odoo_connector.actions.batch import DEFAULT_BATCH_SIZE
from odoo_connector.errors import OdooConnectorError

FILLER = "bench-xmlid-"
CONTEXT = {"active_test": False, "tracking_disable": True}


def model_size(client: Any) -> int:
    return int(client.call(MODEL, "search_count", domain=[], context={"active_test": False}))


def fill(admin: Any, target: int) -> None:
    """Filler partners until res.partner holds ``target`` records (as admin, by load)."""
    total = model_size(admin)
    done = int(admin.call(MODEL, "search_count", domain=[["name", "=like", f"{FILLER}%"]], context=CONTEXT))
    while total < target:
        count = min(2000, target - total)
        data = [[f"{FILLER}{i:06d}", f"bx{i}@bench-xmlid.example"] for i in range(done, done + count)]
        answer = admin.call(MODEL, "load", fields=["name", "email"], data=data, context=CONTEXT)
        assert answer["ids"], answer["messages"][:2]
        done, total = done + count, total + count
        print(f"filler: {total} partners", file=sys.stderr)


def shrink(admin: Any) -> int:
    """Deletes the filler partners (a chunk Odoo refuses, because another test used one of them,
    is deleted 100 at a time, skipping what stays refused); how many were deleted."""
    ids = admin.call(MODEL, "search", domain=[["name", "=like", f"{FILLER}%"]], context=CONTEXT)
    deleted = 0
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        try:
            admin.call(MODEL, "unlink", chunk)
            deleted += len(chunk)
        except OdooConnectorError:
            for first in range(0, len(chunk), 100):
                with contextlib.suppress(OdooConnectorError):
                    admin.call(MODEL, "unlink", chunk[first : first + 100])
                    deleted += len(chunk[first : first + 100])
        print(f"filler: {deleted} deleted", file=sys.stderr)
    return deleted


def unit_costs(client: Any, checks: int = 50, scanned: int = 10_000) -> dict[str, float]:
    """ms per check_object_reference and per record scanned, one after the other."""
    start = time.perf_counter()
    for _ in range(checks):
        client.call("ir.model.data", "check_object_reference", module="base", xml_id="main_partner")
    check_ms = 1000 * (time.perf_counter() - start) / checks
    start = time.perf_counter()
    ids = client.call(MODEL, "search", domain=[], limit=scanned, context={"active_test": False})
    for first in range(0, len(ids), known_ids.METADATA_CHUNK):
        client.call(MODEL, "get_metadata", ids[first : first + known_ids.METADATA_CHUNK])
    scan_ms = 1000 * (time.perf_counter() - start) / max(1, len(ids))
    return {"check_ms": check_ms, "scan_ms_per_record": scan_ms, "ratio": check_ms / scan_ms}


def phase(conn: dict[str, Any], label: str, count: int, sample: int) -> dict[str, Any]:
    run = secrets.token_hex(3)
    size = DEFAULT_BATCH_SIZE
    out: dict[str, Any] = {"label": label}
    with make_client(parse_connection(conn)) as client:
        out["partners"] = model_size(client)
        out["unit"] = unit_costs(client)
        methods = count_methods(client)
        tag = f"{run}x"
        warm = [
            timed_upsert(conn, client, methods, rows(tag, count), size),
            timed_upsert(conn, client, methods, rows(tag, count, changed=True), size),
            timed_upsert(conn, client, methods, rows(tag, count, changed=True), size),
        ]
        assert warm[1]["ids"] == warm[0]["ids"] and warm[1]["created"] == 0
    cold = []
    for changed in (False, False):  # back to the first values (half changed), then the same again
        with make_client(parse_connection(conn)) as fresh:
            methods = count_methods(fresh)
            cold.append(timed_upsert(conn, fresh, methods, rows(tag, count, changed=changed), size))
    with make_client(parse_connection(conn)) as client:
        loop = per_row_loop(conn, client, f"{run}l", sample)
        out["left_behind"] = cleanup(conn, client)
    table = []
    for name, batch, loop_ms in (
        ("new (one connection)", warm[0], loop["create_ms_per_row"]),
        ("half changed (one connection)", warm[1], loop["update_ms_per_row"]),
        ("unchanged (one connection)", warm[2], loop["same_ms_per_row"]),
        ("half changed (new connection)", cold[0], loop["update_ms_per_row"]),
        ("unchanged (new connection)", cold[1], loop["same_ms_per_row"]),
    ):
        loop_s = loop_ms * count / 1000
        shown = " ".join(f"{m} {c}" for m, c in sorted(batch["methods"].items()))
        table.append(
            (
                name,
                batch["wall_s"],
                batch["requests"],
                shown,
                batch["unchanged"],
                loop_s,
                loop_s / batch["wall_s"],
            )
        )
    print_table(
        f"{label}: {count} res.partner rows by external ID into {out['partners']} partners; loop on "
        f"{sample} rows x {count / sample:g}; check_object_reference {out['unit']['check_ms']:.1f} ms, "
        f"scan {out['unit']['scan_ms_per_record']:.3f} ms/record (ratio {out['unit']['ratio']:.0f})",
        ["run", "upsertRecords s", "requests", "by method", "unchanged", "loop s", "ratio"],
        table,
    )
    keys = ("run", "wall_s", "requests", "methods", "unchanged", "loop_s", "ratio")
    out["runs"] = [dict(zip(keys, r, strict=True)) for r in table]
    out["loop_ms_per_row"] = {k: v for k, v in loop.items() if k.endswith("ms_per_row")}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=100, help="rows of the per-row loop")
    parser.add_argument("--target", type=int, default=100_000, help="partners in the large model")
    parser.add_argument("--no-fill", action="store_true", help="measure at the model's present size")
    parser.add_argument("--label", default="large model", help="the first phase's title")
    parser.add_argument("--shrink", action="store_true", help="then delete the filler and measure again")
    args = parser.parse_args()
    conn, admin_conn = real_connection("odooApiKey"), real_connection("odooApiKey", admin=True)
    if conn is None or admin_conn is None:
        print(
            "upsert_large_model: skipped, no real Odoo (ODOO_URL, ODOO_DB, ODOO_API_KEY, ODOO_ADMIN_API_KEY)"
        )
        return 0
    results: dict[str, Any] = {"rows": args.rows, "sample": args.sample, "phases": []}
    with make_client(parse_connection(admin_conn)) as admin:
        if not args.no_fill:
            fill(admin, args.target)
        results["phases"].append(phase(conn, args.label, args.rows, args.sample))
        if args.shrink:
            results["filler_deleted"] = shrink(admin)
            results["phases"].append(phase(conn, "small model", args.rows, args.sample))
    emit_json("upsert_large_model", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

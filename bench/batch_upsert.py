"""Batch upsert: upsertRecords (Odoo's import engine, ``load``) against one action per row.

Against the real Odoo named by the environment (ODOO_URL, ODOO_DB, ODOO_API_KEY; JSON-2), as the
ordinary user the connector is built for:

1. **batchSize sweep**: ``--sweep-rows`` new partners upserted by external ID, then the same rows
   again with half changed (compared with the records: skipUnchanged, the default), then changed
   back with ``skipUnchanged: false`` (every row through ``load``, the path before comparing), for
   each size in ``--sizes``; ms per row.
2. **The issue's run**: ``--rows`` partners (default 10 000) upserted by external ID (all new),
   then again with half of them changed (``function``), then the same file a third time (nothing
   changed); wall time and requests by method per run.
3. **Side by side, the per-row loop** the way workflow tools run it: one ``createRecord`` per row,
   then one ``updateRecord`` per row with the same half changed, then the same again; and one
   ``upsertRecord`` per row for the three runs; on ``--sample`` rows (measuring 10 000 one by one
   takes minutes); its time per row is multiplied by ``--rows`` to compare.
4. **Peak RSS**: ``odoo-connector run upsertRecords --input-jsonl FILE`` in a subprocess for a
   small and a large file; the figure is the child's peak resident set.

Records are named ``bench-batch-*`` with external IDs in the module ``__bench__``, and deleted at
the end (deleteRecords); the number left behind is reported (should be 0).
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
from collections import Counter
from pathlib import Path
from typing import Any

from common import emit_json, print_table, real_connection

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.actions.batch import DEFAULT_BATCH_SIZE

MODEL = "res.partner"


def rows(tag: str, count: int, start: int = 0, changed: bool = False) -> list[dict[str, Any]]:
    """Partner rows named by external ID; ``changed`` alters every other row's job position."""
    out = []
    for i in range(start, start + count):
        function = "Buyer (changed)" if changed and i % 2 == 0 else "Buyer"
        out.append(
            {
                "externalId": f"__bench__.{tag}_{i}",
                "parameters": {
                    "name": f"bench-batch-{tag} {i}",
                    "email": f"{tag}.{i}@bench.example",
                    "ref": f"B{i:06d}",
                    "function": function,
                },
            }
        )
    return out


def count_methods(client: Any) -> Counter[str]:
    """Counts the client's calls by method from now on (the figures say which requests a run
    made, not only how many)."""
    counts: Counter[str] = Counter()
    real = client.call

    def call(model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        counts[method] += 1
        return real(model, method, *args, **kwargs)

    client.call = call
    return counts


def timed_upsert(
    conn: dict[str, Any],
    client: Any,
    methods: Counter[str],
    records: list[dict[str, Any]],
    size: int,
    **inputs: Any,
) -> dict[str, Any]:
    methods.clear()
    before, start = client.request_count, time.perf_counter()
    data = invoke(
        "upsertRecords",
        conn,
        {"model": MODEL, "records": records, "batchSize": size, **inputs},
        client=client,
    )["data"]
    wall = time.perf_counter() - start
    assert data["failed"] == 0, data
    return {
        "wall_s": wall,
        "ms_per_row": 1000 * wall / len(records),
        "requests": client.request_count - before,
        "methods": dict(methods),
        "writes": methods["load"] + methods["web_save_multi"],
        "created": data["created"],
        "unchanged": data.get("unchanged", 0),
        "ids": [r["id"] for r in data["rows"]],
    }


def per_row_loop(conn: dict[str, Any], client: Any, tag: str, count: int) -> dict[str, Any]:
    """createRecord per row, then updateRecord per row (half changed), as a workflow loop does
    when it kept the ids; then upsertRecord per row (by external ID, new then half changed)."""
    records = rows(f"{tag}c", count)
    start = time.perf_counter()
    ids = [
        invoke("createRecord", conn, {"model": MODEL, "parameters": r["parameters"]}, client=client)["data"]
        for r in records
    ]
    create_s = time.perf_counter() - start
    changed = rows(f"{tag}c", count, changed=True)
    start = time.perf_counter()
    for record_id, row in zip(ids, changed, strict=True):
        # the same four fields upsertRecords writes: a flow that does not know what changed sends all
        params = row["parameters"]
        invoke(
            "updateRecord", conn, {"model": MODEL, "recordId": record_id, "parameters": params}, client=client
        )
    update_s = time.perf_counter() - start
    start = time.perf_counter()
    for record_id, row in zip(ids, changed, strict=True):  # the same file again: a loop writes it all
        invoke(
            "updateRecord",
            conn,
            {"model": MODEL, "recordId": record_id, "parameters": row["parameters"]},
            client=client,
        )
    same_s = time.perf_counter() - start
    upserts = []
    for changed_half in (False, True, True):
        start = time.perf_counter()
        for row in rows(f"{tag}u", count, changed=changed_half):
            invoke("upsertRecord", conn, {"model": MODEL, **row}, client=client)
        upserts.append(1000 * (time.perf_counter() - start) / count)
    return {
        "create_ms_per_row": 1000 * create_s / count,
        "update_ms_per_row": 1000 * update_s / count,
        "same_ms_per_row": 1000 * same_s / count,
        "upsert_new_ms_per_row": upserts[0],
        "upsert_changed_ms_per_row": upserts[1],
        "upsert_same_ms_per_row": upserts[2],
        "ids": ids,
    }


def cli_peak_rss(conn: dict[str, Any], tag: str, count: int, size: int) -> dict[str, Any]:
    """Peak RSS (KiB) of ``odoo-connector run upsertRecords --input-jsonl`` over ``count`` rows."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "rows.jsonl")
        with source.open("w", encoding="utf-8") as handle:
            for first in range(0, count, 1000):
                for row in rows(tag, min(1000, count - first), first):
                    handle.write(json.dumps(row) + "\n")
        env = {**os.environ, "ODOO_API_KEY": conn["apiKey"]}
        script = (
            "import resource, sys\n"
            "from odoo_connector.cli import main\n"
            "code = main(sys.argv[1:])\n"
            "sys.stderr.write('PEAK %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
            "sys.exit(code)\n"
        )
        args = ["run", "upsertRecords", "--quiet", "--input", json.dumps({"model": MODEL, "batchSize": size})]
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", script, *args, "--input-jsonl", str(source)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"the CLI failed ({done.returncode}): {done.stderr[-500:]}")
    peak = int(done.stderr.strip().splitlines()[-1].split()[1])
    report = [json.loads(line) for line in done.stdout.splitlines()]
    return {
        "rows": count,
        "peak_rss_kib": peak,
        "wall_s": wall,
        "ids": [r["id"] for r in report if "id" in r],
    }


def cleanup(conn: dict[str, Any], client: Any) -> int:
    found = invoke(
        "listRecords",
        conn,
        {
            "model": MODEL,
            "domain": [["name", "=like", "bench-batch-%"], ["active", "in", [True, False]]],
            "fields": ["id"],
            "fetchAll": True,
        },
        client=client,
    )["data"]
    if found:
        invoke(
            "deleteRecords",
            conn,
            {"model": MODEL, "records": [{"recordId": r["id"]} for r in found]},
            client=client,
        )
    left = invoke(
        "listRecords",
        conn,
        {"model": MODEL, "domain": [["name", "=like", "bench-batch-%"]], "fields": ["id"], "fetchAll": True},
        client=client,
    )["data"]
    return len(left)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500, help="rows of the per-row loop")
    parser.add_argument("--sweep-rows", type=int, default=2000)
    parser.add_argument("--sizes", default="100,250,500,1000,2000")
    parser.add_argument("--rss-rows", default="2000,10000", help="two file sizes for the CLI's peak RSS")
    parser.add_argument(
        "--rss-batch-size",
        type=int,
        default=100,
        help="batchSize of the RSS runs: the CLI reads 20 batches at a time, so 100 makes chunks of 2000 "
        "rows and a 10 000-row file five chunks",
    )
    parser.add_argument("--only-rss", action="store_true", help="just the CLI's peak RSS")
    parser.add_argument("--quick", action="store_true", help="1000 rows, sample 100, sweep 400 rows")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.sample, args.sweep_rows, args.rss_rows = 1000, 100, 400, "500,2000"
    conn = real_connection("odooApiKey")
    if conn is None:
        print("batch_upsert: skipped, no real Odoo (set ODOO_URL, ODOO_DB, ODOO_API_KEY)")
        return 0
    run = secrets.token_hex(3)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, Any] = {"rows": args.rows, "sample": args.sample, "run": run}
    with make_client(parse_connection(conn)) as client:
        methods = count_methods(client)
        try:
            if args.only_rss:
                results["cli_rss"] = measure_rss(conn, run, args)
                return 0
            sweep = []
            for size in sizes:
                tag = f"{run}s{size}"
                new = timed_upsert(conn, client, methods, rows(tag, args.sweep_rows), size)
                again = timed_upsert(conn, client, methods, rows(tag, args.sweep_rows, changed=True), size)
                as_given = timed_upsert(
                    conn, client, methods, rows(tag, args.sweep_rows), size, skipUnchanged=False
                )
                sweep.append(
                    (
                        size,
                        new["ms_per_row"],
                        again["ms_per_row"],
                        as_given["ms_per_row"],
                        new["writes"],
                        again["writes"],
                    )
                )
            print_table(
                f"batchSize sweep: {args.sweep_rows} rows upserted by external ID (new; half changed, "
                "compared; half changed back, skipUnchanged false: every row through load)",
                [
                    "batchSize",
                    "create ms/row",
                    "update ms/row",
                    "update as given ms/row",
                    "writes new",
                    "writes update",
                ],
                sweep,
            )
            best = min(sweep, key=lambda s: s[1] + s[2])[0]
            results["sweep"] = [
                {"batchSize": s[0], "create_ms": s[1], "update_ms": s[2], "update_as_given_ms": s[3]}
                for s in sweep
            ]
            results["best_batch_size"] = best

            size = DEFAULT_BATCH_SIZE
            tag = f"{run}m"
            first = timed_upsert(conn, client, methods, rows(tag, args.rows), size)
            second = timed_upsert(conn, client, methods, rows(tag, args.rows, changed=True), size)
            third = timed_upsert(conn, client, methods, rows(tag, args.rows, changed=True), size)
            assert second["ids"] == first["ids"] and second["created"] == 0
            assert third["unchanged"] == args.rows and third["writes"] == 0
            loop = per_row_loop(conn, client, f"{run}l", args.sample)
            n = args.rows
            table = []
            for label, batch, loop_ms, upsert_ms in (
                ("1: all new", first, loop["create_ms_per_row"], loop["upsert_new_ms_per_row"]),
                ("2: half changed", second, loop["update_ms_per_row"], loop["upsert_changed_ms_per_row"]),
                ("3: the same again", third, loop["same_ms_per_row"], loop["upsert_same_ms_per_row"]),
            ):
                loop_s, upsert_s = loop_ms * n / 1000, upsert_ms * n / 1000
                wall = batch["wall_s"]
                shown = " ".join(f"{m} {c}" for m, c in sorted(batch["methods"].items()))
                table.append(
                    (
                        label,
                        wall,
                        batch["requests"],
                        shown,
                        batch["unchanged"],
                        loop_s,
                        loop_s / wall,
                        upsert_s,
                        upsert_s / wall,
                    )
                )
            print_table(
                f"{n} res.partner rows by external ID, batchSize {size}; per-row loops measured on "
                f"{args.sample} rows and multiplied by {n / max(1, args.sample):g}",
                [
                    "run",
                    "upsertRecords s",
                    "requests",
                    "by method",
                    "unchanged",
                    "create/updateRecord loop s",
                    "ratio",
                    "upsertRecord loop s",
                    "ratio",
                ],
                table,
            )
            keys = (
                "run",
                "wall_s",
                "requests",
                "methods",
                "unchanged",
                "loop_s",
                "ratio",
                "upsert_loop_s",
                "upsert_ratio",
            )
            results["runs"] = [dict(zip(keys, r, strict=True)) for r in table]
            results["loop_ms_per_row"] = {k: v for k, v in loop.items() if k.endswith("ms_per_row")}

            results["cli_rss"] = measure_rss(conn, run, args)
        finally:
            results["left_behind"] = cleanup(conn, client)
            print(f"\nrecords left behind: {results['left_behind']}")
            emit_json("batch_upsert", results)
    return 0


def measure_rss(conn: dict[str, Any], run: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    size = args.rss_batch_size
    rss = [cli_peak_rss(conn, f"{run}r{n}", int(n), size) for n in args.rss_rows.split(",")]
    print_table(
        f"odoo-connector run upsertRecords --input-jsonl, batchSize {size} (chunks of {20 * size} rows): "
        "the child's peak RSS",
        ["rows in the file", "peak RSS MiB", "wall s"],
        [(r["rows"], r["peak_rss_kib"] / 1024, r["wall_s"]) for r in rss],
    )
    return [{"rows": r["rows"], "peak_rss_mib": r["peak_rss_kib"] / 1024, "wall_s": r["wall_s"]} for r in rss]


if __name__ == "__main__":
    sys.exit(main())

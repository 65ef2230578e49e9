"""fetchAll memory and time: listRecords with fetchAll against streaming, over a paging fake server.

Every configuration runs in its own subprocess, so one run's heap never inflates another's peak;
the peak resident set (VmHWM, or ``wait4``'s ``ru_maxrss`` for the CLI) is read per process.

Modes:

* ``baseline``  imports, one client, one 1-record call: the process's fixed cost.
* ``output``    the same pages decoded with ``json.loads`` and kept, no HTTP and no connector:
                the size of "the output itself" that any list-returning API must hold.
* ``list``      ``invoke("listRecords", fetchAll=True)``: returns a list, so it must hold the
                output; the figure to watch is what it holds *beyond* it (peak - output - base).
* ``iter``      ``iter_records(...)`` consumed record by record: the Python streaming path.
* ``cli-jsonl`` ``odoo-connector run listRecords --jsonl`` to /dev/null: the CLI streaming path.
* ``cli-json``  ``odoo-connector run listRecords`` (fetchAll, one JSON document) to /dev/null.

Targets: ``list`` peak grows with N no more than ``output`` does (within 2 MiB); ``iter`` and
``cli-jsonl`` peaks are flat in N: from the smallest to the largest N they grow by less than 5 %
of what holding the output grows by. (Not "zero": a page body or two and allocator noise.)
Requests: ceil(N/page) pages + 1 ``fields_get`` (no ``fields`` are given, so the default field
list is asked for), with no trailing empty page even when N is a multiple of the page size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import FAKE_DB, emit_json, peak_rss_kib, print_table, rss_kib
from fake_odoo import running_server, synthetic_record

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).with_name("odoo-connector")
BEYOND_KIB = 2048
FLAT_SHARE = 0.05
MODES = ("baseline", "output", "list", "iter", "cli-jsonl", "cli-json")


def _inputs(records: int, page: int) -> dict[str, Any]:
    return {"model": "res.partner", "domain": [["id", "<=", records]], "fetchAll": True, "pageSize": page}


def child(mode: str, url: str, records: int, page: int) -> None:
    """Runs one configuration in this process and prints its figures as one JSON line."""
    from odoo_connector import invoke, iter_records, make_client, parse_connection

    conn = parse_connection({"type": "odooApiKey", "baseUrl": url, "database": FAKE_DB, "apiKey": "bench"})
    client = make_client(conn)
    client.call("res.partner", "read", [1], fields=["name"])  # imports and the connection are warm
    base = rss_kib()
    start = time.perf_counter()
    count, held = 0, None
    if mode == "output":
        held = []
        for first in range(1, records + 1, page):
            text = json.dumps([synthetic_record(i) for i in range(first, min(first + page, records + 1))])
            held.extend(json.loads(text))
        count = len(held)
    elif mode == "list":
        held = invoke("listRecords", conn, _inputs(records, page), client=client)["data"]
        count = len(held)
    elif mode == "iter":
        for _record in iter_records(client, "res.partner", domain=[["id", "<=", records]], page_size=page):
            count += 1
    elapsed = time.perf_counter() - start
    out = {"mode": mode, "records": count, "seconds": elapsed, "base_kib": base,
           "peak_kib": peak_rss_kib(), "end_kib": rss_kib(), "requests": client.request_count - 1}
    print(json.dumps(out), flush=True)
    del held


def run_config(mode: str, url: str, records: int, page: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO_")}
    if mode.startswith("cli"):
        if not CLI.exists():
            raise SystemExit(f"{CLI} not found: install the package (pip install -e .) first")
        env.update(ODOO_URL=url, ODOO_DB=FAKE_DB, ODOO_API_KEY="bench")
        argv = [str(CLI), "run", "listRecords", "--quiet", "--input", json.dumps(_inputs(records, page))]
        if mode == "cli-jsonl":
            argv.insert(3, "--jsonl")
        start = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            proc = subprocess.Popen(argv, stdout=sink, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{mode} failed with exit status {proc.returncode}")
        return {"mode": mode, "records": records, "seconds": elapsed, "base_kib": None,
                "peak_kib": int(usage.ru_maxrss), "end_kib": None, "requests": None}
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, url, str(records), str(page)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} {records} {page} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller counts (about 30 s)")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "URL", "RECORDS", "PAGE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, records, page = args.child
        child(mode, url, int(records), int(page))
        return

    counts = [5_000, 10_000, 20_000] if args.quick else [10_000, 50_000, 100_000]
    pages = [100, 500, 2000]
    largest, default_page = counts[-1], 500
    mib = 1024.0
    results: list[dict[str, Any]] = []
    with running_server(records=largest) as url:
        baseline = run_config("baseline", url, 1, default_page)
        base_peak = baseline["peak_kib"]
        results.append({**baseline, "page": default_page})

        rows = []
        for page in pages:
            out = run_config("output", url, largest, page)
            expected = math.ceil(largest / page) + 1  # pages + fields_get for the default fields
            for mode in ("list", "iter"):
                res = {**run_config(mode, url, largest, page), "page": page, "expected_requests": expected}
                results.append(res)
                extra = res["requests"] - expected
                rows.append([mode, page, res["records"], res["requests"],
                             f"ceil(N/page)+1 = {expected}", "met" if extra <= 0 else f"MISSED (+{extra})",
                             f"{res['seconds']:.2f}",
                             f"{res['records'] / res['seconds']:.0f}", f"{res['peak_kib'] / mib:.1f}",
                             f"{(res['peak_kib'] - out['peak_kib']) / mib:+.1f}"])
            results.append({**out, "page": page})
        print_table(
            f"fetchAll of {largest} records by page size (baseline process peak {base_peak / mib:.1f} MiB)",
            ["mode", "page", "records", "requests", "requests target", "", "seconds", "records/s", "peak MiB",
             "peak - output-only peak MiB"],
            rows,
        )

        by_mode: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in MODES[1:]}
        for records in counts:
            for mode in MODES[1:]:
                res = {**run_config(mode, url, records, default_page), "page": default_page}
                by_mode[mode][records] = res
                results.append(res)
        rows = []
        verdicts: dict[str, Any] = {}
        output_growth = (by_mode["output"][largest]["peak_kib"] - by_mode["output"][counts[0]]["peak_kib"])
        for mode, per_count in by_mode.items():
            peaks = [per_count[n]["peak_kib"] for n in counts]
            growth = peaks[-1] - peaks[0]
            if mode in ("iter", "cli-jsonl"):
                share = growth / output_growth if output_growth > 0 else 0.0
                verdict = f"{share:.1%} of output growth: " + (
                    "flat, met" if share < FLAT_SHARE else "MISSED")
            elif mode in ("list", "cli-json"):
                beyond = growth - output_growth
                verdict = (f"{beyond / mib:+.1f} MiB beyond output: "
                           + ("met" if beyond < BEYOND_KIB else "MISSED"))
            else:
                verdict = "reference"
            verdicts[mode] = {"growth_kib": growth, "verdict": verdict}
            rows.append([mode, *[f"{p / mib:.1f}" for p in peaks], f"{growth / mib:+.1f}",
                         *[f"{per_count[n]['seconds']:.2f}" for n in counts], verdict])
        print_table(
            f"Peak RSS (MiB) and wall time (s) by record count, page size {default_page}",
            ["mode", *[f"peak {n}" for n in counts], "growth", *[f"s {n}" for n in counts], "verdict"],
            rows,
        )
    emit_json("fetchall_memory", {"counts": counts, "pages": pages, "baseline_peak_kib": base_peak,
                                  "verdicts": verdicts, "runs": results})


if __name__ == "__main__":
    main()

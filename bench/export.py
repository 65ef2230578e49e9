"""exportRecords on the real Odoo: CSV beside ``listRecords fetchAll --jsonl`` of the same fields,
peak memory at 20 000 and 100 000 rows, and Excel.

Every run is the CLI in its own process, as a user would start it, as the ordinary user
(ODOO_API_KEY): ``run exportRecords --output FILE`` and ``run listRecords --jsonl`` to
/dev/null. Wall time is the process's, start to exit (imports included); peak RSS is ``wait4``'s
``ru_maxrss`` of the process. Runs alternate between the configurations and each figure is the
median of ``--repeat`` runs.

Targets (issue 28): CSV of 20 000 leads ≤ 1.2 times the jsonl read of the same fields; peak RSS flat
from 20 000 to 100 000 rows; Excel measured.

Data: crm.lead records named ``bench-*``, created as the administrator when fewer than 100 000
exist (tracking off; about 15 minutes the first time), and kept for the next run. The 20 000 and
100 000 rows are the first bench leads by id.

    . /work/odoo19/env.sh && .venv/bin/python bench/export.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import emit_json, print_table, real_connection

CLI = Path(sys.executable).with_name("odoo-connector")
MODEL = "crm.lead"
SIZES = (20000, 100000)
FIELDS = [
    "name",
    "stage_id",
    "user_id",
    "team_id",
    "expected_revenue",
    "probability",
    "date_deadline",
    "email_from",
    "create_date",
]
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


def ensure_leads(client: Any, wanted: int) -> None:
    have = int(client.call(MODEL, "search_count", domain=[["name", "=like", "bench-%"]]))
    print(f"{have} bench- leads present", flush=True)
    while have < wanted:
        n = min(2000, wanted - have)
        rows = [
            {
                "name": f"bench-lead {i:06d}",
                "expected_revenue": 1000 + i % 97 * 10,
                "probability": i % 100,
                "email_from": f"lead{i}@bench.example",
            }
            for i in range(have, have + n)
        ]
        client.call(MODEL, "create", vals_list=rows, context=QUIET)
        have += n
        print(f"{have} bench- leads", flush=True)


def domain_for(client: Any, rows: int) -> list[Any]:
    """The first ``rows`` bench leads by id, as a domain both actions take."""
    last = client.call(
        MODEL, "search", domain=[["name", "=like", "bench-%"]], order="id asc", offset=rows - 1, limit=1
    )
    return [["name", "=like", "bench-%"], ["id", "<=", last[0]]]


def run_cli(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS KiB) of one CLI process."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen([str(CLI), *argv], stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:2]} failed: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}")
    return elapsed, int(usage.ru_maxrss)


def configurations(domains: dict[int, list[Any]], out: Path) -> dict[str, list[str]]:
    configs = {}
    for rows, domain in domains.items():
        read = {"model": MODEL, "domain": domain, "fields": FIELDS}
        configs[f"jsonl {rows}"] = [
            "run",
            "listRecords",
            "--quiet",
            "--jsonl",
            "--input",
            json.dumps({**read, "fetchAll": True}),
        ]
        for kind in ("csv", "xlsx"):
            configs[f"{kind} {rows}"] = [
                "run",
                "exportRecords",
                "--quiet",
                "--input",
                json.dumps({**read, "format": kind}),
                "--output",
                str(out / f"leads-{rows}.{kind}"),
            ]
    return configs


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs=2, default=SIZES, metavar=("SMALL", "LARGE"))
    args = parser.parse_args()
    small, large = args.sizes
    admin, user = real_connection(admin=True), real_connection()
    if admin is None or user is None:
        print("needs a real Odoo: ODOO_URL, ODOO_DB, ODOO_API_KEY and ODOO_ADMIN_API_KEY")
        return 0
    from odoo_connector import make_client, parse_connection

    with make_client(parse_connection(admin)) as client:
        ensure_leads(client, large)
        domains = {rows: domain_for(client, rows) for rows in (small, large)}
    figures: dict[str, list[tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        configs = configurations(domains, Path(tmp))
        run_cli(configs[f"csv {small}"])  # warm: Odoo's caches, the fields store
        for _ in range(args.repeat):
            for name, argv in configs.items():
                figures.setdefault(name, []).append(run_cli(argv))
                print(name, figures[name][-1], flush=True)
        sizes = {
            name: (Path(tmp) / f"leads-{name.split()[1]}.{name.split()[0]}").stat().st_size
            for name in configs
            if not name.startswith("jsonl")
        }
    wall = {name: statistics.median(f[0] for f in runs) for name, runs in figures.items()}
    rss = {name: statistics.median(f[1] for f in runs) / 1024 for name, runs in figures.items()}
    rows = [
        [
            name,
            f"{wall[name]:.2f} s",
            f"{rss[name]:.1f} MiB",
            f"{sizes[name] / 1e6:.1f} MB" if name in sizes else "-",
        ]
        for name in configs
    ]
    print_table(
        f"{MODEL}, {len(FIELDS)} fields, median of {args.repeat} (CLI process, wall and peak RSS)",
        ["run", "wall", "peak RSS", "file"],
        rows,
    )
    ratio = wall[f"csv {small}"] / wall[f"jsonl {small}"]
    growth = {kind: rss[f"{kind} {large}"] - rss[f"{kind} {small}"] for kind in ("jsonl", "csv", "xlsx")}
    print(f"\ncsv / jsonl wall at {small}: {ratio:.2f} (target ≤ 1.2)")
    for kind, grew in growth.items():
        print(f"{kind} peak RSS {small} → {large}: {grew:+.1f} MiB")
    emit_json(
        "export", {"wall_s": wall, "peak_rss_mib": rss, "csv_over_jsonl": ratio, "rss_growth_mib": growth}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

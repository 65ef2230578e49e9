"""Helpers every benchmark shares: tables, the ``JSON:`` line, memory figures, the real Odoo.

Kept dependency-free (standard library, plus the connector) so each script runs on a bare venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "emit_json",
    "machine_info",
    "median",
    "peak_rss_kib",
    "print_table",
    "real_connection",
    "rss_kib",
]

FAKE_DB = "bench"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain-text table (also valid Markdown), so output can be pasted into RESULTS.md."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    for i, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def emit_json(name: str, payload: Mapping[str, Any]) -> None:
    """The last line of every script: one JSON object a machine can collect."""
    record = {"bench": name, "machine": machine_info(), **payload}
    print("JSON: " + json.dumps(record, sort_keys=True, default=str), flush=True)


def machine_info() -> dict[str, Any]:
    mem_total = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    mem_total = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory": mem_total,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM); Linux only, like the rest of the memory figures."""
    try:
        return _status_kib("VmHWM")
    except OSError:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def rss_kib() -> int:
    """This process's resident set now (VmRSS)."""
    return _status_kib("VmRSS")


def real_connection(kind: str = "odooApiKey", admin: bool = False) -> dict[str, Any] | None:
    """The real Odoo from ODOO_URL/ODOO_DB and ODOO_API_KEY (or ODOO_USERNAME/ODOO_PASSWORD;
    ODOO_ADMIN_* with ``admin``), or None when they are not set. The values are passed on, never
    printed: they are secrets."""
    env = os.environ
    prefix = "ODOO_ADMIN_" if admin else "ODOO_"
    url, db = env.get("ODOO_URL"), env.get("ODOO_DB")
    if not url or not db:
        return None
    base: dict[str, Any] = {"baseUrl": url, "database": db}
    if env.get("ODOO_PORT"):
        base["port"] = int(env["ODOO_PORT"])
    if kind == "odooApiKey":
        key = env.get(prefix + "API_KEY")
        return {"type": kind, **base, "apiKey": key} if key else None
    user, password = env.get(prefix + "USERNAME"), env.get(prefix + "PASSWORD")
    return {"type": kind, **base, "username": user, "password": password} if user and password else None


def real_host(connection: Mapping[str, Any]) -> str:
    """The real server's host name, for the report (never the credentials)."""
    return urlsplit(str(connection["baseUrl"])).hostname or "?"


def loop_args(doc: str | None) -> argparse.Namespace:
    """The options of the call-loop benchmarks (overhead, XML-RPC path), defined once."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (about 15 s)")
    parser.add_argument("--no-real", action="store_true", help="skip the real Odoo even if ODOO_* is set")
    parser.add_argument("--calls", type=int, default=500, help="calls per loop per round (default 500)")
    return parser.parse_args()


def invoke_loop(
    conn: Any, model: str, fields: list[str], record: int
) -> tuple[Callable[[int], None], Callable[[], None]]:
    """The connector side of the call-loop benchmarks, and how to close it: alternately
    listRecords (20 records) and getRecordById through runtime.invoke with one reused client,
    as a platform would run them."""
    from odoo_connector import invoke, load_manifest, make_client, parse_connection

    client = make_client(parse_connection(conn))
    manifest = load_manifest()
    list_inputs = {"model": model, "fields": fields, "limit": 20}
    get_inputs = {"model": model, "recordId": record, "fields": fields}

    def loop(n: int) -> None:
        for i in range(n):
            if i % 2 == 0:
                out = invoke("listRecords", conn, list_inputs, client=client, manifest=manifest)
            else:
                out = invoke("getRecordById", conn, get_inputs, client=client, manifest=manifest)
            assert out["data"], "empty answer"

    return loop, client.close

"""How late do ``odoo-connector runner``'s polls start, and what does one runner hold?

Runs real ``odoo-connector runner`` processes against the tests' stateful fake Odoo (served in
its own process on 127.0.0.1, every answer delayed ``--answer-ms``, 10 ms by default) and reads
their ``--lag-log``: lag = a poll's start minus the time it fell due. Reported: p50/p95/p99 lag,
the runner's CPU (seconds of CPU per second of wall time, all its threads) and peak RSS, for

* one process with SQLite state, 1,000 triggers, at intervals of 60 s and 10 s;
* 2 and 4 processes sharing a PostgreSQL (a throw-away server started like the tests' one);
* the headline: the most triggers one process holds with p95 lag under 1 s (10 s interval).

The polls are idle (no record changes: the common case of a trigger), one request each. Each
measurement lasts ``--intervals`` intervals (compressed: a few intervals, not an hour). Triggers
are spread over ``--connections`` connection names (the issue's "200 flows over 30 databases"
shape), all to the one fake server. Needs the ``runner-pg`` extra for the PostgreSQL rows and
PostgreSQL's server binaries (``apt-get install postgresql``); ``--no-pg`` skips them.

    python bench/runner_lag.py [--quick] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import emit_json, print_table  # noqa: E402

API_KEY = "fake-api-key-0123456789"  # the fake's own key (tests/fakes/odoo.py)


def serve_fake(answer_ms: float) -> None:
    """``--serve-fake``: the fake Odoo on a free port; prints ``PORT n`` and serves until killed."""
    from tests.fakes import FakeOdoo
    from tests.fakes.server import serve_transport

    odoo = FakeOdoo(models={"res.partner": {"email": "char", "tag": "char"}})
    with serve_transport(odoo, delay=answer_ms / 1000) as url:
        print("PORT", url.rsplit(":", 1)[1], flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


@contextmanager
def fake_server(answer_ms: float) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-fake", "--answer-ms", str(answer_ms)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the fake Odoo did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(10)


def write_config(path: Path, url: str, triggers: int, interval: float, connections: int, state: Any) -> None:
    data = {
        "settings": {"concurrency": 32, "perConnection": 4, "lease": 10, "state": state},
        "connections": {
            f"c{n}": {"url": url, "database": "fakedb", "kind": "apiKey", "apiKey": {"env": "BENCH_ODOO_KEY"}}
            for n in range(connections)
        },
        "triggers": [
            {
                "id": f"t{i}",
                "trigger": "pollChangesTrigger",
                "connection": f"c{i % connections}",
                "inputs": {
                    "model": "res.partner",
                    "domain": [["tag", "=", f"t{i}"]],
                    "fields": ["id", "write_date"],
                },
                "interval": interval,
            }
            for i in range(triggers)
        ],
    }
    import yaml

    path.write_text(yaml.safe_dump(data))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(
    url: str,
    *,
    triggers: int,
    interval: float,
    intervals: float,
    processes: int,
    connections: int,
    dsn: str | None,
) -> dict[str, Any]:
    """Runs the runner(s) for ``intervals`` intervals; lag of every poll, CPU and RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        state: Any = {"postgres": {"env": "BENCH_DSN"}} if dsn else {"sqlite": str(work / "state.sqlite")}
        write_config(work / "runner.yaml", url, triggers, interval, connections, state)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_ODOO_KEY": API_KEY, "BENCH_DSN": dsn or ""}
        procs = []
        for n in range(processes):
            command = [sys.executable, "-m", "odoo_connector.cli", "--quiet", "runner", "--config"]
            command += [str(work / "runner.yaml"), "--lag-log", str(work / f"lag-{n}.jsonl")]
            procs.append(
                subprocess.Popen(
                    command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
            )
        started = time.time()
        time.sleep(interval * intervals)
        wall = time.time() - started
        cpu = [_cpu_seconds(p.pid) for p in procs]
        rss = [_peak_rss_mib(p.pid) for p in procs]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        errors = []
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode != 0:
                errors.append(err.decode(errors="replace")[-2000:])
        if errors:
            raise RuntimeError("a runner failed:\n" + "\n".join(errors))
        polls = [
            json.loads(line)
            for n in range(processes)
            for line in (work / f"lag-{n}.jsonl").read_text().splitlines()
            if line
        ]
    lags = sorted(p["started"] - p["due"] for p in polls if p["due"] < started + wall - interval * 0.05)
    expected = triggers * (intervals - 0.5)  # first polls are spread over the first interval

    def pct(q: float) -> float:
        return lags[min(len(lags) - 1, int(q * len(lags)))] if lags else float("nan")

    return {
        "triggers": triggers,
        "interval_s": interval,
        "processes": processes,
        "state": "postgres" if dsn else "sqlite",
        "polls": len(lags),
        "polls_expected": round(expected),
        "lag_p50_ms": round(pct(0.50) * 1000, 1),
        "lag_p95_ms": round(pct(0.95) * 1000, 1),
        "lag_p99_ms": round(pct(0.99) * 1000, 1),
        "lag_max_ms": round((lags[-1] if lags else float("nan")) * 1000, 1),
        "cpu_per_process": round(statistics.mean(cpu) / wall, 3),
        "peak_rss_mib_per_process": round(max(rss), 1),
    }


@contextmanager
def postgres_database() -> Iterator[Any]:
    """A function making a new database on a throw-away server (tests/postgres.py)."""
    import uuid

    import psycopg

    from tests.postgres import start_postgres

    with start_postgres() as server:

        def new() -> str:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(server, autocommit=True) as db:
                db.execute(f'CREATE DATABASE "{name}"')
            return server.rsplit("/", 1)[0] + f"/{name}"

        yield new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer intervals and sizes (about 4 minutes)")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL rows")
    parser.add_argument("--answer-ms", type=float, default=10.0, help="the fake Odoo's answer time")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.answer_ms)
        return
    rounds = {60.0: 1.5 if args.quick else 2.5, 10.0: 3 if args.quick else 5}
    rows: list[dict[str, Any]] = []
    common = {"connections": args.connections, "triggers": 1000}
    with fake_server(args.answer_ms) as url:
        for interval, intervals in rounds.items():
            rows.append(measure(url, interval=interval, intervals=intervals, processes=1, dsn=None, **common))
        if not args.no_pg:
            with postgres_database() as new_database:
                for processes in (1, 2, 4):
                    for interval, intervals in rounds.items():
                        if args.quick and interval == 60.0 and processes > 1:
                            continue
                        dsn = new_database()
                        rows.append(
                            measure(
                                url,
                                interval=interval,
                                intervals=intervals,
                                processes=processes,
                                dsn=dsn,
                                **common,
                            )
                        )
        headline = 0
        sizes = (1000, 1500, 2000) if args.quick else (1000, 1250, 1500, 1750, 2000, 3000, 4000)
        for size in sizes:
            row = measure(url, triggers=size, interval=10.0, intervals=3, processes=1, dsn=None, **common)
            rows.append(row)
            if row["lag_p95_ms"] < 1000 and row["polls"] >= 0.9 * row["polls_expected"]:
                headline = size
            else:
                break
    headers = list(rows[0])
    print_table("runner poll lag (fake Odoo, idle polls)", headers, [[r[h] for h in headers] for r in rows])
    print(f"\nheadline: one runner holds {headline} triggers at a 10 s interval with p95 lag < 1 s")
    emit_json("runner_lag", {"rows": rows, "headline_triggers_p95_under_1s": headline})


if __name__ == "__main__":
    main()

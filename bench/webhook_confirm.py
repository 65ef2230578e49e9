"""recordWebhookTrigger's listener when every post is read back from Odoo: what it costs.

A post is only a hint (issue 25): before emitting, the listener reads the named records from
Odoo, in batches. This measures, against the stateful fake Odoo on a real loopback socket
(``tests/fakes``; JSON-2), with the listener of ``watch --listen`` (``run_listen``) in this
process and Odoo's posting habits (a new connection per post, each awaited in turn; 2 posts per
write, 13 per create):

1. single writes, one at a time: from just before the write to the record reaching the sink
   (this includes the fake's own posting, as the real benchmark includes Odoo's request);
2. 500 creates in one transaction (6 500 posts): the reads it costs, each record's time from its
   first post to the sink, and how long the "user's" commit waited for its posts;
3. a flood of 2 000 posts without the secret: how long Odoo-like clients wait for each answer.

No real Odoo needed; ``webhook_latency.py`` is the same on a real one.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit_json, print_table
from odoo_connector.runner.listen import Listener, run_listen
from tests.fakes import FakeOdoo
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import serve_transport

MODEL = "res.partner"


class Clocked:
    """A sink that stamps every record with the time it arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at: dict[tuple[str, int, Any], float] = {}
        self.count = 0

    def deliver_events(self, events: Any, stop: threading.Event) -> None:
        now = time.monotonic()
        with self.lock:
            for branch in ("created", "updated", "deleted"):
                for record in events.get(branch, []):
                    self.at.setdefault((branch, record["id"], record.get("email")), now)
                    self.count += 1

    def describe(self) -> str:
        return "clocked"

    def close(self) -> None:
        pass


def post_like_odoo(url: str, body: bytes) -> None:
    """One POST on a new connection, 1 s timeout, errors ignored: Odoo's ``requests.post``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=1.0)
    try:
        connection.request("POST", f"{parts.path}?{parts.query}", body, {"Content-Type": "application/json"})
        connection.getresponse().read()
    except OSError:
        pass
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Any, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return bool(condition())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 writes, 100 creates, 500 forged posts")
    args = parser.parse_args()
    writes, bulk, forged = (50, 100, 500) if args.quick else (200, 500, 2000)

    odoo = FakeOdoo()
    odoo.install_automation()
    first_post: dict[int, float] = {}

    def send(url: str, body: bytes) -> None:
        record_id = int(body.split(b'"id": ', 1)[1].split(b",", 1)[0].split(b"}", 1)[0])
        first_post.setdefault(record_id, time.monotonic())
        post_like_odoo(url, body)

    odoo.send_webhook = send
    sink = Clocked()
    ready: list[Listener] = []
    with serve_transport(odoo) as odoo_url:
        conn = {"type": "odooApiKey", "baseUrl": odoo_url, "database": DATABASE, "apiKey": API_KEY}
        port = free_port()
        thread = threading.Thread(
            target=run_listen,
            args=("recordWebhookTrigger", conn, {"model": MODEL, "fields": ["name", "email"]}),
            kwargs={
                "listen": f"127.0.0.1:{port}",
                "public_url": f"http://127.0.0.1:{port}/odoo",
                "reconcile_interval": 3600,
                "state_path": Path(tempfile.mkdtemp()) / "state.sqlite",
                "sink": sink,
                "install_signals": False,
                "ready": lambda listener, _: ready.append(listener),
            },
            daemon=True,
        )
        thread.start()
        wait_until(lambda: bool(ready) and ready[0].reconciles >= 1, 30)
        listener = ready[0]

        # 1. single writes
        pool = [odoo.create(MODEL, name=f"lat-{i}") for i in range(20)]
        wait_until(lambda: sink.count >= len(pool), 30)
        latencies = []
        for n in range(writes):
            odoo.advance(1)
            email = f"{n}@lat.test"
            started = time.monotonic()
            odoo.write(MODEL, pool[n % len(pool)], email=email)
            key = ("updated", pool[n % len(pool)], email)
            wait_until(lambda key=key: key in sink.at, 10)
            latencies.append(sink.at.get(key, float("inf")) - started)
        latencies.sort()

        # 2. many creates in one transaction, posted 13 times each
        odoo.advance(1)
        odoo.webhook_copies = 13
        reads_before = sum(1 for m, x in odoo.calls if m == MODEL and x in ("read", "search_read"))
        tx = odoo.begin()
        ids = [tx.create(MODEL, name=f"bulk-{i}") for i in range(bulk)]
        committed = time.monotonic()
        tx.commit()
        commit_s = time.monotonic() - committed
        emitted_all = wait_until(lambda: all(("created", i, False) in sink.at for i in ids), 60)
        reads = sum(1 for m, x in odoo.calls if m == MODEL and x in ("read", "search_read")) - reads_before
        per_record = sorted(
            sink.at[("created", i, False)] - first_post[i] for i in ids if ("created", i, False) in sink.at
        )
        since_commit = sorted(
            sink.at[("created", i, False)] - committed for i in ids if ("created", i, False) in sink.at
        )
        odoo.webhook_copies = 1

        # 3. a flood without the secret
        waits = []
        for n in range(forged):
            started = time.monotonic()
            post_like_odoo(f"http://127.0.0.1:{port}/odoo?token=ocwh_guess{n}&event=change", b"{}")
            waits.append(time.monotonic() - started)
        waits.sort()
        listener.stop()
        thread.join(timeout=60)

    results = {
        "single_writes": {
            "writes": writes,
            "median_s": statistics.median(latencies),
            "p95_s": latencies[int(0.95 * (len(latencies) - 1))],
        },
        "bulk_create": {
            "records": bulk,
            "posts": bulk * 13,
            "all_emitted": emitted_all,
            "emitted_events": sink.count,
            "reads": reads,
            "first_post_to_emit_median_s": statistics.median(per_record),
            "first_post_to_emit_p95_s": per_record[int(0.95 * (len(per_record) - 1))],
            "commit_to_emit_median_s": statistics.median(since_commit),
            "commit_waited_for_posts_s": commit_s,
        },
        "forged_flood": {"posts": forged, "answer_median_ms": 1000 * statistics.median(waits)},
    }
    b = results["bulk_create"]
    print_table(
        "recordWebhookTrigger, posts read back from Odoo (fake Odoo on loopback)",
        ["measure", "result", "target"],
        [
            [
                f"{writes} single writes: write-to-emit median (s)",
                results["single_writes"]["median_s"],
                "< 1 s",
            ],
            ["  p95 (s)", results["single_writes"]["p95_s"], ""],
            [f"{bulk} creates in one transaction ({bulk * 13} posts): reads", b["reads"], "a handful"],
            [
                "  first post to emit, median / p95 (s)",
                f"{b['first_post_to_emit_median_s']:.3f} / {b['first_post_to_emit_p95_s']:.3f}",
                "< 1 s",
            ],
            ["  commit to emit, median (s)", b["commit_to_emit_median_s"], ""],
            ["  the commit waited for its posts (s)", b["commit_waited_for_posts_s"], ""],
            [
                f"{forged} posts without the secret: answer median (ms)",
                results["forged_flood"]["answer_median_ms"],
                "",
            ],
        ],
    )
    emit_json("webhook_confirm", results)


if __name__ == "__main__":
    main()

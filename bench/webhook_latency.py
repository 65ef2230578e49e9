"""recordWebhookTrigger on the real Odoo: how fast a change is emitted, and that none is lost or
repeated when Odoo's fire-and-forget posts are lost or multiplied. Every post is read back from
Odoo before anything is emitted; the listener's requests to Odoo are counted too.

Needs a real Odoo 19 with Automation Rules on this machine (Odoo posts to 127.0.0.1) and an
administrator's API key (ODOO_URL, ODOO_DB, ODOO_ADMIN_API_KEY); skips without them. It runs the
connector's own pieces (runner/listen.py: the Listener, the uvicorn server, the reconciliation
poll) in this process, so that it can take the server down and up again while staying subscribed:

1. latency: 200 changes (writes, one at a time), from just before the write call to the record
   reaching the sink; median and p95 (target: median < 1 s);
2. receiver down 30 s while 50 records change, then up again: all 50 emitted exactly once, by the
   reconciliation poll (interval shortened to 10 s here; 300 s by default);
3. one create: exactly one created event;
4. 500 creates in one transaction (create with a vals_list of 500): 500 created events, none twice;
5. 20 deletes (one unlink of 20 ids): 20 deleted events with their fields.

Every record is named ``bench-hook-<run>-…`` and deleted at the end; the subscription's rules are
removed (the script reports how many were left behind: should be 0).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit_json, print_table
from odoo_connector import make_client, parse_connection
from odoo_connector.manifest import load_manifest
from odoo_connector.runner.listen import Listener, Server, make_app
from odoo_connector.runner.state import StateStore
from odoo_connector.runtime import validate_inputs

RECONCILE_EVERY = 10.0


class Clocked:
    """A sink that stamps every record with the time it arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, int, dict[str, Any]]] = []

    def deliver_events(self, events: Any, stop: threading.Event) -> None:
        now = time.monotonic()
        with self.lock:
            for branch in ("created", "updated", "deleted"):
                self.events += [(now, branch, r["id"], r) for r in events.get(branch, [])]

    def count(self, branch: str, ids: set[int]) -> Counter[int]:
        with self.lock:
            return Counter(i for _, b, i, _ in self.events if b == branch and i in ids)

    def describe(self) -> str:
        return "clocked list"

    def close(self) -> None:
        pass


def wait_until(condition: Any, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--down", type=float, default=30.0, help="seconds the receiver is down")
    parser.add_argument("--quick", action="store_true", help="20 changes, 5 s down, 50 in one transaction")
    args = parser.parse_args()
    if args.quick:
        args.changes, args.down = 20, 5.0
    bulk = 50 if args.quick else 500
    names = ("ODOO_URL", "ODOO_DB", "ODOO_ADMIN_API_KEY")
    if not all(os.environ.get(n) for n in names):
        print(f"skipped: set {', '.join(names)} (an administrator on an Odoo running on this machine)")
        emit_json("webhook_latency", {"skipped": True})
        return
    conn = parse_connection(
        {
            "type": "odooApiKey",
            "baseUrl": os.environ["ODOO_URL"],
            "database": os.environ["ODOO_DB"],
            "apiKey": os.environ["ODOO_ADMIN_API_KEY"],
            # Odoo posts every webhook inside the request that made the change, so the create of
            # 500 records answers only after its thousands of posts: allow it the time.
            "timeout": 3600,
        }
    )
    run = f"bench-hook-{secrets.token_hex(3)}"
    unit = load_manifest().unit("recordWebhookTrigger")
    inputs = validate_inputs(
        unit, {"model": "res.partner", "fields": ["name", "email"], "domain": [["name", "=like", f"{run}%"]]}
    )
    odoo = make_client(conn)
    listen_client = make_client(conn)
    sink = Clocked()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = StateStore(Path(tempfile.mkdtemp()) / "state.sqlite")
    listener = Listener(
        unit,
        conn,
        inputs,
        client=listen_client,
        store=store,
        sink=sink,
        public_url=f"http://127.0.0.1:{port}/odoo",
    )
    posts = Counter[str]()  # every request Odoo made, by scenario
    scenario = ["subscribe"]
    check = listener.check

    def counted(query: str) -> Any:
        posts[scenario[0]] += 1
        return check(query)

    listener.check = counted  # type: ignore[method-assign]
    reads = Counter[str]()  # the listener's requests to Odoo, by scenario
    call = listen_client.call

    def counted_call(*args: Any, **kwargs: Any) -> Any:
        reads[scenario[0]] += 1
        return call(*args, **kwargs)

    listen_client.call = counted_call  # type: ignore[method-assign]
    server = Server(make_app(listener), "127.0.0.1", port)
    server.start()
    listener.start()
    stop_reconciling = threading.Event()
    down = threading.Event()  # the whole receiver is down: no posts, no reconciliation

    def reconcile_loop() -> None:
        while not stop_reconciling.wait(RECONCILE_EVERY):
            if not down.is_set():
                listener.reconcile_once()

    reconciler = threading.Thread(target=reconcile_loop, daemon=True)
    reconciler.start()
    made: list[int] = []
    results: dict[str, Any] = {}
    try:
        # 1. latency of single writes
        scenario[0] = "latency"
        pool = odoo.call("res.partner", "create", vals_list=[{"name": f"{run}-lat-{i}"} for i in range(20)])
        made += pool
        wait_until(lambda: sum(sink.count("created", set(pool)).values()) >= len(pool), 30)
        latencies = []
        for n in range(args.changes):
            record_id = pool[n % len(pool)]
            email = f"{n}@lat.test"
            started = time.monotonic()
            odoo.call("res.partner", "write", [record_id], vals={"email": email})

            def arrived(email: str = email) -> float | None:
                with sink.lock:
                    for at, branch, _, record in sink.events:
                        if branch == "updated" and record.get("email") == email:
                            return at
                return None

            wait_until(lambda: arrived() is not None, 10)
            at = arrived()
            latencies.append((at - started) if at is not None else float("inf"))
        finite = sorted(x for x in latencies if x != float("inf"))
        results["latency"] = {
            "changes": args.changes,
            "emitted": len(finite),
            "median_s": statistics.median(finite),
            "p95_s": finite[int(0.95 * (len(finite) - 1))],
            "max_s": finite[-1],
        }

        # 2. receiver down while records change
        scenario[0] = "outage"
        down.set()
        server.stop()
        down_at = time.monotonic()
        outage = odoo.call(
            "res.partner", "create", vals_list=[{"name": f"{run}-down-{i}"} for i in range(50)]
        )
        made += outage
        time.sleep(max(0.0, args.down - (time.monotonic() - down_at)))
        server = Server(make_app(listener), "127.0.0.1", port)
        server.start()
        down.clear()
        back_at = time.monotonic()
        complete = wait_until(
            lambda: len(sink.count("created", set(outage))) == len(outage), 3 * RECONCILE_EVERY
        )
        recovered_after = time.monotonic() - back_at
        time.sleep(2)
        counts = sink.count("created", set(outage))
        results["outage"] = {
            "changed_while_down": len(outage),
            "down_s": round(back_at - down_at, 1),
            "emitted": len(counts),
            "emitted_twice": sum(1 for c in counts.values() if c > 1),
            "emitted_s_after_up": round(recovered_after, 1) if complete else None,
        }

        # 3. one create
        scenario[0] = "one_create"
        one = odoo.call("res.partner", "create", vals_list=[{"name": f"{run}-one"}])
        made += one
        wait_until(lambda: bool(sink.count("created", set(one))), 10)
        time.sleep(2)
        results["one_create"] = {"created_events": sum(sink.count("created", set(one)).values())}

        # 4. many creates in one transaction
        scenario[0] = "bulk_create"
        started = time.monotonic()
        many = odoo.call(
            "res.partner", "create", vals_list=[{"name": f"{run}-bulk-{i}"} for i in range(bulk)]
        )
        call_s = time.monotonic() - started
        made += many
        wait_until(lambda: len(sink.count("created", set(many))) == len(many), 120)
        all_s = time.monotonic() - started
        time.sleep(2)
        counts = sink.count("created", set(many))
        results["bulk_create"] = {
            "created_in_one_transaction": len(many),
            "emitted": len(counts),
            "emitted_twice": sum(1 for c in counts.values() if c > 1),
            "create_call_s": round(call_s, 2),
            "all_emitted_s": round(all_s, 2),
        }

        # 5. deletes
        scenario[0] = "deletes"
        doomed = many[:20]
        odoo.call("res.partner", "unlink", doomed)
        made = [i for i in made if i not in doomed]
        wait_until(lambda: len(sink.count("deleted", set(doomed))) == 20, 30)
        time.sleep(2)
        counts = sink.count("deleted", set(doomed))
        with sink.lock:
            with_fields = sum(
                1
                for _, b, i, r in sink.events
                if b == "deleted" and i in doomed and r.get("name", "").startswith(run)
            )
        results["deletes"] = {
            "deleted": len(doomed),
            "deleted_events": sum(counts.values()),
            "distinct": len(counts),
            "with_name": with_fields,
        }
    finally:
        stop_reconciling.set()
        reconciler.join(timeout=30)
        server.stop()
        state = store.load(listener.state_key)
        listener.close_subscription()
        left = odoo.call("base.automation", "search", domain=[["id", "in", (state or {}).get("ruleIds", [])]])
        for start in range(0, len(made), 200):
            odoo.call("res.partner", "unlink", made[start : start + 200])
        results["rules_left_behind"] = len(left)
        results["posts_received"] = dict(posts)
        results["listener_requests"] = dict(reads)
        odoo.close()
        listen_client.close()

    lat = results["latency"]
    print_table(
        "recordWebhookTrigger on the real Odoo (loopback)",
        ["measure", "result", "target"],
        [
            ["latency median (s)", lat["median_s"], "< 1 s"],
            ["latency p95 (s)", lat["p95_s"], ""],
            ["latency max (s)", lat["max_s"], ""],
            [f"changes emitted of {lat['changes']}", lat["emitted"], "all"],
            [
                f"down {results['outage']['down_s']} s, 50 changed: emitted / twice",
                f"{results['outage']['emitted']} / {results['outage']['emitted_twice']}",
                "50 / 0",
            ],
            ["  emitted after up (s)", results["outage"]["emitted_s_after_up"], f"<= {RECONCILE_EVERY:g} s"],
            ["one create: created events", results["one_create"]["created_events"], "1"],
            [
                f"{bulk} creates in one transaction: emitted / twice",
                f"{results['bulk_create']['emitted']} / {results['bulk_create']['emitted_twice']}",
                f"{bulk} / 0",
            ],
            [
                "  create call / all emitted (s)",
                f"{results['bulk_create']['create_call_s']} / {results['bulk_create']['all_emitted_s']}",
                "",
            ],
            [
                "20 deletes: deleted events (distinct, with name)",
                f"{results['deletes']['deleted_events']} ({results['deletes']['distinct']}, "
                f"{results['deletes']['with_name']})",
                "20 (20, 20)",
            ],
            ["rules left behind", results["rules_left_behind"], "0"],
            [
                "posts received (latency, one create, bulk, deletes)",
                " / ".join(str(posts[k]) for k in ("latency", "one_create", "bulk_create", "deletes")),
                "",
            ],
            [
                "listener's requests to Odoo (latency, one create, bulk, deletes)",
                " / ".join(str(reads[k]) for k in ("latency", "one_create", "bulk_create", "deletes")),
                "",
            ],
        ],
    )
    emit_json("webhook_latency", {"reconcile_interval_s": RECONCILE_EVERY, **results})


if __name__ == "__main__":
    main()

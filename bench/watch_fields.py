"""watchFields on the real Odoo: what a field-change trigger costs, on both trigger kinds.

Needs a real Odoo 19 with the 20 000 ``bench-lead-*`` leads (ODOO_URL, ODOO_DB, ODOO_API_KEY for
the poll, as the ordinary Sales user) and, for the webhook half, Automation Rules on this machine
(Odoo posts to 127.0.0.1) and an administrator's key (ODOO_ADMIN_API_KEY); each half skips,
saying so, without them.

1. pollChangesTrigger over ``bench-lead-*`` with ``watchFields: ["stage_id", "user_id"]`` and
   ``to: {"stage_id": <the won stage>}``: the baseline's requests and state size, an idle poll's
   requests (target 1), and, after 50 leads moved to the won stage and 50 others got another
   revenue, the next poll's requests (target ceil(50/page) + 1 = 2 at page 500) and events. The
   leads are put back as they were afterwards.
2. recordWebhookTrigger on ``crm.lead`` with ``watchFields: ["stage_id"]`` through the
   connector's listener on loopback: per-change latency from just before the write to the event
   (target median < 1 s), and Odoo's posts counted while other fields of the same leads change
   (target 0). The leads (``bench-watch-<run>-…``) and the rules are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit_json, print_table, real_connection
from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.manifest import load_manifest
from odoo_connector.runner.listen import Listener, Server, make_app
from odoo_connector.runner.state import StateStore
from odoo_connector.runtime import validate_inputs

PAGE = 500


def won_stage(client: Any) -> dict[str, Any]:
    rows = client.call("crm.stage", "search_read", domain=[["is_won", "=", True]], fields=["name"], limit=1)
    return dict(rows[0])


def poll_half(changed: int) -> dict[str, Any]:
    conn = real_connection()
    if conn is None:
        return {"skipped": "set ODOO_URL, ODOO_DB and ODOO_API_KEY"}
    client = make_client(parse_connection(conn))
    won = won_stage(client)
    inputs = {
        "model": "crm.lead",
        "domain": [["name", "=like", "bench-lead-%"]],
        "watchFields": ["stage_id", "user_id"],
        "to": {"stage_id": won["name"]},
        "pageSize": PAGE,
    }
    total = client.call("crm.lead", "search_count", domain=inputs["domain"])
    out: dict[str, Any] = {"leads": total, "page": PAGE}

    def poll(state: Any) -> tuple[dict[str, Any], int, float]:
        before, started = client.request_count, time.monotonic()
        result = invoke("pollChangesTrigger", conn, inputs, state=state, client=client)
        return result, client.request_count - before, time.monotonic() - started

    print("poll: baseline", file=sys.stderr, flush=True)
    base, out["baseline_requests"], out["baseline_s"] = poll(None)
    state = base["state"]
    out["state_bytes"] = len(json.dumps(state))
    out["watch_values"] = len(state["watch"]["values"])
    idle, out["idle_requests"], out["idle_s"] = poll(state)
    out["idle_emitted"] = len(idle["data"]["updated"])
    # the leads to move: not already won, and others that only get another revenue
    movers = client.call(
        "crm.lead",
        "search_read",
        domain=[*inputs["domain"], ["stage_id", "!=", won["id"]]],
        fields=["stage_id", "expected_revenue"],
        limit=2 * changed,
        order="id desc",
    )
    moved, touched = movers[:changed], movers[changed : 2 * changed]
    time.sleep(1.1)  # past the second of the last poll's newest write_date
    try:
        client.call("crm.lead", "write", [r["id"] for r in moved], vals={"stage_id": won["id"]})
        client.call("crm.lead", "write", [r["id"] for r in touched], vals={"expected_revenue": 4242})
        result, out["change_requests"], out["change_s"] = poll(idle["state"])
        emitted = result["data"]["updated"]
        out["changed_stage"], out["changed_other_field"] = len(moved), len(touched)
        out["emitted"] = len(emitted)
        out["emitted_are_the_moved"] = sorted(r["id"] for r in emitted) == sorted(r["id"] for r in moved)
        out["old_and_new_named"] = all(
            r["changes"]["stage_id"]["old"]["name"] and r["changes"]["stage_id"]["new"]["name"] == won["name"]
            for r in emitted
        )
        out["target_requests"] = math.ceil(changed / PAGE) + 1
        out["state_bytes_after"] = len(json.dumps(result["state"]))
    finally:
        by_stage: dict[int, list[int]] = {}
        for row in moved:
            by_stage.setdefault(row["stage_id"][0], []).append(row["id"])
        for stage, ids in by_stage.items():
            client.call("crm.lead", "write", ids, vals={"stage_id": stage})
        by_revenue: dict[float, list[int]] = {}
        for row in touched:
            by_revenue.setdefault(row["expected_revenue"], []).append(row["id"])
        for revenue, ids in by_revenue.items():
            client.call("crm.lead", "write", ids, vals={"expected_revenue": revenue})
        client.close()
    return out


class Clocked:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, dict[str, Any]]] = []

    def deliver_events(self, events: Any, stop: threading.Event) -> None:
        now = time.monotonic()
        with self.lock:
            for branch, rows in events.items():
                self.events += [(now, branch, r) for r in rows]

    def arrived(self, branch: str, record_id: int, after: float) -> float | None:
        with self.lock:
            return next(
                (at for at, b, r in self.events if b == branch and r["id"] == record_id and at >= after), None
            )

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
    return bool(condition())


def webhook_half(changes: int, watch: bool = True) -> dict[str, Any]:
    """The webhook's latency and posts; ``watch`` False is the control: the same flow without
    watchFields (Odoo posts every write), run beside it on the same loaded machine."""
    admin = real_connection(admin=True)
    if admin is None:
        return {"skipped": "set ODOO_URL, ODOO_DB and ODOO_ADMIN_API_KEY (Odoo on this machine)"}
    conn = parse_connection(admin)
    odoo = make_client(conn)
    listen_client = make_client(conn)
    won = won_stage(odoo)
    stages = odoo.call("crm.stage", "search", domain=[["is_won", "=", False]], order="sequence, id", limit=2)
    run = f"bench-watch-{secrets.token_hex(3)}"
    unit = load_manifest().unit("recordWebhookTrigger")
    inputs = validate_inputs(
        unit,
        {
            "model": "crm.lead",
            "fields": ["name"],
            "domain": [["name", "=like", f"{run}%"]],
            **({"watchFields": ["stage_id"]} if watch else {}),
        },
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Clocked()
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
    posts = [0]
    check = listener.check

    def counted(query: str) -> Any:
        posts[0] += 1
        return check(query)

    listener.check = counted  # type: ignore[method-assign]
    server = Server(make_app(listener), "127.0.0.1", port)
    server.start()
    listener.start()
    out: dict[str, Any] = {"changes": changes}
    leads: list[int] = []
    try:
        leads = odoo.call(
            "crm.lead", "create", vals_list=[{"name": f"{run}-{i}", "stage_id": stages[0]} for i in range(10)]
        )
        wait_until(lambda: all(sink.arrived("created", i, 0) for i in leads), 30)
        print(f"webhook (watch={watch}): {len(leads)} leads made", file=sys.stderr, flush=True)
        latencies, writes = [], []
        for n in range(changes):
            lead = leads[n % len(leads)]
            target = (won["id"], stages[1], stages[0])[(n // len(leads)) % 3]
            started = time.monotonic()
            odoo.call("crm.lead", "write", [lead], vals={"stage_id": target})
            writes.append(time.monotonic() - started)  # Odoo's own time for the write (and its post)
            wait_until(
                lambda lead=lead, started=started: sink.arrived("updated", lead, started) is not None, 10
            )
            at = sink.arrived("updated", lead, started)
            latencies.append(at - started if at is not None else math.inf)
            if n % len(leads) == len(leads) - 1:
                time.sleep(1.1)  # the next round writes the same leads: a later second
        finite = sorted(x for x in latencies if x != math.inf)
        out.update(
            emitted=len(finite),
            median_s=statistics.median(finite) if finite else None,
            p95_s=finite[int(0.95 * (len(finite) - 1))] if finite else None,
            write_call_median_s=statistics.median(writes),
        )
        print(f"webhook (watch={watch}): latency done", file=sys.stderr, flush=True)
        time.sleep(2)
        before_posts, before_events = posts[0], len(sink.events)
        for i, lead in enumerate(leads * 3):
            odoo.call("crm.lead", "write", [lead], vals={"expected_revenue": 100 + i})
        time.sleep(3)
        out["other_field_writes"] = len(leads) * 3
        out["posts_for_other_fields"] = posts[0] - before_posts
        out["events_for_other_fields"] = len(sink.events) - before_events
    finally:
        server.stop()
        state = store.load(listener.state_key)
        listener.close_subscription()
        left = odoo.call("base.automation", "search", domain=[["id", "in", (state or {}).get("ruleIds", [])]])
        if leads:
            odoo.call("crm.lead", "unlink", leads)
        out["rules_left_behind"] = len(left)
        odoo.close()
        listen_client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", type=int, default=50, help="leads moved to the won stage (poll)")
    parser.add_argument("--changes", type=int, default=60, help="stage changes timed (webhook)")
    parser.add_argument("--webhook-only", action="store_true", help="skip the poll half")
    args = parser.parse_args()
    poll = {"skipped": "--webhook-only"} if args.webhook_only else poll_half(args.changed)
    hook = webhook_half(args.changes)
    control = webhook_half(args.changes, watch=False) if "skipped" not in hook else hook
    rows: list[list[Any]] = []
    if "skipped" not in poll:
        rows += [
            [
                f"poll baseline over {poll['leads']} leads: requests / s",
                f"{poll['baseline_requests']} / {poll['baseline_s']:.2f}",
                "",
            ],
            ["poll state size (bytes), 2 watched fields", poll["state_bytes"], "< 2 000 000"],
            ["idle poll: requests", poll["idle_requests"], "1"],
            [
                f"{poll['changed_stage']} moved to won + {poll['changed_other_field']} other edits: requests",
                poll["change_requests"],
                f"<= {poll['target_requests']}",
            ],
            [
                "  emitted (exactly the moved, old and new named)",
                f"{poll['emitted']} ({poll['emitted_are_the_moved']}, {poll['old_and_new_named']})",
                f"{args.changed} (True, True)",
            ],
        ]
    if "skipped" not in hook:
        rows += [
            [
                "webhook change-to-emit median / p95 (s)",
                f"{hook['median_s']:.3f} / {hook['p95_s']:.3f}",
                "< 1 s",
            ],
            ["  of which the write call itself, median (s)", f"{hook['write_call_median_s']:.3f}", ""],
            [
                "control without watchFields: median / write call (s)",
                f"{control['median_s']:.3f} / {control['write_call_median_s']:.3f}",
                "",
            ],
            ["  posts for the other-field writes, control", control["posts_for_other_fields"], ""],
            [f"stage changes emitted of {hook['changes']}", hook["emitted"], "all"],
            [
                f"Odoo posts for {hook['other_field_writes']} writes of another field",
                hook["posts_for_other_fields"],
                "0",
            ],
            ["rules left behind", hook["rules_left_behind"], "0"],
        ]
    print_table("watchFields on the real Odoo", ["measure", "result", "target"], rows)
    emit_json("watch_fields", {"poll": poll, "webhook": hook, "webhook_control": control})


if __name__ == "__main__":
    main()

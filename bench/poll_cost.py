"""Poll cost: HTTP requests per ``pollChangesTrigger`` poll, idle and with N changes.

Against a real Odoo every request costs a key check (about 10 ms on loopback), and a trigger
polls forever, so requests per poll is the figure that matters. Counted with the fake server's
table mode behind an in-process httpx transport (no sockets: this measures counts, not time),
through ``runtime.invoke`` with the state carried from poll to poll as a platform does.

Each poll uses a fresh client, as a platform invoking the trigger once per schedule tick does, so
caches (``fields_get``) do not carry over. Two input variants: ``fields`` given, and ``fields``
omitted (the connector then asks ``fields_get`` for a default field list).

Targets: an idle poll is 1 request, whatever came before it; a poll with N changes is
ceil(N/pageSize) + a constant, fixed per variant rather than taken from a measurement: 0 with
``fields`` given (the pages carry the whole records), 1 without (the ``fields_get`` for the default
field list, as ``listRecords`` pays). Bursts of creations have consecutive ids, which the trigger
excludes on the server as id ranges, so their size no longer matters. A last table updates existing
records in two patterns: every other id (one ``in`` list per stamp, short in terms but long in
bytes) and runs of three ids (one range each), the latter past the trigger's cap of 4000 domain
items, to show what happens beyond that cap. It also gives the idle poll's request body size.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from common import FAKE_DB, emit_json, print_table
from fake_odoo import FakeOdoo, mock_transport

from odoo_connector import invoke, make_client, parse_connection

_FMT = "%Y-%m-%d %H:%M:%S"
T0 = datetime(2025, 6, 1, 12, 0, 0)


class World:
    """A model table with a server clock, and a trigger state carried between polls."""

    def __init__(self, inputs: dict[str, Any], history: int = 1000) -> None:
        # One write per minute before T0: a handful of records inside the 5-minute look-back.
        self.rows: list[dict[str, Any]] = []
        self.now = T0
        for i in range(history):
            stamp = (T0 - timedelta(minutes=history - i)).strftime(_FMT)
            self.rows.append({"id": i + 1, "name": f"Partner {i + 1}", "create_date": stamp,
                              "write_date": stamp})
        self.fake = FakeOdoo(rows=self.rows)
        self.conn = parse_connection({"type": "odooApiKey", "baseUrl": "http://fake.invalid",
                                      "database": FAKE_DB, "apiKey": "bench"})
        self.inputs = inputs
        self.state: dict[str, Any] | None = None
        self.sent_bytes = 0  # request bodies of the last poll

    def _transport(self) -> httpx.MockTransport:
        inner = mock_transport(self.fake)

        def handler(request: httpx.Request) -> httpx.Response:
            self.sent_bytes += len(request.read())
            return inner.handle_request(request)

        return httpx.MockTransport(handler)

    def poll(self) -> tuple[int, int]:
        """One poll with a fresh client; returns (requests, records emitted)."""
        self.sent_bytes = 0
        client = make_client(self.conn, http_transport=self._transport())
        with client:
            out = invoke("pollChangesTrigger", self.conn, self.inputs, state=self.state, client=client)
            self.state = out["state"]
            data = out["data"]
            return client.request_count, len(data["created"]) + len(data["updated"])

    def create(self, n: int, spread_seconds: int = 60) -> None:
        """N new records written over ``spread_seconds`` after the clock (a burst)."""
        start = len(self.rows) + 1
        for k in range(n):
            stamp = (self.now + timedelta(seconds=1 + k * spread_seconds // max(n, 1))).strftime(_FMT)
            self.rows.append({"id": start + k, "name": f"New {start + k}", "create_date": stamp,
                              "write_date": stamp})
        self.now += timedelta(seconds=spread_seconds + 1)

    def update(self, ids: list[int], spread_seconds: int = 60) -> None:
        """Existing records ``ids`` written again over ``spread_seconds`` after the clock."""
        for k, record_id in enumerate(ids):
            stamp = (self.now + timedelta(seconds=1 + k * spread_seconds // len(ids))).strftime(_FMT)
            self.rows[record_id - 1]["write_date"] = stamp
        self.now += timedelta(seconds=spread_seconds + 1)

    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


def scenario(inputs: dict[str, Any], sizes: list[int]) -> tuple[list[list[Any]], dict[str, Any]]:
    page = inputs.get("pageSize", 500)
    constant = 0 if "fields" in inputs else 1  # fields_get for the default field list
    world = World(inputs)
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {"page_size": page, "fields_given": "fields" in inputs, "constant": constant,
                               "by_n": {}}
    requests, _ = world.poll()
    rows.append(["first poll (baseline)", "-", requests, "-", "-"])
    figures["first_poll"] = requests
    requests, _ = world.poll()
    rows.append(["idle", 0, requests, 1, "met" if requests == 1 else "MISSED"])
    figures["idle"] = requests
    for n in sizes:
        world.wait(3600)
        world.create(n)
        requests, emitted = world.poll()
        assert emitted == n, f"emitted {emitted} of {n}"
        expected = math.ceil(n / page) + constant
        rows.append([f"{n} created", n, requests, f"ceil(N/{page})+{constant} = {expected}",
                     "met" if requests <= expected else f"MISSED (+{requests - expected})"])
        idle_after, _ = world.poll()
        rows.append(["  idle right after it", 0, idle_after, 1, "met" if idle_after == 1 else "MISSED"])
        world.wait(3600)
        idle_later, _ = world.poll()
        rows.append(["  idle an hour later", 0, idle_later, 1, "met" if idle_later == 1 else "MISSED"])
        figures["by_n"][n] = {"requests": requests, "expected": expected, "idle_right_after": idle_after,
                              "idle_an_hour_later": idle_later}
    return rows, figures


def every_other(n: int) -> list[int]:
    return list(range(1, 2 * n, 2))


def runs_of_three(n: int) -> list[int]:
    """n ids in runs of three consecutive ids with a gap of one: n / 3 ranges."""
    return [i for i in range(1, 4 * n // 3 + 4) if i % 4][:n]


UPDATE_PATTERNS: list[tuple[str, Callable[[int], list[int]], int]] = [
    ("every other id", every_other, 2000),
    ("every other id", every_other, 20000),
    ("runs of 3 ids", runs_of_three, 1800),
    ("runs of 3 ids", runs_of_three, 3000),
]


def scenario_updates(quick: bool) -> tuple[list[list[Any]], dict[str, Any]]:
    """Updates of existing records, fields given, pageSize 500; a fresh world per pattern."""
    page = 500
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {}
    for label, pattern, n in UPDATE_PATTERNS:
        if quick and n > 5000:
            continue
        ids = pattern(n)
        world = World({"model": "res.partner", "fields": ["name"]}, history=max(ids) + 10)
        world.poll()
        world.poll()
        world.wait(3600)
        world.update(ids)
        requests, emitted = world.poll()
        assert emitted == n, f"emitted {emitted} of {n}"
        expected = math.ceil(n / page)
        idle_after, _ = world.poll()
        idle_bytes = world.sent_bytes
        world.wait(3600)
        idle_later, _ = world.poll()
        name = f"{n} updated, {label}"
        rows.append([name, n, requests, expected, "met" if requests <= expected else "MISSED",
                     idle_after, idle_later, "met" if idle_after == idle_later == 1 else "MISSED",
                     f"{idle_bytes / 1024:.1f}"])
        figures[name] = {"requests": requests, "expected": expected, "idle_right_after": idle_after,
                         "idle_an_hour_later": idle_later, "idle_request_bytes": idle_bytes}
    return rows, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer and smaller bursts")
    args = parser.parse_args()
    full = [1, 10, 100, 499, 500, 501, 1000, 1200, 2500, 5000, 6000]
    sizes = [1, 10, 499, 500, 501, 1200] if args.quick else full
    out: dict[str, Any] = {}
    variants: dict[str, dict[str, Any]] = {
        "fields given, pageSize 500": {"model": "res.partner", "fields": ["name"]},
        "fields omitted, pageSize 500": {"model": "res.partner"},
        "fields given, pageSize 100": {"model": "res.partner", "fields": ["name"], "pageSize": 100},
    }
    for label, inputs in variants.items():
        rows, figures = scenario(inputs, sizes)
        print_table(f"pollChangesTrigger requests per poll: {label} (fresh client per poll)",
                    ["poll", "N", "requests", "target", ""], rows)
        out[label] = figures
    rows, figures = scenario_updates(args.quick)
    print_table("pollChangesTrigger requests per poll: updates of existing records, fields given, page 500",
                ["burst", "N", "poll", "target", "", "idle right after", "idle an hour later", "target 1",
                 "idle request KiB"], rows)
    out["updates, fields given, pageSize 500"] = figures
    emit_json("poll_cost", out)


if __name__ == "__main__":
    main()

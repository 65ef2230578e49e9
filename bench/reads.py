"""Reads like Odoo's views against the loops flows write today, side by side on a real Odoo 19.

* **Nested reads.** 500 sale orders with their lines and each line's product name: listRecords
  with a ``specification`` (fetchAll, one ``web_search_read`` per page) against a loop of
  getRecordById per order plus one listRecords per order's lines. Targets: data requests =
  ceil(N/page); wall time at most 1/10 of the loop.
* **Aggregation.** Expected revenue per stage over 20 000 leads: aggregateRecords (one
  ``formatted_read_group``) against listRecords fetchAll and summing in the client. Targets: one
  data request; at least 20 times faster.

Both run as the ordinary user of ODOO_API_KEY (JSON-2), each side with a fresh client whose
``fields_get`` answers are then cached (a long-lived process's case); the ``fields_get`` requests
are counted apart from the data requests. The data lives under the ``bench-`` prefix and is kept
for later runs: ``--setup`` creates what is missing, as the administrator over JSON-2, in
batches (products ``bench-product-*``, customers ``bench-customer-*``, orders with
``client_order_ref`` ``bench-nested-*`` and three lines each, leads ``bench-lead-*`` spread over
the stages with an expected revenue).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from typing import Any

from common import emit_json, print_table, real_connection

from odoo_connector import invoke, make_client, parse_connection

ORDERS, LEADS = 500, 20000
ORDER_REF, LEAD_NAME = "bench-nested-%", "bench-lead-%"
SPEC = {
    "name": {},
    "partner_id": {"fields": {"display_name": {}}},
    "order_line": {"fields": {"product_id": {"fields": {"display_name": {}}}, "product_uom_qty": {}}},
}


def setup(admin: dict[str, Any]) -> None:
    client = make_client(parse_connection(admin))
    count = lambda model, domain: int(client.call(model, "search_count", domain=domain))  # noqa: E731
    products = client.call("product.product", "search", domain=[["name", "=like", "bench-product-%"]])
    if len(products) < 20:
        products += client.call(
            "product.product",
            "create",
            vals_list=[
                {"name": f"bench-product-{i}", "list_price": 10 + i} for i in range(len(products), 20)
            ],
        )
    customers = client.call("res.partner", "search", domain=[["name", "=like", "bench-customer-%"]])
    if len(customers) < 50:
        customers += client.call(
            "res.partner",
            "create",
            vals_list=[{"name": f"bench-customer-{i}"} for i in range(len(customers), 50)],
        )
    have = count("sale.order", [["client_order_ref", "=like", ORDER_REF]])
    for start in range(have, ORDERS, 50):
        client.call(
            "sale.order",
            "create",
            vals_list=[
                {
                    "partner_id": customers[i % len(customers)],
                    "client_order_ref": f"bench-nested-{i}",
                    "order_line": [
                        [0, 0, {"product_id": products[(i + k) % len(products)], "product_uom_qty": k + 1}]
                        for k in range(3)
                    ],
                }
                for i in range(start, min(start + 50, ORDERS))
            ],
        )
    stages = client.call("crm.stage", "search", domain=[])
    have = count("crm.lead", [["name", "=like", LEAD_NAME]])
    for start in range(have, LEADS, 1000):
        client.call(
            "crm.lead",
            "create",
            vals_list=[
                {
                    "name": f"bench-lead-{i}",
                    "type": "opportunity",
                    "stage_id": stages[i % len(stages)],
                    "expected_revenue": (i % 97) * 100,
                }
                for i in range(start, min(start + 1000, LEADS))
            ],
        )
        print(f"leads: {min(start + 1000, LEADS)}", file=sys.stderr)
    client.close()


def measured(
    conn: dict[str, Any], run: Callable[[Any], Any], repeats: int, *, again: bool = True
) -> tuple[float, int, int, Any, float]:
    """Median wall time, data requests and fields_get requests of ``run(client)`` on a new
    client, its result, and the median wall time of a second run on the same client (fields_get
    answers cached, as in a long-lived process)."""
    walls, warm, result, data, schema = [], [], None, 0, 0
    for _ in range(repeats):
        client = make_client(parse_connection(conn))
        sent: list[str] = []
        original = client.call

        def counting(
            model: str, method: str, *args: Any, _call: Any = original, _sent: list[str] = sent, **kwargs: Any
        ) -> Any:
            _sent.append(method)
            return _call(model, method, *args, **kwargs)

        client.call = counting  # type: ignore[method-assign]
        started = time.perf_counter()
        result = run(client)
        walls.append(time.perf_counter() - started)
        schema = sent.count("fields_get")
        data = len(sent) - schema
        if again:
            started = time.perf_counter()
            run(client)
        warm.append(time.perf_counter() - started)
        client.close()
    walls.sort()
    warm.sort()
    return walls[len(walls) // 2], data, schema, result, warm[len(warm) // 2]


def nested(conn: dict[str, Any], repeats: int, page: int) -> list[list[Any]]:
    domain = [["client_order_ref", "=like", ORDER_REF]]

    def one_read(client: Any) -> list[dict[str, Any]]:
        inputs = {"model": "sale.order", "domain": domain, "specification": SPEC, "fetchAll": True}
        return invoke("listRecords", conn, {**inputs, "pageSize": page}, client=client)["data"]  # type: ignore[no-any-return]

    def loop(client: Any) -> list[dict[str, Any]]:
        ids = invoke(
            "listRecords",
            conn,
            {"model": "sale.order", "domain": domain, "fields": ["id"], "fetchAll": True},
            client=client,
        )["data"]
        out = []
        for row in ids:
            order = invoke(
                "getRecordById",
                conn,
                {"model": "sale.order", "recordId": row["id"], "fields": ["name", "partner_id"]},
                client=client,
            )["data"]
            order["order_line"] = invoke(
                "listRecords",
                conn,
                {
                    "model": "sale.order.line",
                    "domain": [["order_id", "=", row["id"]]],
                    "fields": ["product_id", "product_uom_qty"],
                    "limit": 1000,
                },
                client=client,
            )["data"]
            out.append(order)
        return out

    wall_a, data_a, schema_a, rows, warm_a = measured(conn, one_read, repeats)
    wall_b, data_b, schema_b, looped, warm_b = measured(conn, loop, 1, again=False)
    assert len(rows) == len(looped) == ORDERS, (len(rows), len(looped))
    assert sum(len(r["order_line"]) for r in rows) == sum(len(r["order_line"]) for r in looped)
    return [
        [
            f"listRecords + specification (pageSize {page})",
            len(rows),
            data_a,
            math.ceil(len(rows) / page),
            schema_a,
            wall_a,
            warm_a,
            1.0,
        ],
        [
            "loop: getRecordById + listRecords of lines per order",
            len(looped),
            data_b,
            "-",
            schema_b,
            wall_b,
            warm_b,
            wall_b / wall_a,
        ],
    ]


def aggregation(conn: dict[str, Any], repeats: int) -> list[list[Any]]:
    domain = [["name", "=like", LEAD_NAME]]

    def grouped(client: Any) -> dict[Any, float]:
        rows = invoke(
            "aggregateRecords",
            conn,
            {
                "model": "crm.lead",
                "domain": domain,
                "groupBy": ["stage_id"],
                "aggregates": ["expected_revenue:sum"],
            },
            client=client,
        )["data"]
        return {row["stage_id"]["id"]: row["expected_revenue:sum"] for row in rows}

    def summed(client: Any) -> dict[Any, float]:
        totals: dict[Any, float] = {}
        rows = invoke(
            "listRecords",
            conn,
            {
                "model": "crm.lead",
                "domain": domain,
                "fields": ["stage_id", "expected_revenue"],
                "fetchAll": True,
            },
            client=client,
        )["data"]
        for row in rows:
            key = row["stage_id"][0]
            totals[key] = totals.get(key, 0.0) + row["expected_revenue"]
        return totals

    wall_a, data_a, schema_a, totals_a, warm_a = measured(conn, grouped, repeats)
    wall_b, data_b, schema_b, totals_b, warm_b = measured(conn, summed, repeats)
    assert totals_a == totals_b, (totals_a, totals_b)
    return [
        [
            "aggregateRecords (stage_id, expected_revenue:sum)",
            len(totals_a),
            data_a,
            schema_a,
            wall_a,
            warm_a,
            1.0,
            1.0,
        ],
        [
            "listRecords fetchAll + sum in the client",
            len(totals_b),
            data_b,
            schema_b,
            wall_b,
            warm_b,
            wall_b / wall_a,
            warm_b / warm_a,
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--setup", action="store_true", help="create the missing bench- data first (admin)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--page", type=int, default=100, help="pageSize of the nested read")
    args = parser.parse_args()
    conn, admin = real_connection(), real_connection(admin=True)
    if conn is None or admin is None:
        print("needs a real Odoo: ODOO_URL, ODOO_DB, ODOO_API_KEY and ODOO_ADMIN_API_KEY", file=sys.stderr)
        return
    if args.setup:
        setup(admin)
    rows_n = nested(conn, args.repeats, args.page)
    print_table(
        f"Nested reads: {ORDERS} sale orders, their lines and each line's product name (JSON-2, median)",
        [
            "way",
            "orders",
            "data requests",
            "ceil(N/page)",
            "fields_get",
            "wall s",
            "warm s",
            "x the one read",
        ],
        rows_n,
    )
    rows_a = aggregation(conn, args.repeats)
    print_table(
        f"Aggregation: expected revenue per stage over {LEADS} leads (JSON-2, median)",
        ["way", "groups", "data requests", "fields_get", "wall s", "warm s", "x (new client)", "x (warm)"],
        rows_a,
    )
    emit_json("reads", {"nested": rows_n, "aggregation": rows_a})


if __name__ == "__main__":
    main()

"""Reads like Odoo's own views (issue 28), over both connections as an ordinary Sales user,
replaying cassettes recorded from a real Odoo 19: related records and lines in the read actions
and the poll trigger (``specification``, dotted fields), countRecords, aggregateRecords and their
picklists."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.errors import InputError, NotFoundError

pytestmark = pytest.mark.recordable

LINES = {
    "name": {},
    "partner_id": {"fields": {"display_name": {}, "country_id": {"fields": {"code": {}}}}},
    "order_line": {"fields": {"product_id": {"fields": {"display_name": {}}}, "product_uom_qty": {}}},
}


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def created(conn: dict[str, Any], cleanup: list[tuple[str, int]], model: str, **values: Any) -> int:
    record_id = int(run(conn, "createRecord", model=model, parameters=values))
    cleanup.append((model, record_id))
    return record_id


@pytest.fixture
def products(admin_conn: dict[str, Any], prefix: str) -> Iterator[list[int]]:
    """Two products (a Sales user may not create them), deleted by the administrator after."""
    ids = [
        int(run(admin_conn, "createRecord", model="product.product", parameters={"name": f"{prefix} {n}"}))
        for n in ("Chair", "Desk")
    ]
    yield ids
    for product_id in ids:
        with contextlib.suppress(NotFoundError):
            invoke("deleteRecordById", admin_conn, {"model": "product.product", "recordId": product_id})


@pytest.fixture
def orders(admin_conn: dict[str, Any], cleanup: list[Any], products: list[int]) -> Iterator[list[int]]:
    """Sales orders a test creates: a Sales user may not delete them, the administrator does,
    before the customers and products they use (set up after them, so torn down first)."""
    ids: list[int] = []
    yield ids
    for order_id in ids:
        with contextlib.suppress(NotFoundError):
            invoke("deleteRecordById", admin_conn, {"model": "sale.order", "recordId": order_id})


@pytest.fixture
def order(conn, cleanup, prefix, products, orders) -> dict[str, int]:
    """A Belgian customer and a quotation with two lines."""
    belgium = run(conn, "listRecords", model="res.country", domain=[["code", "=", "BE"]], fields=["id"])[0][
        "id"
    ]
    partner = created(conn, cleanup, "res.partner", name=f"{prefix} Customer", country_id=belgium)
    lines = [
        {"product_id": products[0], "product_uom_qty": 2},
        {"product_id": products[1], "product_uom_qty": 1},
    ]
    order_id = int(
        run(conn, "createRecord", model="sale.order", parameters={"partner_id": partner, "order_line": lines})
    )
    orders.append(order_id)
    return {"id": order_id, "partner": partner, "country": belgium}


def _expected_lines(prefix: str) -> list[tuple[str, float]]:
    return [(f"{prefix} Chair", 2.0), (f"{prefix} Desk", 1.0)]


def _lines(record: dict[str, Any]) -> list[tuple[str, float]]:
    return [(line["product_id"]["display_name"], line["product_uom_qty"]) for line in record["order_line"]]


def test_get_record_reads_the_order_with_its_customer_country_and_lines_products(conn, order, prefix):
    record = run(conn, "getRecordById", model="sale.order", recordId=order["id"], specification=LINES)
    assert record["partner_id"]["display_name"] == f"{prefix} Customer"
    assert record["partner_id"]["country_id"] == {"id": order["country"], "code": "BE"}
    assert _lines(record) == _expected_lines(prefix)


def test_list_records_with_a_specification_and_friendly_format_shapes_every_level(conn, order, prefix):
    spec = {
        **LINES,
        "date_order": {},
        "order_line": {"fields": {"product_id": {}, "write_date": {}}, "limit": 1},
    }
    rows = run(
        conn,
        "listRecords",
        model="sale.order",
        domain=[["id", "=", order["id"]]],
        specification=spec,
        format="friendly",
    )
    assert len(rows) == 1
    assert rows[0]["date_order"].endswith("Z")  # a datetime, in ISO 8601 at the top level
    line = rows[0]["order_line"][0]
    assert line["write_date"].endswith("Z")  # and in the lines
    assert isinstance(line["product_id"], int)  # a many2one asked as {}: its id, as Odoo gives it
    assert rows[0]["order_line"][1] == {"id": rows[0]["order_line"][1]["id"]}  # past the limit: ids only


def test_list_records_fetch_all_pages_with_the_specification(conn, orders, order, prefix):
    second = int(run(conn, "createRecord", model="sale.order", parameters={"partner_id": order["partner"]}))
    orders.append(second)
    rows = run(
        conn,
        "listRecords",
        model="sale.order",
        domain=[["partner_id", "=", order["partner"]]],
        specification=LINES,
        fetchAll=True,
        pageSize=1,
    )
    assert [r["id"] for r in rows] == [order["id"], second]
    assert _lines(rows[0]) == _expected_lines(prefix)
    assert rows[1]["order_line"] == []
    after = run(
        conn,
        "listRecords",
        model="sale.order",
        domain=[["partner_id", "=", order["partner"]]],
        specification={"name": {}},
        afterId=order["id"],
    )
    assert [r["id"] for r in after] == [second]


def test_dotted_fields_read_the_related_value(conn, order):
    rows = run(
        conn,
        "listRecords",
        model="res.partner",
        domain=[["id", "=", order["partner"]]],
        fields=["name", "country_id", "country_id.code"],
    )
    assert rows[0]["country_id"] == {"id": order["country"], "display_name": "Belgium", "code": "BE"}


def test_get_record_by_external_id_follows_related_records(conn):
    data = run(
        conn,
        "getRecordByExternalId",
        externalId="base.main_company",
        specification={
            "partner_id": {"fields": {"display_name": {}, "company_id": {"fields": {"name": {}}}}}
        },
    )
    assert data["model"] == "res.company"
    partner = data["record"]["partner_id"]
    assert set(partner) == {"id", "display_name", "company_id"}


def test_an_unknown_field_deep_in_the_specification_is_refused_with_its_path(conn):
    spec = {"order_line": {"fields": {"product_idx": {}}}}
    with pytest.raises(InputError) as err:
        run(conn, "listRecords", model="sale.order", specification=spec)
    assert err.value.path == "specification.order_line.fields.product_idx"
    assert "'product_id'" in err.value.message  # the closest name is offered
    with pytest.raises(InputError) as err:
        run(conn, "getRecordById", model="res.partner", recordId=1, fields=["country_id.cod"])
    assert err.value.path == "fields[0]"


def test_poll_trigger_emits_orders_with_their_lines(conn, order, prefix):
    result = invoke(
        "pollChangesTrigger",
        conn,
        {
            "model": "sale.order",
            "domain": [["id", "=", order["id"]]],
            "specification": LINES,
            "emitExisting": True,
        },
    )
    records = result["data"]["created"] + result["data"]["updated"]
    assert [r["id"] for r in records] == [order["id"]]
    assert _lines(records[0]) == _expected_lines(prefix)
    assert records[0]["write_date"]  # the keys the trigger needs are read with it


def test_count_records_counts_on_the_server(conn, cleanup, prefix):
    created(conn, cleanup, "res.partner", name=f"{prefix} Count A")
    created(conn, cleanup, "res.partner", name=f"{prefix} Count B")
    assert (
        run(conn, "countRecords", model="res.partner", domain=[["name", "=like", f"{prefix} Count %"]]) == 2
    )


def test_aggregate_records_totals_lines_per_product_and_orders_per_month(conn, order, prefix, products):
    rows = run(
        conn,
        "aggregateRecords",
        model="sale.order.line",
        domain=[["order_id", "=", order["id"]]],
        groupBy=["product_id"],
        aggregates=["count", "product_uom_qty:sum"],
        order="product_uom_qty:sum desc",
    )
    assert rows == [
        {
            "product_id": {"id": products[0], "name": f"{prefix} Chair"},
            "count": 1,
            "product_uom_qty:sum": 2.0,
        },
        {"product_id": {"id": products[1], "name": f"{prefix} Desk"}, "count": 1, "product_uom_qty:sum": 1.0},
    ]
    months = run(
        conn,
        "aggregateRecords",
        model="sale.order",
        domain=[["id", "=", order["id"]]],
        groupBy=["date_order:month"],
        aggregates=["count"],
    )
    period = months[0]["date_order:month"]
    assert set(period) == {"label", "from", "to"} and period["from"] < period["to"]


def test_aggregate_records_gives_null_for_the_empty_group_and_filters_with_having(
    conn, cleanup, order, prefix
):
    created(conn, cleanup, "res.partner", name=f"{prefix} Nowhere")
    domain = [["name", "=like", f"{prefix} %"], ["id", "in", [order["partner"], cleanup[-1][1]]]]
    rows = run(conn, "aggregateRecords", model="res.partner", domain=domain, groupBy=["country_id"])
    assert {(r["country_id"] or {}).get("id"): r["count"] for r in rows} == {order["country"]: 1, None: 1}
    kept = run(
        conn,
        "aggregateRecords",
        model="res.partner",
        domain=[*domain, ["country_id", "!=", False]],
        groupBy=["country_id"],
        aggregates=["count"],
        having=[["count", ">", 1]],
    )
    assert kept == []


def test_aggregate_records_refuses_what_cannot_be_grouped_or_totalled_before_sending(conn):
    with pytest.raises(InputError) as err:
        run(conn, "aggregateRecords", model="sale.order", groupBy=["order_line"])
    assert err.value.path == "groupBy[0]" and "partner_id" in (err.value.hint or "")
    with pytest.raises(InputError) as err:
        run(conn, "aggregateRecords", model="sale.order", aggregates=["name:sum"])
    assert err.value.path == "aggregates[0]" and "amount_total:sum" in (err.value.hint or "")
    with pytest.raises(InputError) as err:
        run(conn, "aggregateRecords", model="sale.order", groupBy=["date_order"])
    assert "date_order:month" in err.value.message


def test_picklists_offer_groupable_fields_and_aggregates(conn):
    groups = {o["key"] for o in run(conn, "selectGroupByField", model="crm.lead")}
    assert {"stage_id", "create_date:month", "user_id"} <= groups
    assert "message_ids" not in groups  # a one2many: Odoo cannot group by it
    totals = {o["key"] for o in run(conn, "selectAggregateField", model="crm.lead")}
    assert {"count", "expected_revenue:sum", "expected_revenue:avg"} <= totals
    assert "name:sum" not in totals

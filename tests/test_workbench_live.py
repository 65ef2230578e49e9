"""Issue 32's "done when", in the workbench against the real Odoo 19 (``pytest -m live`` with
ODOO_* set; the browser tests' Chromium): a person creates a customer, then a quotation with two
lines for it, the customer found by typing part of its name and the products picked by name, and
tags a lead, all from the models' own forms (the real modelForm), without typing JSON or an id.
The products and the tag are made by the administrator first (an ordinary salesperson may not),
and everything is deleted afterwards."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from odoo_connector import invoke

from .test_workbench import Page, _pick, _request_when, browser, web_stack  # noqa: F401 (fixtures, used by name)

pytestmark = pytest.mark.live


def _conn(key_variable: str) -> dict[str, Any]:
    names = ("ODOO_URL", "ODOO_DB", key_variable)
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"live Odoo not configured: set {', '.join(missing)}")
    return {
        "type": "odooApiKey",
        "baseUrl": os.environ["ODOO_URL"],
        "database": os.environ["ODOO_DB"],
        "apiKey": os.environ[key_variable],
    }


@pytest.fixture
def live(
    web_stack: None,  # noqa: F811
) -> Iterator[tuple[dict[str, Any], dict[str, Any], str, list[tuple[str, int]]]]:
    from odoo_connector.manifest import load_manifest
    from odoo_connector.workbench.server import running

    user, admin = _conn("ODOO_API_KEY"), _conn("ODOO_ADMIN_API_KEY")
    created: list[tuple[str, int]] = []
    with running(load_manifest()) as url:
        try:
            yield user, admin, url, created
        finally:
            for model, record_id in reversed(created):
                invoke("deleteRecordById", admin, {"model": model, "recordId": record_id})


def _connect(wb: Page, conn: dict[str, Any]) -> None:
    page = wb.page
    page.select_option("#connection-type", "odooApiKey")
    page.fill("#conn-baseUrl", conn["baseUrl"])
    page.fill("#conn-database", conn["database"])
    page.fill("#conn-apiKey", conn["apiKey"])
    page.click("#connection-save")
    page.wait_for_selector("#connection-result.ok:has-text('Connected')", timeout=30000)


def _created(wb: Page) -> int:
    wb.run()
    result = json.loads(wb.page.inner_text("#unit-output"))
    record_id: int = result["data"]
    return record_id


def test_a_quotation_with_two_lines_for_a_customer_just_created_and_a_tagged_lead(
    browser: Any,  # noqa: F811
    live: Any,
    tmp_path: Path,
) -> None:
    user, admin, url, created = live
    prefix = f"oc-live-wb-{secrets.token_hex(3)}"
    for name in ("chair", "lamp"):
        product = invoke(
            "createRecord", admin, {"model": "product.product", "parameters": {"name": f"{prefix} {name}"}}
        )
        created.append(("product.product", product["data"]))
    tag = invoke("createRecord", admin, {"model": "crm.tag", "parameters": {"name": f"{prefix} hot"}})["data"]
    created.append(("crm.tag", tag))

    wb = Page(browser, url, tmp_path)
    page = wb.page
    page.set_default_timeout(30000)
    _connect(wb, user)

    wb.pick_unit("createRecord")
    page.get_by_label("Search Model", exact=True).fill("Contact")
    wb.choose("model", "Contact (res.partner)")
    form = page.locator("fieldset.wb-dynamic[data-path=parameters]")
    form.get_by_label("Name*", exact=True).fill(f"{prefix} customer")
    _request_when(page, lambda r: r.get("parameters", {}).get("name") == f"{prefix} customer")
    customer = _created(wb)
    created.append(("res.partner", customer))

    page.get_by_label("Search Model", exact=True).fill("Sales Order")
    wb.choose("model", "Sales Order (sale.order)")
    form.get_by_label("Search Customer", exact=True).wait_for()
    for label in ("Customer", "Invoice Address", "Delivery Address"):
        _pick(form, label, prefix.removeprefix("oc-live-"), f"{prefix} customer")
    add = form.get_by_role("button", name="Add a line to Order Lines")
    for number, (product, quantity, price) in enumerate(
        [("chair", "2", "149.5"), ("lamp", "3", "20")], start=1
    ):
        add.click()
        line = form.get_by_role("group", name=f"Order Lines line {number}")
        _pick(line, "Product", f"{prefix} {product}", f"{prefix} {product}")
        line.get_by_label("Quantity", exact=True).fill(quantity)
        line.get_by_label("Unit Price", exact=True).fill(price)
    _request_when(page, lambda r: len(r.get("parameters", {}).get("order_line", [])) == 2)
    order = _created(wb)
    created.append(("sale.order", order))
    lines = invoke(
        "listRecords",
        user,
        {
            "model": "sale.order.line",
            "domain": [["order_id", "=", order]],
            "fields": ["product_id", "product_uom_qty", "price_unit"],
            "order": "id",
        },
    )["data"]
    assert [(r["product_id"][1], r["product_uom_qty"], r["price_unit"]) for r in lines] == [
        (f"{prefix} chair", 2, 149.5),
        (f"{prefix} lamp", 3, 20),
    ]

    page.get_by_label("Search Model", exact=True).fill("Lead")
    wb.choose("model", "Lead (crm.lead)")
    form.get_by_label("Search Tags", exact=True).wait_for()
    form.get_by_label(re.compile(r"^Opportunity")).fill(f"{prefix} lead")
    _pick(form, "Tags", "hot", f"{prefix} hot")
    _request_when(page, lambda r: r.get("parameters", {}).get("tag_ids") == [tag])
    lead = _created(wb)
    created.append(("crm.lead", lead))
    read = invoke("getRecordById", user, {"model": "crm.lead", "recordId": lead, "fields": ["tag_ids"]})[
        "data"
    ]
    assert read["tag_ids"] == [tag]

"""Values a person writes, against a real Odoo 19 as an ordinary user (issue 10, section 1):
related records by name, selection labels, ISO datetimes, one2many lines as objects, the errors
that stop a write before it is sent, and a friendly read sent back through updateRecord."""

from __future__ import annotations

from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.errors import InputError

pytestmark = pytest.mark.recordable


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    return invoke(key, conn, inputs)["data"]


def test_a_partner_with_country_and_tags_by_name_and_contacts_as_objects(conn, cleanup, prefix):
    tag = run(conn, "createRecord", model="res.partner.category", parameters={"name": f"{prefix} VIP"})
    cleanup.append(("res.partner.category", tag))
    partner = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={
            "name": f"{prefix} Acme",
            "is_company": "yes",
            "country_id": {"name": "belgium"},
            "category_id": [{"name": f"{prefix} VIP"}],
            "child_ids": [{"name": f"{prefix} Jo", "email": "jo@acme.example", "country_id": "Belgium"}],
        },
    )
    cleanup.append(("res.partner", partner))
    record = run(
        conn,
        "getRecordById",
        model="res.partner",
        recordId=partner,
        fields=["is_company", "country_id", "category_id", "child_ids"],
        format="friendly",
    )
    assert record["is_company"] is True
    assert record["country_id"]["name"] == "Belgium"
    assert record["category_id"] == [tag]
    [child] = record["child_ids"]
    cleanup.append(("res.partner", child))
    contact = run(conn, "getRecordById", model="res.partner", recordId=child, fields=["name", "country_id"])
    assert contact["name"] == f"{prefix} Jo" and contact["country_id"][0] == record["country_id"]["id"]


def test_a_quotation_with_customer_by_name_a_selection_label_and_an_offset_datetime(
    conn, admin_conn, cleanup, prefix
):
    customer = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Buyer"})
    cleanup.append(("res.partner", customer))
    order = run(
        conn,
        "createRecord",
        model="sale.order",
        parameters={
            "partner_id": f"{prefix} Buyer",
            "picking_policy": "when all products are ready",
            "date_order": "2026-11-23T14:05:00+01:00",
        },
    )
    try:
        read = run(
            conn,
            "getRecordById",
            model="sale.order",
            recordId=order,
            fields=["partner_id", "picking_policy", "date_order"],
        )
    finally:
        # a salesperson may not delete quotations; the administrator may
        run(admin_conn, "deleteRecordById", model="sale.order", recordId=order)
    assert read["partner_id"][0] == customer
    assert read["picking_policy"] == "one"
    assert read["date_order"] == "2026-11-23 13:05:00"


def test_an_ambiguous_name_lists_both_records_and_nothing_is_written(conn, cleanup, prefix):
    twins = [
        run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Twin"}) for _ in "ab"
    ]
    cleanup.extend(("res.partner", twin) for twin in twins)
    with pytest.raises(InputError) as err:
        run(
            conn,
            "createRecord",
            model="res.partner",
            parameters={"name": f"{prefix} Kid", "parent_id": f"{prefix} Twin"},
        )
    for twin in twins:
        assert f"(id {twin})" in err.value.message
    found = run(
        conn, "listRecords", model="res.partner", domain=[["name", "=", f"{prefix} Kid"]], fields=["id"]
    )
    assert found == []


def test_wrong_values_are_named_before_anything_is_sent(conn):
    with pytest.raises(InputError) as err:
        run(
            conn,
            "createRecord",
            model="crm.lead",
            parameters={
                "name": "x",
                "priorty": "High",
                "date_deadline": "next week",
                "country_id": "Nowhereland",
            },
        )
    message = err.value.message
    assert message.startswith("2 values cannot be written to crm.lead:")
    assert (
        "crm.lead has no field 'priorty' that this user can see; did you mean 'priority' (Priority)?"
        in message
    )
    assert "crm.lead.date_deadline is a date: give it as YYYY-MM-DD, not 'next week'." in message
    assert err.value.exit_code == 2


def test_a_friendly_read_goes_back_through_update_record_unchanged(conn, cleanup, prefix):
    partner = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Round Trip", "country_id": "Belgium", "company_type": "Company"},
    )
    cleanup.append(("res.partner", partner))
    before = run(conn, "getRecordById", model="res.partner", recordId=partner, format="friendly")
    assert run(conn, "updateRecord", model="res.partner", recordId=partner, parameters=before) is True
    after = run(conn, "getRecordById", model="res.partner", recordId=partner, format="friendly")
    assert {k: v for k, v in after.items() if k != "write_date"} == {
        k: v for k, v in before.items() if k != "write_date"
    }
    with pytest.raises(InputError) as err:
        run(
            conn,
            "updateRecord",
            model="res.partner",
            recordId=partner,
            parameters={**before, "display_name": "Other"},
        )
    assert "res.partner.display_name" in err.value.message and "is read-only" in err.value.message

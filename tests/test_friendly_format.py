"""``format: friendly`` on the read actions (issue 10, section 2), recorded against a real Odoo 19:
a many2one as ``{"id", "name"}``, datetimes as ISO 8601 with ``Z``, ``null`` for empty values."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest

pytestmark = pytest.mark.recordable


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def test_get_and_list_records_in_the_friendly_format(conn, cleanup, prefix):
    company = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Parent Co", "is_company": True},
    )
    cleanup.append(("res.partner", company))
    person = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Person", "parent_id": company},
    )
    cleanup.append(("res.partner", person))
    fields = ["name", "parent_id", "email", "is_company", "write_date", "category_id"]
    plain = run(conn, "getRecordById", model="res.partner", recordId=person, fields=fields)
    friendly = run(
        conn, "getRecordById", model="res.partner", recordId=person, fields=fields, format="friendly"
    )
    assert plain["parent_id"] == [company, f"{prefix} Parent Co"] and plain["email"] is False
    assert friendly == {
        "id": person,
        "name": f"{prefix} Person",
        "parent_id": {"id": company, "name": f"{prefix} Parent Co"},
        "email": None,
        "is_company": False,  # a boolean keeps its false
        "write_date": plain["write_date"].replace(" ", "T") + "Z",
        "category_id": [],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", friendly["write_date"])
    listed = run(
        conn,
        "listRecords",
        model="res.partner",
        domain=[["id", "=", person]],
        fields=fields,
        format="friendly",
    )
    assert listed == [friendly]

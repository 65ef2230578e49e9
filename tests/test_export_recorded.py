"""exportRecords over both connections as an ordinary internal user, replaying cassettes recorded
from a real Odoo 19: the labelled columns, a related path, a one2many's names joined, the
formula guard on a phone number, and an Excel file that openpyxl reads back."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import openpyxl
import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest

pytestmark = pytest.mark.recordable

FIELDS = ["name", "phone", "is_company", "country_id", "country_id.code", "parent_id", "child_ids"]
TITLES = ["Name", "Phone", "Is a Company", "Country", "Country/Country Code", "Related Company", "Contact"]


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def new_partners(conn: dict[str, Any], cleanup: list[tuple[str, int]], prefix: str) -> None:
    company = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={
            "name": f"{prefix} Export Acme",
            "is_company": True,
            "country_id": "Belgium",
            "phone": "+32 2 555 01 00",
        },
    )
    cleanup.append(("res.partner", company))
    for name in ("Jane", "Bob"):
        contact = run(
            conn,
            "createRecord",
            model="res.partner",
            parameters={"name": f"{prefix} Export {name}", "parent_id": company},
        )
        cleanup.append(("res.partner", contact))


def expected_rows(prefix: str) -> list[list[Any]]:
    """The three rows by name. A contact's display name carries its company ("Acme, Jane"), and
    child_ids lists the contacts in res.partner's order (by that name): Odoo's own names, joined."""
    acme = f"{prefix} Export Acme"
    contacts = f"{acme}, {prefix} Export Bob, {acme}, {prefix} Export Jane"
    return [
        [acme, "+32 2 555 01 00", True, "Belgium", "BE", None, contacts],
        [f"{prefix} Export Bob", None, False, "Belgium", "BE", acme, None],
        [f"{prefix} Export Jane", None, False, "Belgium", "BE", acme, None],
    ]


def test_export_records_as_csv_with_labels_paths_and_the_formula_guard(conn, cleanup, prefix):
    new_partners(conn, cleanup, prefix)
    data = run(
        conn,
        "exportRecords",
        model="res.partner",
        domain=[["name", "=like", f"{prefix} Export %"]],
        fields=FIELDS,
        order="name asc",
    )
    assert {key: data[key] for key in ("fileName", "mimeType", "rows")} == {
        "fileName": "res_partner.csv",
        "mimeType": "text/csv",
        "rows": 3,
    }
    text = base64.b64decode(data["content"]).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == TITLES

    def as_csv(value: Any) -> str:
        return "" if value is None else str(value)

    expected = [[as_csv(value) for value in row] for row in expected_rows(prefix)]
    expected[0][1] = "'+32 2 555 01 00"  # starts like a formula: written as text
    assert rows[1:] == expected


def test_export_records_as_excel_reads_back_with_labelled_columns(conn, cleanup, prefix, tmp_path):
    new_partners(conn, cleanup, prefix)
    data = run(
        conn,
        "exportRecords",
        model="res.partner",
        domain=[["name", "=like", f"{prefix} Export %"]],
        fields=FIELDS,
        order="name asc",
        format="xlsx",
    )
    assert data["mimeType"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = tmp_path / data["fileName"]
    path.write_bytes(base64.b64decode(data["content"]))
    sheet = openpyxl.load_workbook(path).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [TITLES, *expected_rows(prefix)]

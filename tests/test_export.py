"""exportRecords against the fake Odoo on a real loopback port: what a cassette cannot show
(thousands of rows over several pages and blocks, labels in another language, the cost of
related paths in requests), the formula guard, maxBytes, and the CLI's ``--output`` file read
back by ``csv`` and openpyxl."""

from __future__ import annotations

import base64
import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.client.pool import close_pooled_clients
from odoo_connector.errors import InputError, MissingExtraError

from .fakes.odoo import API_KEY, DATABASE, FakeOdoo
from .fakes.server import serve_transport

MODELS = {
    "res.partner": {
        "email": "char",
        "phone": "char",
        "is_company": "boolean",
        "country_id": "many2one:res.country",
        "category_id": "many2many:res.partner.category",
        "parent_id": "many2one:res.partner",
    },
    "res.country": {"code": "char"},
    "res.partner.category": {"color": "integer"},
    "res.lang": {"code": "char"},  # the language check asks res.lang.get_installed
}


@pytest.fixture
def odoo(no_odoo_env: pytest.MonkeyPatch) -> Iterator[tuple[FakeOdoo, dict[str, Any]]]:
    fake = FakeOdoo(models=MODELS)
    with serve_transport(fake) as url:
        no_odoo_env.setenv("ODOO_URL", url)
        no_odoo_env.setenv("ODOO_DB", DATABASE)
        no_odoo_env.setenv("ODOO_API_KEY", API_KEY)
        yield fake, {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}


def csv_rows(data: dict[str, Any], **options: Any) -> list[list[str]]:
    text = base64.b64decode(data["content"]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), **options))


def test_related_paths_cost_one_read_per_model_per_block_over_many_pages(odoo):
    fake, conn = odoo
    countries = [
        fake.create("res.country", name=name, code=code)
        for name, code in (("Belgium", "BE"), ("France", "FR"))
    ]
    tags = [fake.create("res.partner.category", name=name) for name in ("VIP", "Retail", "B2B")]
    for n in range(4500):
        fake.create(
            "res.partner",
            name=f"P{n:04d}",
            country_id=countries[n % 2] if n % 3 else False,
            category_id=[tags[n % 3], tags[(n + 1) % 3]] if n % 5 else [],
        )
    fake.calls.clear()
    data = invoke(
        "exportRecords",
        conn,
        {"model": "res.partner", "fields": ["name", "country_id", "country_id.code", "category_id"]},
    )["data"]
    rows = csv_rows(data)
    assert rows[0] == ["Name", "Country Id", "Country Id/Code", "Category Id"]
    assert data["rows"] == len(rows) - 1 == 4500
    assert rows[1] == ["P0000", "", "", ""]  # empty many2one, empty path, empty many2many
    assert rows[2] == ["P0001", "France", "FR", "Retail, B2B"]
    assert rows[-1] == ["P4499", "France", "FR", "B2B, VIP"]
    assert fake.methods().count("search_read") > 1  # read over several pages
    blocks = 3  # 4500 rows in blocks of 2000
    assert fake.calls.count(("res.country", "read")) == blocks
    assert fake.calls.count(("res.partner.category", "read")) == blocks
    assert data["fileName"] == "res_partner.csv" and data["mimeType"] == "text/csv"
    assert data["size"] == len(base64.b64decode(data["content"]))


def test_a_path_through_a_many2one_to_another_records_relation(odoo):
    fake, conn = odoo
    be = fake.create("res.country", name="Belgium", code="BE")
    parent = fake.create("res.partner", name="Acme", country_id=be)
    fake.create("res.partner", name="Jane", parent_id=parent)
    data = invoke(
        "exportRecords",
        conn,
        {"model": "res.partner", "fields": ["name", "parent_id.country_id.code"], "order": "name desc"},
    )["data"]
    assert csv_rows(data) == [["Name", "Parent Id/Country Id/Code"], ["Jane", "BE"], ["Acme", ""]]


def test_columns_are_titled_in_the_calls_language(odoo):
    fake, conn = odoo
    fake.labels["fr_FR"] = {
        ("res.partner", "name"): "Nom",
        ("res.partner", "country_id"): "Pays",
        ("res.country", "code"): "Code du pays",
    }
    fake.create("res.partner", name="Été")
    data = invoke(
        "exportRecords",
        conn,
        {"model": "res.partner", "fields": ["name", "country_id.code"], "context": {"language": "fr_FR"}},
    )["data"]
    assert csv_rows(data) == [["Nom", "Pays/Code du pays"], ["Été", ""]]


def test_csv_for_excel_has_a_bom_and_semicolons(odoo):
    fake, conn = odoo
    fake.create("res.partner", name="Dupont; fils", email="a@example.com")
    data = invoke(
        "exportRecords", conn, {"model": "res.partner", "fields": ["name", "email"], "csvForExcel": True}
    )["data"]
    raw = base64.b64decode(data["content"])
    assert raw.startswith(b"\xef\xbb\xbfName;Email\r\n")
    assert csv_rows(data, delimiter=";") == [["Name", "Email"], ["Dupont; fils", "a@example.com"]]


FORMULAS = ['=HYPERLINK("http://x")', "+32 2 555 01 00", "-1+1", "@SUM(A1)"]


def test_cells_that_start_like_a_formula_are_written_as_text(odoo, tmp_path):
    fake, conn = odoo
    for text in FORMULAS:
        fake.create("res.partner", name=text, email="plain", phone="2+2")
    data = invoke("exportRecords", conn, {"model": "res.partner", "fields": ["name", "email", "phone"]})[
        "data"
    ]
    assert [row[0] for row in csv_rows(data)[1:]] == [f"'{text}" for text in FORMULAS]
    assert {row[1] for row in csv_rows(data)[1:]} == {"plain"}  # only what starts like a formula
    data = invoke("exportRecords", conn, {"model": "res.partner", "fields": ["name"], "format": "xlsx"})[
        "data"
    ]
    path = tmp_path / "out.xlsx"
    path.write_bytes(base64.b64decode(data["content"]))
    cells = [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == FORMULAS  # the text itself, never a formula
    assert {cell.data_type for cell in cells} == {"s"}


def test_an_export_over_max_bytes_is_refused_naming_output(odoo):
    fake, conn = odoo
    for n in range(300):
        fake.create("res.partner", name=f"Partner number {n}")
    with pytest.raises(InputError) as err:
        invoke("exportRecords", conn, {"model": "res.partner", "fields": ["name"], "maxBytes": 2000})
    assert err.value.path == "maxBytes"
    assert "--output" in (err.value.hint or "")
    small = invoke("exportRecords", conn, {"model": "res.partner", "fields": ["name"], "maxBytes": 20000})
    assert small["data"]["rows"] == 300


def test_an_unknown_field_in_a_path_is_refused_before_any_record_is_read(odoo):
    fake, conn = odoo
    with pytest.raises(InputError) as err:
        invoke("exportRecords", conn, {"model": "res.partner", "fields": ["name", "country_id.cod"]})
    assert err.value.path == "fields[1]"
    assert "res.country has no field 'cod'" in err.value.message and "code" in err.value.message
    with pytest.raises(InputError) as err:
        invoke("exportRecords", conn, {"model": "res.partner", "fields": ["email.domain"]})
    assert "not a relation" in err.value.message
    assert "search_read" not in fake.methods()


def run_cli(capsys: pytest.CaptureFixture[str], inputs: dict[str, Any], output: Path) -> tuple[int, Any]:
    close_pooled_clients()
    code = main(["run", "exportRecords", "--quiet", "--input", json.dumps(inputs), "--output", str(output)])
    out, err = capsys.readouterr()
    return code, json.loads(out or err)


def test_cli_output_writes_files_that_csv_and_openpyxl_read_back(odoo, capsys, tmp_path):
    fake, _ = odoo
    be = fake.create("res.country", name="Belgium", code="BE")
    fake.create("res.partner", name="Acme", country_id=be, is_company=True)
    fake.create("res.partner", name="Jane", is_company=False)
    # maxBytes limits the base64 answer only: a file streams whatever its size
    inputs = {
        "model": "res.partner",
        "fields": ["name", "country_id", "country_id.code", "is_company"],
        "maxBytes": 1,
    }
    code, printed = run_cli(capsys, inputs, tmp_path / "partners.csv")
    assert code == 0
    assert printed["data"] == {
        "fileName": "res_partner.csv",
        "mimeType": "text/csv",
        "rows": 2,
        "size": printed["data"]["size"],
    }
    with open(tmp_path / "partners.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["Name", "Country Id", "Country Id/Code", "Is Company"],
            ["Acme", "Belgium", "BE", "True"],
            ["Jane", "", "", "False"],
        ]
    code, printed = run_cli(capsys, {**inputs, "format": "xlsx"}, tmp_path / "partners.xlsx")
    assert code == 0 and "content" not in printed["data"]
    sheet = openpyxl.load_workbook(tmp_path / "partners.xlsx").active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Name", "Country Id", "Country Id/Code", "Is Company"),
        ("Acme", "Belgium", "BE", True),
        ("Jane", None, None, False),
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_a_failed_cli_export_leaves_no_file(odoo, capsys, tmp_path):
    fake, _ = odoo
    for n in range(3000):
        fake.create("res.partner", name=f"P{n}")
    fake.fail_on("search_read", nth=2, kind="access")
    code, printed = run_cli(capsys, {"model": "res.partner", "fields": ["name"]}, tmp_path / "p.csv")
    assert code != 0 and "error" in printed
    assert list(tmp_path.iterdir()) == []


def test_xlsx_without_the_extra_is_a_configuration_error(odoo, capsys, tmp_path, monkeypatch):
    fake, conn = odoo
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(MissingExtraError) as err:
        invoke("exportRecords", conn, {"model": "res.partner", "fields": ["name"], "format": "xlsx"})
    assert "exportRecords format xlsx needs the xlsx extra" in err.value.message
    code, printed = run_cli(capsys, {"model": "res.partner", "format": "xlsx"}, tmp_path / "p.xlsx")
    assert code == 3 and printed["error"]["type"] == "MissingExtraError"
    assert "search_read" not in fake.methods()

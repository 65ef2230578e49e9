"""Which rows the batch actions compare with their records before writing
(odoo_connector.actions.unchanged), against the stateful fake Odoo: a row setting only a binary
is read for its id and written, rows naming one record twice go through load and are not
reported as created, and the progress log counts the rows compared."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from odoo_connector import invoke

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo()


def upsert(fake: FakeOdoo, records: list[dict[str, Any]], **inputs: Any) -> dict[str, Any]:
    client = fake_client(fake, fake_connection("json2"))
    data: dict[str, Any] = invoke(
        "upsertRecords", CONN, {"model": "res.partner", "records": records, **inputs}, client=client
    )["data"]
    return data


def test_a_row_that_sets_only_a_binary_is_found_by_id_alone_and_always_written(no_odoo_env):
    """Binaries are not read to compare (too dear): the record is read for its id only, and the
    row is written, as given."""
    fake = FakeOdoo(models={"res.partner": {"image_1920": "binary"}})
    first = upsert(fake, [{"externalId": "__import__.p0", "parameters": {"name": "P0"}}])
    record_id = first["rows"][0]["id"]
    again = upsert(fake, [{"externalId": "__import__.p0", "parameters": {"image_1920": "aGk="}}])
    assert again["rows"] == [{"index": 0, "id": record_id, "created": False}]
    assert fake.tables["res.partner"][record_id]["image_1920"] == "aGk="
    assert fake.methods().count("web_save_multi") == 1


def test_two_rows_naming_one_existing_record_are_written_in_order_and_neither_is_created(fake):
    """The highest id read by the external-ID scan tells created rows from updated ones; rows
    naming the same record are not compared (load keeps their order) and must not look new."""
    upsert(fake, [{"externalId": f"__import__.p{i}", "parameters": {"name": f"P{i}"}} for i in range(3)])
    again = upsert(
        fake,
        [
            {"externalId": "__import__.p2", "parameters": {"name": "first"}},
            {"externalId": "__import__.p2", "parameters": {"name": "second"}},
            {"externalId": "__import__.p3", "parameters": {"name": "new"}},
        ],
    )
    assert [(r["id"], r["created"]) for r in again["rows"]] == [(3, False), (3, False), (4, True)]
    assert fake.tables["res.partner"][3]["name"] == "second"
    assert (again["written"], again["created"]) == (3, 1)


def test_the_progress_log_counts_the_rows_compared_batch_by_batch(fake, caplog):
    upsert(fake, [{"externalId": f"__import__.p{i}", "parameters": {"name": f"P{i}"}} for i in range(5)])
    with caplog.at_level(logging.INFO, logger="odoo_connector.progress"):
        upsert(
            fake,
            [{"externalId": f"__import__.p{i}", "parameters": {"name": f"P{i}"}} for i in range(5)],
            batchSize=2,
        )
    compared = [r.getMessage() for r in caplog.records if "compared" in r.getMessage()]
    assert compared == [
        "res.partner: 2 of 5 rows compared",
        "res.partner: 4 of 5 rows compared",
        "res.partner: 5 of 5 rows compared",
    ]

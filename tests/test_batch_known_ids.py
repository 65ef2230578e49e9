"""How upsertRecords finds the records behind external IDs it has to compare, against the stateful
fake Odoo (tests/fakes/odoo.py): the requests do not grow with the model's size, a remembered id
whose record was deleted is never written to, another model's ID and a deleted record's ID give
load's answer as before, and new and existing rows mix. The cassettes of test_batch_unchanged.py
show the same against a real Odoo 19."""

from __future__ import annotations

from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.actions import known_ids

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
LOOKUPS = ("search_count", "search", "get_metadata", "check_object_reference")


def rows(count: int, start: int = 0, job: str = "Buyer") -> list[dict[str, Any]]:
    return [
        {
            "externalId": f"__import__.c{i}",
            "parameters": {"name": f"C{i}", "email": f"c{i}@example.com", "function": job},
        }
        for i in range(start, start + count)
    ]


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    odoo = FakeOdoo()
    odoo.add_model("res.partner", {"email": "char", "function": "char"})
    return odoo


def connect(fake: FakeOdoo, transport: str = "json2") -> Any:
    """A new connection: it has learnt nothing yet."""
    client = fake_client(fake, fake_connection(transport))
    client.session.sleep = lambda seconds: None
    return client


def upsert(
    fake: FakeOdoo, client: Any, records: list[dict[str, Any]], **inputs: Any
) -> tuple[dict[str, Any], list[str]]:
    """The report, and the methods the call sent."""
    before = len(fake.methods())
    inputs = {"model": "res.partner", "records": records, **inputs}
    data = invoke("upsertRecords", CONN, inputs, client=client)["data"]
    return data, fake.methods()[before:]


def fill(fake: FakeOdoo, count: int) -> None:
    """``count`` partners without an external ID: the rest of a real database."""
    tx = fake.begin()
    for i in range(count):
        tx.create("res.partner", name=f"Other {i}")
    tx.commit()


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
def test_finding_existing_rows_costs_the_same_requests_in_a_model_of_10_or_10000(fake, transport):
    sent: dict[int, tuple[list[str], list[str]]] = {}
    for size in (10, 10_000):
        odoo = FakeOdoo()
        odoo.add_model("res.partner", {"email": "char", "function": "char"})
        fill(odoo, size)
        invoke(
            "upsertRecords",
            CONN,
            {"model": "res.partner", "records": rows(3)},
            client=connect(odoo, transport),
        )
        changed = rows(3, job="Chief Buyer")[:1] + rows(2, start=1)
        cold, cold_sent = upsert(odoo, connect(odoo, transport), changed)  # a new process: nothing learnt
        warm_client = connect(odoo, transport)
        upsert(odoo, warm_client, rows(3))  # learns the ids from load's answer
        warm, warm_sent = upsert(odoo, warm_client, changed)
        assert (cold["written"], cold["unchanged"], cold["created"]) == (1, 2, 0)
        assert (warm["written"], warm["unchanged"], warm["created"]) == (1, 2, 0)
        sent[size] = ([m for m in cold_sent if m in LOOKUPS], [m for m in warm_sent if m in LOOKUPS])
    # 10 records: a scan is cheaper than 3 checks; 10 000: one check per ID, no scan
    assert sent[10][0] == ["search_count", "search", "get_metadata"]
    assert sent[10_000][0] == ["search_count"] + ["check_object_reference"] * 3
    # what the connection learnt is confirmed in one request, whatever the model's size
    assert sent[10][1] == sent[10_000][1] == ["get_metadata"]


def test_the_cold_requests_stay_the_same_as_the_model_grows_past_the_crossover(fake):
    counts = []
    for size in (10_000, 40_000):
        odoo = FakeOdoo()
        odoo.add_model("res.partner", {"email": "char", "function": "char"})
        fill(odoo, size)
        invoke("upsertRecords", CONN, {"model": "res.partner", "records": rows(3)}, client=connect(odoo))
        before = odoo.request_count
        upsert(odoo, connect(odoo), rows(3))
        counts.append(odoo.request_count - before)
    assert counts[0] == counts[1]


def test_a_remembered_id_whose_record_was_deleted_is_created_again_not_written_to(fake):
    client = connect(fake)
    first, _ = upsert(fake, client, rows(2))
    gone = first["rows"][0]["id"]
    invoke("deleteRecords", CONN, {"model": "res.partner", "records": [{"recordId": gone}]}, client=client)
    fake.external_ids["__import__.c0"] = ("res.partner", gone)  # the ID still names the deleted record
    again, sent = upsert(fake, client, rows(2, job="Chief Buyer"))
    assert again["rows"][0]["created"] is True and again["rows"][0]["id"] != gone
    assert again["rows"][1] == {"index": 1, "id": first["rows"][1]["id"], "created": False}
    assert gone not in fake.tables["res.partner"]  # nothing wrote to the deleted id
    assert sent.count("web_save_multi") == 1 and sent.count("load") == 1
    assert sorted(r["function"] for r in fake.tables["res.partner"].values()) == ["Chief Buyer"] * 2


def test_a_deleted_record_behind_a_still_present_id_found_by_check_is_created_again(fake):
    fill(fake, 6_000)  # past the scan: a new connection checks each ID
    tx = fake.begin()
    gone = tx.create("res.partner", name="C0", email="c0@example.com", function="Buyer")
    tx.commit()
    fake.external_ids["__import__.c0"] = ("res.partner", gone)
    tx = fake.begin()
    tx.unlink("res.partner", gone)
    tx.commit()
    data, sent = upsert(fake, connect(fake), rows(1))
    assert "check_object_reference" in sent and "web_save_multi" not in sent
    assert data["rows"][0]["created"] is True and data["rows"][0]["id"] != gone
    assert fake.external_ids["__import__.c0"] == ("res.partner", data["rows"][0]["id"])


@pytest.mark.parametrize("size", [10, 6_000])
def test_an_id_of_another_model_gives_loads_error_as_before(fake, size):
    fake.add_model("res.partner.category", {})
    tx = fake.begin()
    tag = tx.create("res.partner.category", name="VIP")
    tx.commit()
    fake.external_ids["__import__.c0"] = ("res.partner.category", tag)
    fill(fake, size)
    data, sent = upsert(fake, connect(fake), rows(1), onError="skip")
    assert "web_save_multi" not in sent and sent.count("load") == 1
    assert data["failed"] == 1
    assert data["rows"][0]["error"]["message"].startswith(
        "For external id __import__.c0 when trying to create/update a record of model res.partner found "
        "record of different model res.partner.category"
    )
    assert fake.tables["res.partner.category"][tag]["name"] == "VIP"


def test_new_and_existing_rows_mixed_each_go_their_way(fake):
    fill(fake, 6_000)
    invoke("upsertRecords", CONN, {"model": "res.partner", "records": rows(2)}, client=connect(fake))
    ids = {r["email"]: r["id"] for r in fake.tables["res.partner"].values() if r.get("email")}
    mixed = rows(1, job="Chief Buyer") + rows(1, start=1) + rows(2, start=2)  # changed, same, new, new
    data, sent = upsert(fake, connect(fake), mixed)
    assert sent.count("check_object_reference") == 4
    assert [(r["id"], r["created"], r.get("unchanged", False)) for r in data["rows"][:2]] == [
        (ids["c0@example.com"], False, False),
        (ids["c1@example.com"], False, True),
    ]
    assert [r["created"] for r in data["rows"][2:]] == [True, True]
    assert sent.count("web_save_multi") == 1 and sent.count("load") == 1
    assert len(fake.tables["res.partner"]) == 6_000 + 4  # nothing created twice


def test_what_a_connection_remembers_is_bounded(fake, monkeypatch):
    monkeypatch.setattr(known_ids, "CACHE_SIZE", 3)
    client = connect(fake)
    upsert(fake, client, rows(5))
    fill(fake, 6_000)
    _, sent = upsert(fake, client, rows(5))
    # the last 3 are remembered (confirmed in one request), the first 2 checked
    assert [m for m in sent if m in LOOKUPS] == ["get_metadata", "search_count"] + [
        "check_object_reference"
    ] * 2


def test_a_remembered_id_now_naming_another_record_updates_that_record_not_the_old_one(fake):
    """An ID moved to another record (a merge of contacts, an administrator's edit) after this
    connection learnt it: the old record, which still exists, is not written."""
    client = connect(fake)
    first, _ = upsert(fake, client, rows(1))
    old = first["rows"][0]["id"]
    tx = fake.begin()
    other = tx.create("res.partner", name="C0 (kept)", email="c0@example.com", function="Buyer")
    tx.commit()
    fake.external_ids["__import__.c0"] = ("res.partner", other)
    again, _ = upsert(fake, client, rows(1, job="Chief Buyer"))
    assert again["rows"] == [{"index": 0, "id": other, "created": False}]
    assert fake.tables["res.partner"][old]["function"] == "Buyer"
    assert fake.tables["res.partner"][other]["function"] == "Chief Buyer"

"""How upsertRecords finds the records behind external IDs, against a real Odoo 19 (cassettes,
both connections, as the ordinary internal user who cannot read ``ir.model.data``): a connection
that has not seen the IDs looks them up (one ``check_object_reference`` each, or a scan of a small
model), one that wrote them confirms what it learnt in one ``get_metadata``, a learnt id whose
record was deleted is created again rather than written to, and another model's ID gets load's
error as before. The fake-Odoo scenarios are in test_batch_known_ids.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.actions import known_ids
from odoo_connector.actions.unchanged import scan_limit

pytestmark = pytest.mark.recordable

LOOKUPS = ("search_count", "search", "get_metadata", "check_object_reference")
WRITES = ("load", "web_save_multi")


class Watched:
    """A client (a connection of its own) whose calls and answers are noted."""

    def __init__(self, conn: dict[str, Any]) -> None:
        self.client = make_client(parse_connection(conn))
        self.calls: list[tuple[str, str, Any, dict[str, Any], Any]] = []
        real = self.client.call

        def call(model: str, method: str, ids: Any = None, **kwargs: Any) -> Any:
            answer = real(model, method, ids, **kwargs)
            self.calls.append((model, method, ids, kwargs, answer))
            return answer

        self.client.call = call  # type: ignore[method-assign]

    def methods(self, among: tuple[str, ...]) -> list[str]:
        return [method for _, method, _, _, _ in self.calls if method in among]

    def answer(self, method: str) -> Any:
        return next(answer for _, m, _, _, answer in self.calls if m == method)

    def upsert(self, conn: dict[str, Any], records: list[dict[str, Any]], **inputs: Any) -> Any:
        self.calls.clear()
        inputs = {"model": "res.partner", "records": records, **inputs}
        return invoke("upsertRecords", conn, inputs, client=self.client)["data"]


@pytest.fixture
def connect(conn: dict[str, Any]) -> Iterator[Any]:
    opened: list[Watched] = []

    def new(connection: dict[str, Any] | None = None) -> Watched:
        opened.append(Watched(connection or conn))
        return opened[-1]

    yield new
    for spy in opened:
        spy.client.close()


def rows(prefix: str, count: int, job: str = "Buyer") -> list[dict[str, Any]]:
    tag = prefix.replace("-", "_")
    return [
        {
            "externalId": f"__import__.{tag}_known{i}",
            "parameters": {"name": f"{prefix} Known{i}", "email": f"known{i}@example.com", "function": job},
        }
        for i in range(count)
    ]


def expected_lookups(spy: Watched, ids: int) -> list[str]:
    """What a connection that has not seen ``ids`` IDs sends to find them: a scan while the model
    is smaller than checking them would cost, else one check per ID (never a scan of a large
    model)."""
    cap = min(scan_limit(ids), known_ids.CHECK_COST * ids)
    if spy.answer("search_count") <= cap:
        return ["search_count", "search", "get_metadata"]
    return ["search_count"] + ["check_object_reference"] * ids


def test_a_new_connection_finds_the_rows_another_one_wrote(conn, connect, cleanup, prefix):
    records = rows(prefix, 3)
    first = connect().upsert(conn, records)
    ids = [row["id"] for row in first["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    records[1]["parameters"]["function"] = "Chief Buyer"
    cold = connect()
    again = cold.upsert(conn, records)
    assert [(r["id"], r["created"], r.get("unchanged", False)) for r in again["rows"]] == [
        (ids[0], False, True),
        (ids[1], False, False),
        (ids[2], False, True),
    ]
    assert cold.methods(LOOKUPS) == expected_lookups(cold, 3)
    assert cold.methods(WRITES) == ["web_save_multi"]
    # the same connection again: what it learnt is confirmed in one request
    third = cold.upsert(conn, records)
    assert (third["written"], third["unchanged"]) == (0, 3)
    assert cold.methods(LOOKUPS) == ["get_metadata"]


def test_a_learnt_id_whose_record_was_deleted_is_created_again(conn, connect, cleanup, prefix):
    records = rows(prefix, 2)
    spy = connect()
    first = spy.upsert(conn, records)
    ids = [row["id"] for row in first["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    invoke(
        "deleteRecords", conn, {"model": "res.partner", "records": [{"recordId": ids[0]}]}, client=spy.client
    )
    changed = rows(prefix, 2, job="Chief Buyer")
    again = spy.upsert(conn, changed)
    cleanup.append(("res.partner", again["rows"][0]["id"]))
    assert again["rows"][0]["created"] is True and again["rows"][0]["id"] not in ids
    assert again["rows"][1] == {"index": 1, "id": ids[1], "created": False}
    # the deleted id is never written to: the row by load, the changed one by web_save_multi
    writes = [(m, i) for _, m, i, _, _ in spy.calls if m in WRITES]
    assert writes == [("load", None), ("web_save_multi", [ids[1]])]


def test_an_id_of_another_model_gets_loads_error_as_before(conn, connect, cleanup, prefix):
    tag = prefix.replace("-", "_")
    spy = connect()
    made = invoke(
        "upsertRecords",
        conn,
        {
            "model": "res.partner.category",
            "records": [
                {"externalId": f"__import__.{tag}_known_tag", "parameters": {"name": f"{prefix} tag"}}
            ],
        },
        client=spy.client,
    )["data"]
    cleanup.append(("res.partner.category", made["rows"][0]["id"]))
    record = {"externalId": f"__import__.{tag}_known_tag", "parameters": {"name": f"{prefix} Other"}}
    cold = connect()
    data = cold.upsert(conn, [record], onError="skip")
    assert data["failed"] == 1 and data["written"] == 0
    assert data["rows"][0]["error"]["message"].startswith(
        f"For external id __import__.{tag}_known_tag when trying to create/update a record of model "
        "res.partner found record of different model res.partner.category"
    )
    assert cold.methods(WRITES) == ["load"]


def test_an_administrator_finds_the_rows_the_same_way(conn, admin_conn, connect, cleanup, prefix):
    records = rows(prefix, 2)
    ids = [row["id"] for row in connect().upsert(conn, records)["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    records[0]["parameters"]["function"] = "Chief Buyer"
    admin = connect(admin_conn)
    again = admin.upsert(admin_conn, records)
    assert [(r["id"], r.get("unchanged", False)) for r in again["rows"]] == [(ids[0], False), (ids[1], True)]
    assert admin.methods(LOOKUPS) == expected_lookups(admin, 2)
    assert admin.methods(WRITES) == ["web_save_multi"]

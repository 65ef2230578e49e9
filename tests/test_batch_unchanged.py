"""skipUnchanged: rows that already match their record are not sent, changed rows send only the
fields that differ, and a refusal is still named by row. Over both connections, as an ordinary
internal user, replaying cassettes recorded from a real Odoo 19.

What Odoo receives is the proof, so the client's calls are watched: a row left alone appears in no
write, and a changed row's write holds only its changed fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.actions.unchanged import changed_values, comparable
from odoo_connector.errors import OdooValidationError
from odoo_connector.values import same_value

WRITES = ("load", "web_save_multi", "write", "create")
BAD_COUNTRY = 2147483000  # no such res.country id
NO_COUNTRY = f"No matching record found for database id '{BAD_COUNTRY}' in field 'Country'"


class Watched:
    """A client whose calls are noted (model, method, ids, keyword arguments)."""

    def __init__(self, conn: dict[str, Any]) -> None:
        self.client = make_client(parse_connection(conn))
        self.calls: list[tuple[str, str, Any, dict[str, Any]]] = []
        real = self.client.call

        def call(model: str, method: str, ids: Any = None, **kwargs: Any) -> Any:
            self.calls.append((model, method, ids, kwargs))
            return real(model, method, ids, **kwargs)

        self.client.call = call  # type: ignore[method-assign]

    def writes(self) -> list[tuple[str, Any, dict[str, Any]]]:
        return [(method, ids, kwargs) for _, method, ids, kwargs in self.calls if method in WRITES]


@pytest.fixture
def watched(conn: dict[str, Any]) -> Iterator[Watched]:
    spy = Watched(conn)
    with spy.client:
        yield spy


def upsert(conn: dict[str, Any], spy: Watched, records: list[dict[str, Any]], **inputs: Any) -> Any:
    spy.calls.clear()
    return invoke(
        "upsertRecords", conn, {"model": "res.partner", "records": records, **inputs}, client=spy.client
    )["data"]


def rows(prefix: str, count: int) -> list[dict[str, Any]]:
    tag = prefix.replace("-", "_")
    return [
        {
            "externalId": f"__import__.{tag}_same{i}",
            "parameters": {"name": f"{prefix} Same{i}", "email": f"same{i}@example.com", "function": "Buyer"},
        }
        for i in range(count)
    ]


@pytest.mark.recordable
def test_a_second_run_sends_only_the_changed_field_of_the_changed_rows(conn, watched, cleanup, prefix):
    records = rows(prefix, 4)
    first = upsert(conn, watched, records)
    ids = [row["id"] for row in first["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    assert first["created"] == 4
    records[1]["parameters"]["function"] = "Chief Buyer"
    records[3]["parameters"]["email"] = "same3@changed.example.com"
    again = upsert(conn, watched, records)
    assert again["rows"] == [
        {"index": 0, "id": ids[0], "created": False, "unchanged": True},
        {"index": 1, "id": ids[1], "created": False},
        {"index": 2, "id": ids[2], "created": False, "unchanged": True},
        {"index": 3, "id": ids[3], "created": False},
    ]
    assert (again["written"], again["unchanged"], again["batches"]) == (2, 2, 1)
    # one write for both changed rows, each with its one changed field; rows 0 and 2 not sent
    assert watched.writes() == [
        (
            "web_save_multi",
            [ids[1], ids[3]],
            {
                "vals_list": [{"function": "Chief Buyer"}, {"email": "same3@changed.example.com"}],
                "specification": {},
                "context": {"tz": "UTC", "active_test": False, "tracking_disable": True},
                "idempotent": True,
            },
        )
    ]
    third = upsert(conn, watched, records)
    assert (third["written"], third["unchanged"]) == (0, 4)
    assert watched.writes() == []
    found = invoke(
        "listRecords",
        conn,
        {"model": "res.partner", "domain": [["id", "in", ids]], "fields": ["function", "email"]},
    )["data"]
    assert [(r["function"], r["email"]) for r in found] == [
        ("Buyer", "same0@example.com"),
        ("Chief Buyer", "same1@example.com"),
        ("Buyer", "same2@example.com"),
        ("Buyer", "same3@changed.example.com"),
    ]


@pytest.mark.recordable
def test_a_refused_write_is_sent_through_load_which_names_the_row(conn, watched, cleanup, prefix):
    """web_save_multi's error names no row: the batch goes again through load, which does, and
    nothing of it is written."""
    records = rows(prefix, 3)
    for record in records:  # the same fields in every row: load takes the batch in one call
        record["parameters"]["country_id"] = False
    ids = [row["id"] for row in upsert(conn, watched, records)["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    records[0]["parameters"]["function"] = "Manager"
    records[2]["parameters"]["country_id"] = BAD_COUNTRY
    with pytest.raises(OdooValidationError) as err:
        upsert(conn, watched, records)
    assert err.value.message.startswith(
        f"Row 2, field 'country_id': {NO_COUNTRY}. Nothing of batch 1 (2 rows from 0 to 2) was written. "
        "No batch was written before it."
    )
    assert err.value.path == "records[2].parameters.country_id"
    assert [method for method, _, _ in watched.writes()] == ["web_save_multi", "load"]
    report = err.value.report  # type: ignore[attr-defined]
    assert report["rows"][1] == {"index": 1, "id": ids[1], "created": False, "unchanged": True}
    assert report["rows"][2]["error"] == {
        "type": "OdooValidationError",
        "message": NO_COUNTRY,
        "field": "country_id",
    }
    functions = invoke(
        "listRecords", conn, {"model": "res.partner", "domain": [["id", "in", ids]], "fields": ["function"]}
    )["data"]
    assert [r["function"] for r in functions] == ["Buyer", "Buyer", "Buyer"]  # row 0 not written either


@pytest.mark.recordable
def test_update_records_compare_too_and_a_missing_record_goes_through_load(conn, watched, cleanup, prefix):
    records = rows(prefix, 2)
    ids = [row["id"] for row in upsert(conn, watched, records)["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    watched.calls.clear()
    report = invoke(
        "updateRecords",
        conn,
        {
            "model": "res.partner",
            "records": [
                {"recordId": ids[0], "parameters": {"function": "Buyer", "email": "same0@example.com"}},
                {"recordId": 2147483000, "parameters": {"function": "Nobody"}},
                {"recordId": ids[1], "parameters": {"function": "Seller", "email": "same1@example.com"}},
            ],
            "onError": "skip",
        },
        client=watched.client,
    )["data"]
    assert [row.get("unchanged", False) for row in report["rows"]] == [True, False, False]
    assert report["rows"][1]["error"]["message"] == "Unknown database identifier '2147483000'"
    assert (report["written"], report["unchanged"], report["failed"]) == (1, 1, 1)
    assert [(m, ids_, kw.get("vals_list")) for m, ids_, kw in watched.writes()] == [
        ("load", None, None),
        ("web_save_multi", [ids[1]], [{"function": "Seller"}]),
    ]


@pytest.mark.parametrize(
    ("kind", "sent", "current", "expected"),
    [
        ("char", "a", "a", True),
        ("char", "", False, True),  # Odoo reads an empty text as False
        ("char", "a", "A", False),
        ("char", 1, "1", False),  # not a converted value: written
        ("html", "<p>a</p>", "<p>a</p>", True),  # the record holds exactly what was sent
        ("boolean", False, False, True),
        ("boolean", "yes", True, False),
        ("boolean", 1, True, False),  # 1 == True must not decide
        ("integer", False, 0, True),
        ("integer", 0, False, True),
        ("float", 2.5, 2.5, True),
        ("float", 2.5, 2.50001, False),
        ("monetary", True, 1, False),
        ("many2one", 7, [7, "Belgium"], True),
        ("many2one", False, False, True),
        ("many2one", None, False, True),
        ("many2one", 7, [8, "France"], False),
        ("many2one", True, [1, "x"], False),
        ("many2many", [[6, 0, [3, 2]]], [2, 3], True),
        ("many2many", [3, 2], [2, 3], True),
        ("many2many", [[6, 0, []]], [], True),
        ("many2many", [[4, 2, 0]], [2], False),  # a link, not the whole set: written
        ("many2many", False, [], True),  # emptied, and empty
        ("many2many", False, [4], False),
        ("many2many", [True], [1], False),  # true is not the id 1
        ("many2many", [[6, 0, [True]]], [1], False),
        ("many2many", [[6, 0, [1]], [4, 2, 0]], [1], False),  # a set, then a link: not only a set
        ("many2many", [[6, 0, 5]], [5], False),  # not Odoo's command: written as given
        ("many2many", ["x"], [], False),
        ("many2one", 7, 7, True),  # an id read without its name
        ("one2many", [[6, 0, [1]]], [1], True),
        ("one2many", [[0, 0, {"name": "x"}]], [], False),  # a line to create
        ("datetime", "2026-01-02 03:04:05", "2026-01-02 03:04:05", True),
        ("json", {"a": 1}, {"a": 1}, True),
        ("json", 1, True, False),
    ],
)
def test_a_value_is_unchanged_only_when_the_record_holds_exactly_it(kind, sent, current, expected):
    assert same_value({"type": kind}, sent, current) is expected
    fields = {"f": {"type": kind}}
    assert changed_values(fields, {"f": sent}, {"f": current}) == ({} if expected else {"f": sent})


def test_binaries_are_not_read_to_compare_so_they_are_always_written():
    fields = {"image_1920": {"type": "binary"}, "name": {"type": "char"}, "x_unknown": {"type": "char"}}
    assert comparable(fields, ["image_1920", "name", "gone"]) == ["name"]
    # a field that was not read counts as changed
    assert changed_values(fields, {"image_1920": "aGk=", "name": "a"}, {"name": "a"}) == {
        "image_1920": "aGk="
    }


@pytest.mark.recordable
def test_rows_found_by_match_fields_are_compared_too(conn, watched, cleanup, prefix):
    tag = prefix.replace(" ", "")
    records = [
        {"parameters": {"name": f"{prefix} M{i}", "email": f"{tag}.m{i}@example.com", "function": "Buyer"}}
        for i in range(3)
    ]
    first = upsert(conn, watched, records, matchFields=["email"])
    ids = [row["id"] for row in first["rows"]]
    cleanup.extend(("res.partner", i) for i in ids)
    assert first["created"] == 3
    records[2]["parameters"]["function"] = "Chief Buyer"
    records.append({"parameters": {"name": f"{prefix} M3", "email": f"{tag}.m3@example.com"}})
    again = upsert(conn, watched, records, matchFields=["email"])
    cleanup.extend(("res.partner", row["id"]) for row in again["rows"][3:])
    assert [(row["id"], row["created"], row.get("unchanged", False)) for row in again["rows"][:3]] == [
        (ids[0], False, True),
        (ids[1], False, True),
        (ids[2], False, False),
    ]
    assert again["rows"][3]["created"] is True
    assert (again["written"], again["unchanged"], again["created"]) == (2, 2, 1)
    # the new row through load (created), the changed one with its one changed field
    assert [(m, ids_, kw.get("vals_list")) for m, ids_, kw in watched.writes()] == [
        ("load", None, None),
        ("web_save_multi", [ids[2]], [{"function": "Chief Buyer"}]),
    ]

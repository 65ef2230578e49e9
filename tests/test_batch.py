"""upsertRecord and the batch actions over both connections, as an ordinary internal user,
replaying cassettes recorded from a real Odoo 19 (``load``, Odoo's import engine)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.errors import AccessDeniedError, InputError, OdooValidationError

pytestmark = pytest.mark.recordable

BAD_COUNTRY = 2147483000  # no such res.country id
NO_COUNTRY = f"No matching record found for database id '{BAD_COUNTRY}' in field 'Country'"


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    """Invokes a key and checks the envelope against its output schema, as a platform would."""
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def xid(prefix: str, name: str) -> str:
    return f"__import__.{prefix.replace('-', '_')}_{name}"


def names(conn: dict[str, Any], prefix: str) -> dict[str, int]:
    """The test's partners (archived too), name → id."""
    found = run(
        conn,
        "listRecords",
        model="res.partner",
        domain=[["name", "=like", f"{prefix} %"], ["active", "in", [True, False]]],
        fields=["name"],
        fetchAll=True,
    )
    return {r["name"]: r["id"] for r in found}


def ids_of(report: dict[str, Any]) -> list[int]:
    return [row["id"] for row in report["rows"] if "id" in row]


def test_create_records_writes_every_row_in_one_request(conn, cleanup, prefix):
    report = run(
        conn,
        "createRecords",
        model="res.partner",
        records=[
            {"parameters": {"name": f"{prefix} C0", "email": "c0@example.com", "is_company": True}},
            {"parameters": {"name": f"{prefix} C1", "email": "c1@example.com", "is_company": True}},
        ],
    )
    cleanup.extend(("res.partner", i) for i in ids_of(report))
    first, second = ids_of(report)
    assert report == {
        "rows": [{"index": 0, "id": first, "created": True}, {"index": 1, "id": second, "created": True}],
        "written": 2,
        "created": 2,
        "failed": 0,
        "batches": 1,
    }
    assert names(conn, prefix) == {f"{prefix} C0": first, f"{prefix} C1": second}


def test_update_records_writes_each_row_and_a_missing_id_is_that_rows_error(conn, cleanup, prefix):
    created = run(
        conn,
        "createRecords",
        model="res.partner",
        records=[{"parameters": {"name": f"{prefix} U{i}"}} for i in range(2)],
    )
    first, second = ids_of(created)
    cleanup.extend([("res.partner", first), ("res.partner", second)])
    report = run(
        conn,
        "updateRecords",
        model="res.partner",
        records=[
            {"recordId": first, "parameters": {"phone": "+32 2 555 01 00"}},
            {"recordId": 2147483000, "parameters": {"phone": "+32 2 555 01 01"}},
            {"recordId": second, "parameters": {"phone": "+32 2 555 01 02"}},
        ],
        onError="skip",
    )
    assert report == {
        "rows": [
            {"index": 0, "id": first, "created": False},
            {
                "index": 1,
                "error": {
                    "type": "OdooValidationError",
                    "message": "Unknown database identifier '2147483000'",
                    "field": "recordId",
                },
            },
            {"index": 2, "id": second, "created": False},
        ],
        "written": 2,
        "created": 0,
        "failed": 1,
        "batches": 1,
        "unchanged": 0,
    }
    phones = run(
        conn, "listRecords", model="res.partner", domain=[["id", "in", [first, second]]], fields=["phone"]
    )
    assert phones == [
        {"id": first, "phone": "+32 2 555 01 00"},
        {"id": second, "phone": "+32 2 555 01 02"},
    ]


def test_upsert_records_by_external_id_creates_then_updates_the_same_records(conn, cleanup, prefix):
    rows = [
        {"externalId": xid(prefix, f"up{i}"), "parameters": {"name": f"{prefix} Up{i}", "is_company": True}}
        for i in range(3)
    ]
    first = run(conn, "upsertRecords", model="res.partner", records=rows, batchSize=2)
    ids = ids_of(first)
    cleanup.extend(("res.partner", i) for i in ids)
    assert first == {
        "rows": [{"index": i, "id": ids[i], "created": True} for i in range(3)],
        "written": 3,
        "created": 3,
        "failed": 0,
        "batches": 2,
        "unchanged": 0,
    }
    rows[1]["parameters"] = {"name": f"{prefix} Up1 changed", "is_company": False}
    again = run(conn, "upsertRecords", model="res.partner", records=rows, batchSize=2)
    assert again == {
        "rows": [
            {"index": 0, "id": ids[0], "created": False, "unchanged": True},
            {"index": 1, "id": ids[1], "created": False},
            {"index": 2, "id": ids[2], "created": False, "unchanged": True},
        ],
        "written": 1,
        "created": 0,
        "failed": 0,
        "batches": 1,
        "unchanged": 2,
    }
    everything = run(
        conn, "upsertRecords", model="res.partner", records=rows, batchSize=2, skipUnchanged=False
    )
    assert everything["rows"] == [{"index": i, "id": ids[i], "created": False} for i in range(3)]
    assert (everything["written"], everything["unchanged"], everything["batches"]) == (3, 0, 2)
    assert names(conn, prefix) == {
        f"{prefix} Up0": ids[0],
        f"{prefix} Up1 changed": ids[1],
        f"{prefix} Up2": ids[2],
    }
    found = run(conn, "getRecordByExternalId", externalId=xid(prefix, "up1"), fields=["is_company"])
    assert found["id"] == ids[1] and found["record"] == {"id": ids[1], "is_company": False}


def test_upsert_record_by_external_id_creates_then_updates(conn, cleanup, prefix):
    external_id = xid(prefix, "one")
    created = run(
        conn,
        "upsertRecord",
        model="res.partner",
        parameters={"name": f"{prefix} One"},
        externalId=external_id,
    )
    cleanup.append(("res.partner", created["id"]))
    assert created == {"id": created["id"], "created": True}
    updated = run(
        conn,
        "upsertRecord",
        model="res.partner",
        parameters={"name": f"{prefix} One again", "email": "one@example.com"},
        externalId=external_id,
    )
    assert updated == {"id": created["id"], "created": False}
    assert names(conn, prefix) == {f"{prefix} One again": created["id"]}


def test_upsert_record_by_match_fields_creates_updates_and_refuses_an_ambiguous_match(conn, cleanup, prefix):
    email = f"{prefix.replace(' ', '')}-match@example.com"
    created = run(
        conn,
        "upsertRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Match", "email": email},
        matchFields=["email"],
    )
    cleanup.append(("res.partner", created["id"]))
    assert created == {"id": created["id"], "created": True}
    updated = run(
        conn,
        "upsertRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Match updated", "email": email},
        matchFields=["email"],
    )
    assert updated == {"id": created["id"], "created": False}
    twin = run(
        conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Twin", "email": email}
    )
    cleanup.append(("res.partner", twin))
    with pytest.raises(OdooValidationError) as err:
        run(
            conn,
            "upsertRecord",
            model="res.partner",
            parameters={"name": f"{prefix} Ambiguous", "email": email},
            matchFields=["email"],
        )
    assert err.value.message == (
        f"Field 'email': 2 res.partner records match email={email!r}: ids {[created['id'], twin]}. "
        "Nothing was written."
    )
    assert err.value.path == "parameters.email"
    assert names(conn, prefix) == {f"{prefix} Match updated": created["id"], f"{prefix} Twin": twin}


def test_stop_mode_names_the_failing_row_and_the_batches_written(conn, cleanup, prefix):
    rows = [
        {
            "externalId": xid(prefix, f"stop{i}"),
            "parameters": {"name": f"{prefix} Stop{i}", "country_id": False},
        }
        for i in range(5)
    ]
    rows[3]["parameters"]["country_id"] = BAD_COUNTRY
    with pytest.raises(OdooValidationError) as err:
        run(conn, "upsertRecords", model="res.partner", records=rows, batchSize=2)
    written = names(conn, prefix)
    cleanup.extend(("res.partner", i) for i in written.values())
    assert err.value.message == (
        f"Row 3, field 'country_id': {NO_COUNTRY}. Nothing of batch 2 (rows 2 to 3) was written. "
        "1 batch was written before it (2 rows, 0 to 1). Rows after it were not sent."
    )
    assert err.value.path == "records[3].parameters.country_id"
    assert sorted(written) == [f"{prefix} Stop0", f"{prefix} Stop1"]
    not_written = {"type": "NotWritten", "message": "not written: the run stopped at row 2"}
    assert err.value.report == {  # type: ignore[attr-defined]
        "rows": [
            {"index": 0, "id": written[f"{prefix} Stop0"], "created": True},
            {"index": 1, "id": written[f"{prefix} Stop1"], "created": True},
            {"index": 2, "error": not_written},
            {
                "index": 3,
                "error": {"type": "OdooValidationError", "message": NO_COUNTRY, "field": "country_id"},
            },
            {"index": 4, "error": not_written},
        ],
        "written": 2,
        "created": 2,
        "failed": 3,
        "batches": 1,
        "unchanged": 0,
    }


def test_skip_mode_writes_every_good_row_once_and_reports_the_bad_ones(conn, cleanup, prefix):
    rows = [
        {
            "externalId": xid(prefix, f"skip{i}"),
            "parameters": {"name": f"{prefix} Skip{i}", "country_id": False},
        }
        for i in range(6)
    ]
    rows[1]["parameters"]["country_id"] = BAD_COUNTRY
    rows[4]["parameters"]["name"] = False  # a contact needs a name
    report = run(conn, "upsertRecords", model="res.partner", records=rows, batchSize=3, onError="skip")
    written = names(conn, prefix)
    cleanup.extend(("res.partner", i) for i in written.values())
    assert sorted(written) == [f"{prefix} Skip{i}" for i in (0, 2, 3, 5)]
    assert report == {
        "rows": [
            {"index": 0, "id": written[f"{prefix} Skip0"], "created": True},
            {
                "index": 1,
                "error": {"type": "OdooValidationError", "message": NO_COUNTRY, "field": "country_id"},
            },
            {"index": 2, "id": written[f"{prefix} Skip2"], "created": True},
            {"index": 3, "id": written[f"{prefix} Skip3"], "created": True},
            {"index": 4, "error": {"type": "OdooValidationError", "message": "Contacts require a name"}},
            {"index": 5, "id": written[f"{prefix} Skip5"], "created": True},
        ],
        "written": 4,
        "created": 4,
        "failed": 2,
        "batches": 2,
        "unchanged": 0,
    }


def test_external_ids_under_an_installed_module_are_refused_before_sending(conn, cleanup, prefix):
    with pytest.raises(InputError) as err:
        run(
            conn,
            "upsertRecord",
            model="res.partner",
            parameters={"name": "x"},
            externalId="base.main_partner",
        )
    assert err.value.message.startswith(
        "The external ID 'base.main_partner' is under the name of the Odoo module 'base': Odoo deletes such "
        "records when that module is upgraded"
    )
    assert err.value.path == "externalId"
    custom = f"{prefix.replace('-', '_')}_shop.customer"
    report = run(
        conn,
        "upsertRecords",
        model="res.partner",
        records=[
            {"externalId": "sale_management.x", "parameters": {"name": f"{prefix} Module"}},
            {"externalId": custom, "parameters": {"name": f"{prefix} Custom"}},
        ],
        onError="skip",
    )
    cleanup.extend(("res.partner", i) for i in ids_of(report))
    assert report["rows"][0]["error"]["type"] == "InputError"
    assert "Odoo module 'sale_management'" in report["rows"][0]["error"]["message"]
    assert report["rows"][1] == {"index": 1, "id": ids_of(report)[0], "created": True}
    assert sorted(names(conn, prefix)) == [f"{prefix} Custom"]


def test_delete_records_deletes_in_one_request_and_reports_a_missing_row(conn, prefix):
    created = ids_of(
        run(
            conn,
            "createRecords",
            model="res.partner",
            records=[{"parameters": {"name": f"{prefix} Del{i}"}} for i in range(2)],
        )
    )
    report = run(
        conn,
        "deleteRecords",
        model="res.partner",
        records=[{"recordId": created[0]}, {"recordId": 2147483000}, {"recordId": created[1]}],
        onError="skip",
    )
    assert report == {
        "rows": [
            {"index": 0, "id": created[0]},
            {
                "index": 1,
                "error": {
                    "type": "NotFoundError",
                    "message": "No res.partner record with id 2147483000 (it does not exist or was deleted).",
                },
            },
            {"index": 2, "id": created[1]},
        ],
        "written": 2,
        "created": 0,
        "failed": 1,
        "batches": 1,
    }
    assert names(conn, prefix) == {}


def test_rows_name_related_records_and_selections_as_people_write_them(conn, cleanup, prefix):
    """Values as in createRecord (docs/values.md): a country by name, a tag by name, a selection
    by its label; each distinct name looked up once for all rows; a name that matches nothing is
    that row's error in skip mode, and the other rows are written."""
    tag = run(conn, "createRecord", model="res.partner.category", parameters={"name": f"{prefix} Batch VIP"})
    cleanup.append(("res.partner.category", tag))
    rows = [
        {
            "externalId": xid(prefix, f"named{i}"),
            "parameters": {
                "name": f"{prefix} Named{i}",
                "country_id": "Belgium",
                "category_id": [{"name": f"{prefix} Batch VIP"}],
                "company_type": "Company",
            },
        }
        for i in range(3)
    ]
    rows[1]["parameters"]["country_id"] = {"name": "Nowhereland"}
    report = run(conn, "upsertRecords", model="res.partner", records=rows, onError="skip")
    written = names(conn, prefix)
    cleanup.extend(("res.partner", i) for i in written.values())
    assert sorted(written) == [f"{prefix} Named0", f"{prefix} Named2"]
    assert report["rows"][1] == {
        "index": 1,
        "error": {
            "type": "InputError",
            "message": "parameters.country_id: no res.country record named 'Nowhereland' that this user "
            "can see (the name must match whole, case aside)",
            "path": "records[1].parameters.country_id",  # the whole path, as a stop names it
        },
    }
    assert (report["written"], report["failed"]) == (2, 1)
    record = run(
        conn,
        "getRecordById",
        model="res.partner",
        recordId=written[f"{prefix} Named2"],
        fields=["country_id", "category_id", "is_company"],
        format="friendly",
    )
    assert record["country_id"]["name"] == "Belgium"
    assert record["category_id"] == [tag]
    assert record["is_company"] is True
    # the same rows again: the country, the tag and the selection as people write them compare
    # equal to what the records hold, so nothing is sent
    rows[1]["parameters"]["country_id"] = "Belgium"
    rows[1]["parameters"]["name"] = f"{prefix} Named1"
    again = run(conn, "upsertRecords", model="res.partner", records=rows, onError="skip")
    cleanup.extend(("res.partner", i) for i in ids_of(again) if i not in written.values())
    assert [row.get("unchanged", False) for row in again["rows"]] == [True, False, True]
    assert again["rows"][1]["created"] is True
    assert (again["written"], again["unchanged"], again["batches"]) == (1, 2, 1)


def test_the_chatter_stays_quiet_unless_track_history_is_asked(conn, cleanup, prefix):
    """As Odoo's Import button: no 'created' note and no follower unless trackHistory."""
    quiet = ids_of(
        run(conn, "createRecords", model="res.partner", records=[{"parameters": {"name": f"{prefix} Q"}}])
    )
    loud = ids_of(
        run(
            conn,
            "createRecords",
            model="res.partner",
            records=[{"parameters": {"name": f"{prefix} L"}}],
            trackHistory=True,
        )
    )
    cleanup.extend(("res.partner", i) for i in quiet + loud)

    def chatter(record_id: int) -> tuple[int, int]:
        where = [["model", "=", "res.partner"], ["res_id", "=", record_id]]
        notes = run(conn, "listRecords", model="mail.message", domain=where, fields=["id"])
        follows = [["res_model", "=", "res.partner"], ["res_id", "=", record_id]]
        followers = run(conn, "listRecords", model="mail.followers", domain=follows, fields=["id"])
        return len(notes), len(followers)

    assert chatter(quiet[0]) == (0, 0)
    notes, followers = chatter(loud[0])
    assert notes >= 1 and followers >= 1


def test_create_records_of_contacts_under_a_parent_works_for_an_ordinary_user(conn, cleanup, prefix):
    """Odoo's load, creating a contact under a parent, copies the parent's accounting fields
    without sudo (credit_limit: Accounting groups only); those rows are created with create."""
    parent = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Parent Co", "is_company": True},
    )
    cleanup.append(("res.partner", parent))
    report = run(
        conn,
        "createRecords",
        model="res.partner",
        records=[{"parameters": {"name": f"{prefix} Child {i}", "parent_id": parent}} for i in range(2)],
    )
    cleanup.extend(("res.partner", i) for i in ids_of(report))
    assert (report["written"], report["created"], report["failed"]) == (2, 2, 0)
    matched = run(
        conn,
        "upsertRecords",
        model="res.partner",
        matchFields=["email"],
        records=[
            {"parameters": {"name": f"{prefix} Child 2", "email": "child2@example.com", "parent_id": parent}}
        ],
    )
    cleanup.extend(("res.partner", i) for i in ids_of(matched))
    assert (matched["written"], matched["created"]) == (1, 1)
    children = run(
        conn,
        "listRecords",
        model="res.partner",
        domain=[["parent_id", "=", parent]],
        fields=["name", "commercial_partner_id"],
        order="id",
    )
    assert [(c["id"], c["commercial_partner_id"][0]) for c in children] == [
        (i, parent) for i in ids_of(report) + ids_of(matched)
    ]


def test_upsert_by_external_id_of_a_contact_under_a_parent_names_the_accounting_groups(conn, cleanup, prefix):
    """A row named by external ID needs load, which reads the parent's credit_limit: the error
    names the groups Odoo names, and does not blame the field names."""
    parent = run(
        conn,
        "createRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Parent Co", "is_company": True},
    )
    cleanup.append(("res.partner", parent))
    records = [
        {"externalId": xid(prefix, "child"), "parameters": {"name": f"{prefix} Child", "parent_id": parent}}
    ]
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "upsertRecords", model="res.partner", records=records)
    assert err.value.groups == ["Show Accounting Features - Readonly", "Accounting / Invoicing"]
    assert "Odoo's import (load) reads 'credit_limit' on its own here" in err.value.message
    assert "field names" not in err.value.hint
    assert "Show Accounting Features - Readonly" in err.value.hint
    assert f"{prefix} Child" not in names(conn, prefix)

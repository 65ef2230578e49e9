"""watchFields, to and the archive branches against a real Odoo 19 (replayed from cassettes; the
live suite runs them on the server, finding the stages there by searching, never by id).

The done-when flow's trigger half: "when a lead's stage becomes Won", as an ordinary user, emits
the stage's old and new names and nothing for other edits."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from typing import Any

import pytest

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.triggers.webhook import subscribe, unsubscribe

pytestmark = pytest.mark.recordable

URL = "https://hooks.example.com/odoo"


def _stages(conn: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The pipeline's first stage, another stage that is not won, and the won stage, found on
    the server."""
    rows = invoke(
        "listRecords",
        conn,
        {"model": "crm.stage", "fields": ["name", "is_won"], "order": "sequence asc, id asc", "limit": 50},
    )["data"]
    won = next(s for s in rows if s["is_won"])
    first, other = [s for s in rows if not s["is_won"]][:2]
    return first, other, won


@pytest.fixture
def leads(admin_conn: dict[str, Any]) -> Iterator[list[int]]:
    """Leads a test creates, deleted after it by the administrator (an ordinary salesperson may
    not delete leads: Odoo 19 keeps that to Sales / Administrator)."""
    created: list[int] = []
    yield created
    if created:
        for lead in created:
            invoke("deleteRecordById", admin_conn, {"model": "crm.lead", "recordId": lead})


def _lead(conn: dict[str, Any], leads: list[int], name: str, stage: int) -> int:
    lead: int = invoke(
        "createRecord", conn, {"model": "crm.lead", "parameters": {"name": name, "stage_id": stage}}
    )["data"]
    leads.append(lead)
    return lead


def _update(conn: dict[str, Any], lead: int, real_server: bool, **values: Any) -> None:
    if real_server:
        time.sleep(1.1)  # write_date has one-second precision (see pollChangesTrigger's docstring)
    invoke("updateRecord", conn, {"model": "crm.lead", "recordId": lead, "parameters": values})


def test_poll_stage_becomes_won_emits_old_and_new_stage_names_and_nothing_for_other_edits(
    conn, leads, prefix, real_server
):
    first, other, won = _stages(conn)
    lead = _lead(conn, leads, f"{prefix} Watch lead", first["id"])
    inputs = {
        "model": "crm.lead",
        "domain": [["name", "=like", f"{prefix} Watch %"]],
        "watchFields": ["stage_id"],
        "to": {"stage_id": won["name"]},  # the stage as a person names it
        "format": "friendly",
    }
    client = make_client(parse_connection(conn))
    state = invoke("pollChangesTrigger", conn, inputs, client=client)["state"]

    _update(conn, lead, real_server, expected_revenue=1234)
    before = client.request_count
    edited = invoke("pollChangesTrigger", conn, inputs, state=state, client=client)
    assert edited["polledNoChanges"] is True  # another field: nothing
    assert client.request_count - before == 1  # an idle poll with watchFields is one request

    _update(conn, lead, real_server, stage_id=other["id"])
    moved = invoke("pollChangesTrigger", conn, inputs, state=edited["state"], client=client)
    assert moved["polledNoChanges"] is True  # a stage change, not to Won

    _update(conn, lead, real_server, stage_id=won["id"])
    result = invoke("pollChangesTrigger", conn, inputs, state=moved["state"], client=client)
    [record] = result["data"]["updated"]
    assert record["id"] == lead
    assert record["changes"] == {
        "stage_id": {
            "old": {"id": other["id"], "name": other["name"]},
            "new": {"id": won["id"], "name": won["name"]},
        }
    }
    client.close()


def test_poll_archive_and_restore_of_a_lead(conn, leads, prefix, real_server):
    first, _, _ = _stages(conn)
    lead = _lead(conn, leads, f"{prefix} Archive lead", first["id"])
    inputs = {
        "model": "crm.lead",
        "domain": [["name", "=like", f"{prefix} Archive %"]],
        "showArchivedRecords": True,
        "showUnarchivedRecords": True,
    }
    state = invoke("pollChangesTrigger", conn, inputs)["state"]
    _update(conn, lead, real_server, active=False)
    archived = invoke("pollChangesTrigger", conn, inputs, state=state)
    assert [r["id"] for r in archived["data"]["archived"]] == [lead]
    assert archived["data"]["updated"] == archived["data"]["unarchived"] == []
    _update(conn, lead, real_server, active=True)
    restored = invoke("pollChangesTrigger", conn, inputs, state=archived["state"])
    assert [r["id"] for r in restored["data"]["unarchived"]] == [lead]
    assert restored["data"]["archived"] == restored["data"]["updated"] == []


def test_webhook_rule_triggers_on_the_watched_fields_and_archive_rules_keep_odoos_test(admin_conn, prefix):
    inputs = {
        "model": "crm.lead",
        "fields": ["name"],
        "domain": [["name", "=like", f"{prefix} Hook %"]],
        "watchFields": ["stage_id", "user_id"],
        "showArchivedRecords": True,
        "showUnarchivedRecords": True,
    }
    client = make_client(parse_connection(admin_conn))
    state = subscribe(admin_conn, inputs, URL)
    try:
        rules = client.call(
            "base.automation",
            "read",
            state["ruleIds"],
            fields=["trigger", "filter_domain", "trigger_field_ids"],
        )
        names = {
            f["id"]: f["name"]
            for f in client.call(
                "ir.model.fields",
                "read",
                sorted({i for r in rules for i in r["trigger_field_ids"]}),
                fields=["name"],
            )
        }
    finally:
        unsubscribe(admin_conn, state)
    by_trigger = {r["trigger"]: r for r in rules}
    assert sorted(by_trigger) == ["on_archive", "on_create_or_write", "on_unarchive", "on_unlink"]
    # as given: Odoo's compute (which adds the domain's fields) does not override them
    assert sorted(names[i] for i in by_trigger["on_create_or_write"]["trigger_field_ids"]) == [
        "stage_id",
        "user_id",
    ]
    assert [names[i] for i in by_trigger["on_archive"]["trigger_field_ids"]] == ["active"]
    assert ast.literal_eval(by_trigger["on_archive"]["filter_domain"]) == [
        *inputs["domain"],
        ["active", "=", False],
    ]
    assert ast.literal_eval(by_trigger["on_unarchive"]["filter_domain"]) == [
        *inputs["domain"],
        ["active", "=", True],
    ]
    assert state["branches"] == ["created", "updated", "deleted", "archived", "unarchived"]
    assert state["poll"]["watch"]["fields"] == ["stage_id", "user_id", "active"]
    client.close()


def test_select_watch_field_lists_the_stored_fields_by_label(conn):
    options = invoke("selectWatchField", conn, {"model": "crm.lead"})["data"]
    keys = {o["key"] for o in options}
    assert {"stage_id", "user_id", "active", "expected_revenue"} <= keys
    assert not keys & {"write_date", "create_date", "display_name", "id"}  # every write, or not stored
    stage = next(o for o in options if o["key"] == "stage_id")
    assert stage["label"].endswith("(stage_id)") and stage["label"] != "stage_id (stage_id)"

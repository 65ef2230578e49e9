"""scheduleActivity, completeActivity, listActivities and their picklists over both connections,
as an ordinary internal user, replaying cassettes recorded from a real Odoo 19; and the recipe
"activities due or assigned start a flow" (docs/recipes.md) through the command line.

No test names one server's ids or names: the activity types, the users and a product the user
may read but not change are found on the server. Due dates are fixed days far ahead (or behind),
so the requests replay on any day; relative days ("in 2 days") are proven against the fake Odoo
(tests/test_activities_fake.py), where the day they name is known.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.cli import main
from odoo_connector.errors import AccessDeniedError, InputError, NotFoundError, OdooValidationError
from odoo_connector.values.days import add_delay

pytestmark = pytest.mark.recordable

AHEAD = "2031-03-14"  # planned, whatever day the cassette is replayed
BEHIND = "2020-03-14"  # overdue


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    """Invokes a key and checks the envelope against its output schema, as a platform would."""
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


@pytest.fixture
def partner(conn: dict[str, Any], cleanup: list[tuple[str, int]], prefix: str) -> int:
    """A contact the user may change; deleting it deletes its activities (Odoo's mixin does)."""
    record_id = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Activities"})
    cleanup.append(("res.partner", record_id))
    return int(record_id)


def me(conn: dict[str, Any]) -> dict[str, Any]:
    from odoo_connector.runtime import check_connection

    return dict(check_connection(conn)["user"])


def type_named(conn: dict[str, Any], name: str) -> dict[str, Any]:
    rows = run(conn, "listRecords", model="mail.activity.type", domain=[["name", "=", name]], fields=_TYPE)
    assert rows, f"the server has no activity type {name!r} (Odoo's mail module creates it)"
    return dict(rows[0])


_TYPE = ["name", "res_model", "delay_count", "delay_unit", "delay_from"]


def test_schedule_list_and_complete_an_activity(conn, partner, prefix):
    other = next(o for o in run(conn, "selectUser") if o["key"] != str(me(conn)["id"]))
    login = other["label"].rsplit("(", 1)[1].rstrip(")")
    scheduled = run(
        conn,
        "scheduleActivity",
        model="res.partner",
        recordId=partner,
        activityType="Call",
        summary=f"{prefix} call",
        note="<p>Ask about the <b>second</b> site.</p>",
        dueDate=AHEAD,
        assignee=login,
    )
    assert scheduled["model"] == "res.partner" and scheduled["recordId"] == partner
    assert scheduled["recordName"] == f"{prefix} Activities"
    assert scheduled["activityType"]["name"] == "Call"
    assert scheduled["assignee"] == {"id": int(other["key"]), "name": other["label"].rsplit(" (", 1)[0]}
    assert (scheduled["dueDate"], scheduled["state"]) == (AHEAD, "planned")
    assert scheduled["note"] == "<p>Ask about the <b>second</b> site.</p>"

    listed = run(conn, "listActivities", model="res.partner", recordId=partner, assignedTo="anyone")
    assert listed == [scheduled]
    assert run(conn, "listActivities", model="res.partner", recordId=partner) == []  # not mine
    assert (
        run(
            conn,
            "listActivities",
            model="res.partner",
            recordId=partner,
            assignedTo="anyone",
            state=["overdue", "today"],
        )
        == []
    )

    done = run(conn, "completeActivity", activityId=scheduled["id"], feedback=f"{prefix} reached them")
    assert done["done"] is True and done["nextActivity"] is None
    assert (done["model"], done["recordId"], done["recordName"]) == (
        "res.partner",
        partner,
        f"{prefix} Activities",
    )
    message = run(
        conn, "getRecordById", model="mail.message", recordId=done["messageId"], fields=["body", "res_id"]
    )
    assert message["res_id"] == partner and f"{prefix} reached them" in message["body"]
    assert run(conn, "listActivities", model="res.partner", recordId=partner, assignedTo="anyone") == []
    [archived] = run(
        conn, "listActivities", model="res.partner", recordId=partner, assignedTo="anyone", state=["done"]
    )
    assert (archived["id"], archived["state"]) == (scheduled["id"], "done")

    with pytest.raises(OdooValidationError, match="already marked done"):
        run(conn, "completeActivity", activityId=scheduled["id"], feedback="again")


def test_complete_and_schedule_the_next_activity(conn, partner, prefix):
    first = run(
        conn,
        "scheduleActivity",
        model="res.partner",
        recordId=partner,
        activityType="mail.mail_activity_data_todo",
        dueDate=BEHIND,
    )
    user = me(conn)
    assert first["activityType"]["name"] == "To-Do" and first["state"] == "overdue"
    assert first["assignee"] == {"id": user["id"], "name": user["name"]}  # the API user by default
    assert run(conn, "listActivities", model="res.partner", recordId=partner, state=["overdue"]) == [first]

    done = run(
        conn,
        "completeActivity",
        activityId=first["id"],
        scheduleNext=True,
        nextActivityType="Call",
        nextSummary=f"{prefix} follow-up",
        nextDueDate=AHEAD,
    )
    follow = done["nextActivity"]
    assert follow["activityType"]["name"] == "Call" and follow["summary"] == f"{prefix} follow-up"
    assert (follow["dueDate"], follow["recordId"], follow["assignee"]["id"]) == (AHEAD, partner, user["id"])
    linked = run(
        conn,
        "getRecordById",
        model="mail.activity",
        recordId=follow["id"],
        fields=["previous_activity_type_id"],
    )
    assert linked["previous_activity_type_id"][0] == first["activityType"]["id"]

    # left to the defaults, as Odoo's form: the same type, due after the type's delay
    again = run(conn, "completeActivity", activityId=follow["id"], scheduleNext=True)["nextActivity"]
    call = type_named(conn, "Call")
    start = AHEAD if call["delay_from"] == "previous_activity" else None
    assert again["activityType"]["name"] == "Call" and again["summary"] == "Call"
    if start:  # counted from the previous due date: the same on any day
        assert again["dueDate"] == add_delay(date(start), call["delay_count"], call["delay_unit"]).isoformat()


def date(text: str) -> Any:
    from datetime import date as day

    return day.fromisoformat(text)


def test_bad_inputs_are_refused_with_what_to_fix(conn, partner):
    with pytest.raises(InputError, match="not a day") as err:
        run(conn, "scheduleActivity", model="res.partner", recordId=partner, dueDate="next tuesday-ish")
    assert err.value.path == "dueDate"
    with pytest.raises(InputError, match=re.escape("res.country has no activities")):
        run(conn, "scheduleActivity", model="res.country", recordId=1)
    with pytest.raises(InputError, match=re.escape("no model 'x_no_such.model'")):
        run(conn, "listActivities", model="x_no_such.model")
    with pytest.raises(InputError, match="no activity type 'Carrier pigeon'"):
        run(conn, "scheduleActivity", model="res.partner", recordId=partner, activityType="Carrier pigeon")
    nobody = re.escape("no user has the login or the name 'nobody@nowhere.test'")
    with pytest.raises(InputError, match=nobody):
        run(conn, "scheduleActivity", model="res.partner", recordId=partner, assignee="nobody@nowhere.test")
    with pytest.raises(NotFoundError, match=re.escape("No res.partner record with id 2147483000")):
        run(conn, "scheduleActivity", model="res.partner", recordId=2147483000)
    with pytest.raises(NotFoundError, match="No activity with id 2147483000"):
        run(conn, "completeActivity", activityId=2147483000)
    with pytest.raises(InputError, match="scheduleNext is off"):
        run(conn, "completeActivity", activityId=1, nextDueDate="tomorrow")


@pytest.fixture
def product(admin_conn: dict[str, Any], prefix: str) -> Iterator[int]:
    """A product the ordinary user may read but not change (Products / Creation)."""
    record_id = run(
        admin_conn,
        "createRecord",
        model="product.template",
        parameters={"name": f"{prefix} Activity product"},
    )
    yield int(record_id)
    run(admin_conn, "deleteRecordById", model="product.template", recordId=record_id)


def test_scheduling_on_a_record_the_user_may_not_change_names_the_group(conn, product):
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "scheduleActivity", model="product.template", recordId=product, dueDate=AHEAD)
    assert "needs the right to change it" in err.value.message
    assert err.value.groups, "the error names the Odoo group that would allow it"
    assert all(group in err.value.message for group in err.value.groups)


def test_an_activity_on_a_record_the_user_may_not_change(conn, admin_conn, product):
    """Odoo shows an activity to its assignee and to those who may change its record: the user
    completes one assigned to them on a product they may only read, and is told why another
    one, the administrator's, cannot be seen."""
    user = me(conn)
    mine = run(
        admin_conn,
        "scheduleActivity",
        model="product.template",
        recordId=product,
        dueDate=AHEAD,
        assignee=user["login"],
    )
    # named, not the administrator's default: on replay both connections carry one placeholder
    # key, so the pooled client would answer the ordinary user's id for both
    other = next(o for o in run(conn, "selectUser") if o["key"] != str(user["id"]))
    theirs = run(
        admin_conn,
        "scheduleActivity",
        model="product.template",
        recordId=product,
        dueDate=AHEAD,
        assignee=other["key"],
    )
    listed = run(conn, "listActivities", model="product.template", recordId=product, assignedTo="anyone")
    assert [a["id"] for a in listed] == [mine["id"]]
    assert run(conn, "completeActivity", activityId=mine["id"], feedback="checked")["done"] is True
    with pytest.raises(AccessDeniedError, match=f"may not see activity {theirs['id']}"):
        run(conn, "completeActivity", activityId=theirs["id"])


def test_the_picklists_list_what_the_server_has(conn):
    types = run(
        conn,
        "listRecords",
        model="mail.activity.type",
        fields=["name", "res_model"],
        order="sequence, id",
        limit=100,
    )
    for_leads = [t for t in types if t["res_model"] in (False, "res.partner")]
    assert run(conn, "selectActivityType", model="res.partner") == [
        {"key": str(t["id"]), "label": t["name"]} for t in for_leads
    ]
    users = run(
        conn,
        "listRecords",
        model="res.users",
        domain=[["share", "=", False]],
        fields=["name", "login"],
        order="name, id",
        limit=100,
    )
    picked = invoke("selectUser", conn, {})
    assert picked["data"] == [{"key": str(u["id"]), "label": f"{u['name']} ({u['login']})"} for u in users]
    assert picked["truncated"] is False
    user = me(conn)
    assert invoke("selectUser", conn, {"search": user["login"], "limit": 1})["data"][0]["key"] == str(
        user["id"]
    )


# --- the recipe (docs/recipes.md) -----------------------------------------------------------------

RECIPES = Path(__file__).parent.parent / "docs" / "recipes.md"
RECIPE_USER = 5  # the user id the recipe is written with


def recipe_inputs() -> dict[str, Any]:
    """The inputs of the recipe's ``odoo-connector poll pollChangesTrigger`` line, as written."""
    lines = [
        shlex.split(line)
        for line in RECIPES.read_text().splitlines()
        if line.startswith("odoo-connector poll ")
    ]
    [words] = [
        w for w in lines if w[2] == "pollChangesTrigger" and "mail.activity" in w[w.index("--input") + 1]
    ]
    return dict(json.loads(words[words.index("--input") + 1]))


def test_recipe_activities_due_or_assigned_start_a_flow(conn, partner, prefix, tmp_path, capsys, real_server):
    inputs = recipe_inputs()
    assert inputs["model"] == "mail.activity"
    user = me(conn)
    inputs["domain"] = [[f, op, user["id"] if v == RECIPE_USER else v] for f, op, v in inputs["domain"]]
    connection = tmp_path / "connection.json"
    connection.write_text(json.dumps(conn))
    argv = [
        "poll",
        "pollChangesTrigger",
        "--input",
        json.dumps(inputs),
        "--state",
        str(tmp_path / "state.json"),
    ]

    def poll() -> dict[str, Any]:
        capsys.readouterr()
        assert main([*argv, "--connection", str(connection)]) == 0
        return dict(json.loads(capsys.readouterr().out)["data"])

    poll()  # the baseline
    if real_server:
        time.sleep(1.1)  # past the baseline's second (write_date has one-second precision)
    due = run(
        conn,
        "scheduleActivity",
        model="res.partner",
        recordId=partner,
        summary=f"{prefix} due",
        dueDate=BEHIND,
    )
    later = run(
        conn,
        "scheduleActivity",
        model="res.partner",
        recordId=partner,
        summary=f"{prefix} later",
        dueDate=AHEAD,
    )
    others = next(o for o in run(conn, "selectUser") if o["key"] != str(user["id"]))
    run(
        conn,
        "scheduleActivity",
        model="res.partner",
        recordId=partner,
        summary=f"{prefix} theirs",
        dueDate=BEHIND,
        assignee=others["key"],
    )
    emitted = poll()
    assert [r["id"] for r in emitted["created"]] == [due["id"]], "only what is mine and due"
    assert emitted["created"][0]["res_name"] == f"{prefix} Activities"
    assert later["id"] not in [r["id"] for r in emitted["updated"]]

"""Activities against the stateful fake Odoo (issue 29), over both transports, offline: what a
cassette cannot show. Days counted from today (a cassette is replayed on another day), a type
meant for another model and a type Odoo chains itself (a new database has neither), two users
of one name, and bad inputs refused before any request."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import InputError, OdooValidationError, TransportError

from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, UID, FakeOdoo

CONNECTIONS = {
    "json2": {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY},
    "jsonrpc": {
        "type": "odooBasicAuth",
        "baseUrl": "http://fake.test",
        "database": DATABASE,
        "username": LOGIN,
        "password": PASSWORD,
    },
}
TODO, CALL, PROPOSAL, CHAINED = 1, 2, 3, 4  # the fake's activity types, in install order


@pytest.fixture(params=["json2", "jsonrpc"])
def setup(request: pytest.FixtureRequest) -> tuple[FakeOdoo, dict[str, Any], Any]:
    odoo = FakeOdoo(clock=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    odoo.install_activities()
    conn = CONNECTIONS[request.param]
    parsed = parse_connection(conn)
    return odoo, conn, make_client(parsed, http_transport=odoo)


def today(zone: str = "UTC") -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def schedule(conn: dict[str, Any], client: Any, **inputs: Any) -> dict[str, Any]:
    return dict(invoke("scheduleActivity", conn, inputs, client=client)["data"])


@pytest.mark.parametrize(
    ("words", "days"),
    [("today", 0), ("Tomorrow", 1), ("in 3 days", 3), ("in 1 day", 1), ("in 2 weeks", 14)],
)
def test_a_due_date_in_words_is_counted_from_today(setup, words, days):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    scheduled = schedule(
        conn, client, model="res.partner", recordId=partner, activityType="Call", dueDate=words
    )
    assert scheduled["dueDate"] == (today() + timedelta(days=days)).isoformat()


def test_today_is_the_day_in_the_calls_time_zone(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11: never the same day
        scheduled = schedule(
            conn, client, model="res.partner", recordId=partner, dueDate="today", context={"timezone": zone}
        )
        assert scheduled["dueDate"] == today(zone).isoformat()


def test_a_month_later_is_the_last_day_of_a_shorter_month():
    from odoo_connector.values.days import add_delay, parse_day

    assert add_delay(date(2027, 1, 31), 1, "months") == date(2027, 2, 28)
    assert add_delay(date(2028, 1, 31), 1, "month") == date(2028, 2, 29)
    assert add_delay(date(2026, 12, 15), 2, "months") == date(2027, 2, 15)
    assert parse_day("in 1 month", date(2026, 3, 31)) == date(2026, 4, 30)
    assert parse_day("2026-12-24", date(2000, 1, 1)) == date(2026, 12, 24)
    assert parse_day("next week", date(2026, 1, 1)) is None


def test_the_defaults_are_those_of_odoos_form(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    scheduled = schedule(conn, client, model="res.partner", recordId=partner)
    # the first type by sequence, due after its delay, assigned to the API user, its summary
    assert scheduled["activityType"] == {"id": TODO, "name": "To-Do"}
    assert scheduled["dueDate"] == (today() + timedelta(days=5)).isoformat()
    assert scheduled["assignee"] == {"id": UID, "name": "Bot"}
    assert scheduled["summary"] == "To-Do"
    assert scheduled["state"] == "planned"


def test_bad_inputs_cost_no_request(setup):
    odoo, conn, client = setup
    for inputs, where in [
        ({"model": "res.partner", "recordId": 7, "dueDate": "2026-02-30"}, "dueDate"),
        ({"model": "res.partner", "recordId": 7, "dueDate": "someday"}, "dueDate"),
        ({"model": "Res Partner", "recordId": 7}, "model"),
    ]:
        with pytest.raises(InputError) as err:
            invoke("scheduleActivity", conn, inputs, client=client)
        assert err.value.path == where
    with pytest.raises(InputError, match="scheduleNext is off"):
        invoke("completeActivity", conn, {"activityId": 7, "nextAssignee": "Bot"}, client=client)
    with pytest.raises(InputError, match="recordId needs the model"):
        invoke("listActivities", conn, {"recordId": 7}, client=client)
    assert odoo.calls == []


def test_a_type_for_another_model_is_refused_before_scheduling(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    wrong_model = re.escape("'Proposal' is for crm.lead records, not res.partner")
    with pytest.raises(InputError, match=wrong_model) as err:
        schedule(conn, client, model="res.partner", recordId=partner, activityType="proposal")
    assert err.value.path == "activityType"
    assert "activity_schedule" not in odoo.methods()
    listed = invoke("selectActivityType", conn, {"model": "res.partner"}, client=client)["data"]
    assert [o["label"] for o in listed] == ["To-Do", "Call", "Chained"]
    every = invoke("selectActivityType", conn, {}, client=client)["data"]
    assert {"key": str(PROPOSAL), "label": "Proposal (crm.lead)"} in every


def test_a_user_by_login_name_or_id_and_two_of_one_name(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    alice = odoo.add_user("Alice Martin", "alice_m@example.com")
    other = odoo.add_user("Alice Martin", "alice.other@example.com")
    assert schedule(conn, client, model="res.partner", recordId=partner, assignee="alice_m@example.com")[
        "assignee"
    ] == {"id": alice, "name": "Alice Martin"}
    assert (
        schedule(conn, client, model="res.partner", recordId=partner, assignee=str(other))["assignee"]["id"]
        == other
    )
    with pytest.raises(InputError, match="'alice martin' names several users") as err:
        schedule(conn, client, model="res.partner", recordId=partner, assignee="alice martin")
    assert "alice.other@example.com" in err.value.message and err.value.path == "assignee"
    picked = invoke("selectUser", conn, {"search": "alice", "limit": 1}, client=client)
    assert picked["data"] == [{"key": str(alice), "label": "Alice Martin (alice_m@example.com)"}]
    assert picked["truncated"] is True


def test_a_type_odoo_chains_itself_reports_the_next_activity(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    first = schedule(
        conn, client, model="res.partner", recordId=partner, activityType="Chained", dueDate="today"
    )
    done = invoke("completeActivity", conn, {"activityId": first["id"], "feedback": "ok"}, client=client)[
        "data"
    ]
    follow = done["nextActivity"]
    assert follow["activityType"] == {"id": CALL, "name": "Call"} and follow["id"] != first["id"]
    assert follow["dueDate"] == (odoo.clock.date() + timedelta(days=2)).isoformat()
    assert odoo.tables["mail.activity"][first["id"]]["feedback"] == "ok"
    # with scheduleNext the values given are written to the one Odoo made
    second = schedule(conn, client, model="res.partner", recordId=partner, activityType="Chained")
    done = invoke(
        "completeActivity",
        conn,
        {
            "activityId": second["id"],
            "scheduleNext": True,
            "nextSummary": "Call them back",
            "nextDueDate": "in 9 days",
        },
        client=client,
    )["data"]
    assert done["nextActivity"]["summary"] == "Call them back"
    assert done["nextActivity"]["dueDate"] == (today() + timedelta(days=9)).isoformat()
    assert odoo.methods().count("activity_schedule") == 2  # the two above: Odoo made the next ones


def test_schedule_next_counts_from_the_previous_due_date_and_a_failure_says_it_was_done(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    first = schedule(
        conn, client, model="res.partner", recordId=partner, activityType="Call", dueDate="2031-03-14"
    )
    done = invoke("completeActivity", conn, {"activityId": first["id"], "scheduleNext": True}, client=client)[
        "data"
    ]
    assert done["nextActivity"]["dueDate"] == "2031-03-16"  # Call's 2 days after the previous due date
    assert done["nextActivity"]["activityType"]["name"] == "Call"
    with pytest.raises(OdooValidationError, match="already marked done"):
        invoke("completeActivity", conn, {"activityId": first["id"]}, client=client)

    second = done["nextActivity"]["id"]
    odoo.fail_on("activity_schedule", kind="access", message="You may not.")
    with pytest.raises(
        Exception, match=f"Activity {second} was marked done, but the next activity could not"
    ):
        invoke("completeActivity", conn, {"activityId": second, "scheduleNext": True}, client=client)
    assert odoo.tables["mail.activity"][second]["active"] is False


def test_list_activities_mine_or_anyones_paged(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    alice = odoo.add_user("Alice Martin", "alice@example.com")
    days = ["2031-01-03", "2031-01-01", "2031-01-02"]
    ids = [schedule(conn, client, model="res.partner", recordId=partner, dueDate=d)["id"] for d in days]
    theirs = schedule(
        conn,
        client,
        model="res.partner",
        recordId=partner,
        dueDate="2030-12-31",
        assignee="alice@example.com",
    )
    mine = invoke("listActivities", conn, {}, client=client)["data"]
    assert [a["id"] for a in mine] == [ids[1], ids[2], ids[0]]  # by due date
    assert mine[0]["recordName"] == "Acme" and mine[0]["assignee"]["id"] == UID
    anyone = invoke("listActivities", conn, {"assignedTo": "anyone", "limit": 2, "offset": 1}, client=client)[
        "data"
    ]
    assert [a["id"] for a in anyone] == [ids[1], ids[2]]
    everything = invoke("listActivities", conn, {"assignedTo": "anyone", "fetchAll": True}, client=client)[
        "data"
    ]
    assert [a["id"] for a in everything] == [theirs["id"], ids[1], ids[2], ids[0]]
    assert everything[0]["assignee"] == {"id": alice, "name": "Alice Martin"}


def test_a_schedule_without_an_answer_is_sent_once_and_says_to_look_first(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")

    def lost() -> None:
        raise httpx.ReadTimeout("the fake lost the answer")

    odoo.on_call("activity_schedule", lost, times=3)
    with pytest.raises(TransportError, match="may or may not have been scheduled") as err:
        schedule(conn, client, model="res.partner", recordId=partner, dueDate="2031-03-14")
    assert "listActivities" in err.value.message
    assert odoo.methods().count("activity_schedule") == 1

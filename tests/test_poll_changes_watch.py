"""pollChangesTrigger with watchFields, to/from and the archive branches, against the fake Odoo,
over both transports: what is emitted, with which old and new values, and what it costs."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from odoo_connector.cli import main
from odoo_connector.client import OdooClient
from odoo_connector.connections import Connection
from odoo_connector.errors import InputError
from odoo_connector.runtime import invoke
from tests.fakes import FakeOdoo, fake_client, fake_connection
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import serve_transport

LEAD = "crm.lead"
LEAD_FIELDS = {
    "stage_id": "many2one:crm.stage",
    "user_id": "many2one:res.users",
    "expected_revenue": "float",
    "priority": "selection",
    "active": "boolean",
}


@dataclass
class Env:
    fake: FakeOdoo
    connection: Connection
    client: OdooClient
    stages: dict[str, int]
    alice: int

    def poll(self, state: dict[str, Any] | None, **inputs: Any) -> dict[str, Any]:
        result: dict[str, Any] = invoke(
            "pollChangesTrigger", self.connection, {"model": LEAD, **inputs}, state=state, client=self.client
        )
        return result

    def later(self) -> None:
        self.fake.advance(5)


def make_fake() -> tuple[FakeOdoo, dict[str, int], int]:
    fake = FakeOdoo(models={"crm.stage": {}, LEAD: LEAD_FIELDS})
    stages = {name: fake.create("crm.stage", name=name) for name in ("New", "Qualified", "Won")}
    alice = fake.create("res.users", name="Alice Martin", login="alice@example.com")
    return fake, stages, alice


@pytest.fixture(params=["json2", "jsonrpc"])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    fake, stages, alice = make_fake()
    connection = fake_connection(request.param)
    client = fake_client(fake, connection)
    yield Env(fake, connection, client, stages, alice)
    client.close()


def ids(result: dict[str, Any], branch: str) -> list[int]:
    return [r["id"] for r in result["data"][branch]]


def test_a_stage_change_emits_old_and_new_stage_and_another_field_emits_nothing(env: Env) -> None:
    lead = env.fake.create(LEAD, name="oc-watch lead", stage_id=env.stages["New"])
    env.later()
    state = env.poll(None, watchFields=["stage_id"])["state"]
    env.later()
    env.fake.write(LEAD, lead, expected_revenue=1000.0)
    quiet = env.poll(state, watchFields=["stage_id"])
    assert quiet["data"]["updated"] == [] and quiet["polledNoChanges"] is True
    env.later()
    env.fake.write(LEAD, lead, stage_id=env.stages["Qualified"])
    moved = env.poll(quiet["state"], watchFields=["stage_id"])
    [record] = moved["data"]["updated"]
    assert record["id"] == lead
    assert record["changes"] == {
        "stage_id": {
            "old": {"id": env.stages["New"], "name": "New"},
            "new": {"id": env.stages["Qualified"], "name": "Qualified"},
        }
    }
    assert record["stage_id"] == [env.stages["Qualified"], "Qualified"]  # the record as Odoo reads it


def test_to_emits_only_the_change_to_that_value_with_the_stage_it_left(env: Env) -> None:
    lead = env.fake.create(LEAD, name="oc-watch lead", stage_id=env.stages["New"])
    inputs = {"watchFields": ["stage_id"], "to": {"stage_id": "won"}, "format": "friendly"}
    env.later()
    state = env.poll(None, **inputs)["state"]
    env.later()
    env.fake.write(LEAD, lead, stage_id=env.stages["Qualified"])
    qualified = env.poll(state, **inputs)
    assert qualified["polledNoChanges"] is True  # a change, but not to Won
    env.later()
    env.fake.write(LEAD, lead, stage_id=env.stages["Won"])
    won = env.poll(qualified["state"], **inputs)
    [record] = won["data"]["updated"]
    # old is the stage it left (Qualified, seen but not emitted), not the one at the baseline
    assert record["changes"]["stage_id"]["old"] == {"id": env.stages["Qualified"], "name": "Qualified"}
    assert record["changes"]["stage_id"]["new"] == {"id": env.stages["Won"], "name": "Won"}
    assert record["stage_id"] == {"id": env.stages["Won"], "name": "Won"}


def test_from_anyone_to_alice_by_login(env: Env) -> None:
    bob = env.fake.create("res.users", name="Bob", login="bob@example.com")
    lead = env.fake.create(LEAD, name="oc-watch lead", user_id=bob)
    other = env.fake.create(LEAD, name="oc-watch other", user_id=False)
    inputs = {"watchFields": ["user_id"], "to": {"user_id": "alice@example.com"}, "from": {"user_id": "Bob"}}
    env.later()
    state = env.poll(None, **inputs)["state"]
    env.later()
    env.fake.write(LEAD, [lead, other], user_id=env.alice)
    result = env.poll(state, **inputs)
    assert ids(result, "updated") == [lead]  # `other` had no salesperson, not Bob
    assert result["data"]["updated"][0]["changes"]["user_id"]["old"] == {"id": bob, "name": "Bob"}


def test_archive_and_restore_are_emitted_on_their_branches(env: Env) -> None:
    lead = env.fake.create(LEAD, name="oc-watch lead")
    inputs = {"showArchivedRecords": True, "showUnarchivedRecords": True}
    env.later()
    state = env.poll(None, **inputs)["state"]
    env.later()
    env.fake.write(LEAD, lead, active=False)
    archived = env.poll(state, **inputs)
    assert (ids(archived, "archived"), ids(archived, "updated"), ids(archived, "unarchived")) == (
        [lead],
        [],
        [],
    )
    env.later()
    env.fake.write(LEAD, lead, expected_revenue=5.0)  # an edit while archived: an update
    edited = env.poll(archived["state"], **inputs)
    assert (ids(edited, "archived"), ids(edited, "updated")) == ([], [lead])
    env.later()
    env.fake.write(LEAD, lead, active=True)
    restored = env.poll(edited["state"], **inputs)
    assert (ids(restored, "unarchived"), ids(restored, "updated")) == ([lead], [])


def test_without_the_archive_branches_an_archived_record_is_not_seen(env: Env) -> None:
    """The default is unchanged: Odoo hides archived records, so archiving emits nothing."""
    lead = env.fake.create(LEAD, name="oc-watch lead")
    env.later()
    state = env.poll(None)["state"]
    env.later()
    env.fake.write(LEAD, lead, active=False)
    result = env.poll(state)
    assert result["data"] == {"created": [], "updated": []}


def test_a_change_and_its_revert_between_two_polls_emit_nothing(env: Env) -> None:
    """Documented limit: a poll compares what it sees with what the last one saw."""
    lead = env.fake.create(LEAD, name="oc-watch lead", stage_id=env.stages["New"])
    env.later()
    state = env.poll(None, watchFields=["stage_id"])["state"]
    env.later()
    env.fake.write(LEAD, lead, stage_id=env.stages["Won"])
    env.later()
    env.fake.write(LEAD, lead, stage_id=env.stages["New"])
    assert env.poll(state, watchFields=["stage_id"])["polledNoChanges"] is True


def test_a_new_record_is_created_not_updated_and_to_applies_to_its_values(env: Env) -> None:
    inputs = {"watchFields": ["stage_id"], "to": {"stage_id": "Won"}}
    env.later()
    state = env.poll(None, **inputs)["state"]
    env.later()
    env.fake.create(LEAD, name="oc-watch new", stage_id=env.stages["New"])
    won = env.fake.create(LEAD, name="oc-watch won", stage_id=env.stages["Won"])
    result = env.poll(state, **inputs)
    assert (ids(result, "created"), ids(result, "updated")) == ([won], [])
    assert "changes" not in result["data"]["created"][0]


def test_a_record_never_seen_shows_old_as_unknown(env: Env) -> None:
    lead = env.fake.create(LEAD, name="oc-watch lead", stage_id=env.stages["New"])
    env.later()
    state = env.poll(None, watchFields=["stage_id"])["state"]
    state["watch"]["values"].pop(str(lead))  # forgotten (the bound), or outside the domain before
    env.later()
    env.fake.write(LEAD, lead, stage_id=env.stages["Won"])
    [record] = env.poll(state, watchFields=["stage_id"])["data"]["updated"]
    assert record["changes"] == {
        "stage_id": {"old": None, "new": {"id": env.stages["Won"], "name": "Won"}, "oldKnown": False}
    }


def test_costs_idle_one_request_and_fifty_changes_one_page(env: Env) -> None:
    leads = [env.fake.create(LEAD, name=f"oc-watch {i}", stage_id=env.stages["New"]) for i in range(300)]
    inputs = {"watchFields": ["stage_id", "user_id"], "to": {"stage_id": "Won"}, "pageSize": 100}
    env.later()
    state = env.poll(None, **inputs)["state"]
    env.fake.calls.clear()
    idle = env.poll(state, **inputs)
    assert env.fake.methods() == ["search_read"]  # no fields_get, no name lookup: kept in the state
    env.later()
    env.fake.write(LEAD, leads[:50], stage_id=env.stages["Won"])
    env.fake.write(LEAD, leads[50:60], expected_revenue=3.0)  # other fields: read, not emitted
    env.fake.calls.clear()
    result = env.poll(idle["state"], **inputs)
    assert sorted(ids(result, "updated")) == leads[:50]
    assert env.fake.methods() == ["search_read"]  # ceil(60/100) pages, nothing else
    assert len(json.dumps(result["state"]["watch"])) < 300 * 25  # ids and raw values, not friendly dicts


def test_bad_watch_inputs_are_refused_before_any_poll_request(env: Env) -> None:
    env.fake.calls.clear()
    with pytest.raises(InputError) as caught:
        env.poll(None, watchFields=["stage_id", "stage"], to={"stage_id": "Lost"})
    assert "stage" in caught.value.message and "stage_id" in caught.value.message
    assert (caught.value.hint or "").startswith("Nothing was polled.")
    assert "search_read" not in env.fake.methods()
    with pytest.raises(InputError) as caught:
        env.poll(None, watchFields=["stage", "colour"])
    assert caught.value.message.startswith("2 watched fields or conditions on crm.lead are not usable:\n- ")
    assert caught.value.path == "watchFields[0]"
    with pytest.raises(InputError) as caught:
        env.poll(None, watchFields=["stage_id"], to={"stage_id": "Lost"})
    assert "no crm.stage record named 'Lost'" in caught.value.message
    with pytest.raises(InputError) as caught:
        env.poll(None, watchFields=["stage_id"], to={"user_id": "Alice Martin"})
    assert "not in watchFields" in caught.value.message
    assert "search_read" not in env.fake.methods()


def test_archive_branches_on_a_model_without_active_are_refused(env: Env) -> None:
    with pytest.raises(InputError) as caught:
        env.poll(None, model="crm.stage", showArchivedRecords=True)
    assert "no 'active' field" in caught.value.message


def test_a_restart_keeps_the_last_values_through_the_state_store(tmp_path: Path) -> None:
    """Two CLI processes' worth of polls on one SQLite state: the second knows the old stage."""
    fake, stages, _ = make_fake()
    lead = fake.create(LEAD, name="oc-watch lead", stage_id=stages["New"])
    store = tmp_path / "state.sqlite"
    inputs = json.dumps({"model": LEAD, "watchFields": ["stage_id"], "to": {"stage_id": "Won"}})
    emitted: list[dict[str, Any]] = []
    with serve_transport(fake) as url:
        conn = tmp_path / "connection.json"
        conn.write_text(
            json.dumps({"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY})
        )
        argv = ["watch", "pollChangesTrigger", "--input", inputs, "--state", str(store), "--max-polls", "1"]
        argv += ["--interval", "0.1", "--connection", str(conn)]
        for write in (None, stages["Qualified"], stages["Won"]):
            if write is not None:
                fake.advance(5)
                fake.write(LEAD, lead, stage_id=write)
            out = tmp_path / "out.jsonl"
            with out.open("w") as stream, contextlib.redirect_stdout(stream):
                assert main(argv) == 0
            emitted += [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["branch"], e["record"]["id"]) for e in emitted] == [("updated", lead)]
    assert emitted[0]["record"]["changes"]["stage_id"]["old"] == {
        "id": stages["Qualified"],
        "name": "Qualified",
    }


def test_watch_delivers_the_archive_branches_as_json_lines(tmp_path: Path) -> None:
    fake, _, _ = make_fake()
    lead = fake.create(LEAD, name="oc-watch lead")
    inputs = json.dumps({"model": LEAD, "showArchivedRecords": True, "showUnarchivedRecords": True})
    with serve_transport(fake) as url:
        conn = tmp_path / "connection.json"
        conn.write_text(
            json.dumps({"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY})
        )
        argv = ["watch", "pollChangesTrigger", "--input", inputs, "--state", str(tmp_path / "s.sqlite")]
        argv += ["--max-polls", "1", "--interval", "0.1", "--connection", str(conn)]
        lines: list[dict[str, Any]] = []
        for active in (None, False, True):
            if active is not None:
                fake.advance(5)
                fake.write(LEAD, lead, active=active)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert main(argv) == 0
            lines += [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["branch"], line["record"]["id"]) for line in lines] == [
        ("archived", lead),
        ("unarchived", lead),
    ]

"""The multi-trigger runner (`odoo-connector runner`) with watchFields and a `to` condition: issue
29's flow "when a lead's stage becomes Won" through the runner's own config, schedule and state,
not only through `watch` and `invoke`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from odoo_connector.runner.embedded import PollEvent
from tests.fakes.odoo import API_KEY
from tests.fakes.server import serve_transport
from tests.test_poll_changes_watch import LEAD, make_fake
from tests.test_runner_many import Lines, config_data, make_runner, running, wait_for


def test_the_runner_emits_a_lead_becoming_won_with_its_old_and_new_stage_and_nothing_for_other_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ODOO_KEY", API_KEY)  # the config names the key by variable, as users do
    fake, stages, _alice = make_fake()
    won_later = fake.create(LEAD, name="oc-runner becomes won", stage_id=stages["New"])
    edited = fake.create(LEAD, name="oc-runner other edit", stage_id=stages["New"])
    qualified = fake.create(LEAD, name="oc-runner qualified", stage_id=stages["New"])
    won = {
        "id": "won-leads",
        "trigger": "pollChangesTrigger",
        "connection": "main",
        "inputs": {
            "model": LEAD,
            "watchFields": ["stage_id"],
            "to": {"stage_id": "Won"},
            "showNewRecords": False,
        },
        "interval": 0.05,
    }
    out, polls = Lines(), list[PollEvent]()
    with serve_transport(fake) as url:
        runner = make_runner(config_data({"main": url}, [won]), tmp_path, out=out, events=polls)
        with running(runner):
            wait_for(lambda: len(polls) >= 2, what="the baseline polls")
            assert out.getvalue() == "", "the first sight of a record is its baseline: nothing is emitted"
            fake.advance(5)
            fake.write(LEAD, edited, expected_revenue=1000.0)  # another field
            fake.write(LEAD, qualified, stage_id=stages["Qualified"])  # the stage, but not to Won
            fake.write(LEAD, won_later, stage_id=stages["Won"])
            wait_for(lambda: out.getvalue().count("\n") >= 1, what="the lead that became Won")
            seen = len(polls)
            wait_for(lambda: len(polls) >= seen + 3, what="more polls")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1, lines
    event = lines[0]
    assert (event["trigger"], event["branch"], event["record"]["id"]) == ("won-leads", "updated", won_later)
    assert event["record"]["changes"]["stage_id"]["old"] == {"id": stages["New"], "name": "New"}
    assert event["record"]["changes"]["stage_id"]["new"] == {"id": stages["Won"], "name": "Won"}

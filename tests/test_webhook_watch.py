"""recordWebhookTrigger with watchFields and the archive branches, against the fake Odoo's
automation rules: which rules are made, which writes make Odoo post, what is emitted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.triggers.webhook import subscribe
from odoo_connector.triggers.webhook_posts import receive
from tests.fakes import FakeOdoo, fake_client, fake_connection

URL = "https://hooks.example.com/odoo"
LEAD = "crm.lead"


class Subscribed:
    """A fake Odoo with Automation Rules and leads, one subscription, Odoo's posts queued."""

    def __init__(self, transport: str, inputs: dict[str, Any]) -> None:
        self.odoo = FakeOdoo(
            models={
                "crm.stage": {},
                LEAD: {"stage_id": "many2one:crm.stage", "expected_revenue": "float", "active": "boolean"},
            }
        )
        self.stages = {n: self.odoo.create("crm.stage", name=n) for n in ("New", "Qualified", "Won")}
        self.lead = self.odoo.create(LEAD, name="oc-watch lead", stage_id=self.stages["New"])
        self.odoo.advance(5)
        self.odoo.install_automation()
        self.conn = fake_connection(transport)
        self.client = fake_client(self.odoo, self.conn)
        self.inputs = {"model": LEAD, "fields": ["name"], **inputs}
        self.posts: list[tuple[str, bytes]] = []
        self.odoo.send_webhook = lambda url, body: self.posts.append((url, body))
        self.state = subscribe(self.conn, self.inputs, URL, client=self.client)

    def write(self, **values: Any) -> None:
        self.odoo.advance(2)
        self.odoo.write(LEAD, self.lead, **values)

    def deliver(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        posts, self.posts = self.posts, []
        for url, body in posts:
            result = receive(self.conn, self.state, {"url": url, "body": body}, client=self.client)
            self.state = result["state"]
            for branch, rows in result["data"].items():
                out.setdefault(branch, []).extend(rows)
        return {b: rows for b, rows in out.items() if rows}

    def reconcile(self) -> dict[str, list[dict[str, Any]]]:
        result = invoke("recordWebhookTrigger", self.conn, self.inputs, state=self.state, client=self.client)
        self.state = result["state"]
        return {b: rows for b, rows in result["data"].items() if rows}


@pytest.fixture(params=["json2", "jsonrpc"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_change_rule_triggers_on_the_watched_fields_only(transport: str) -> None:
    sub = Subscribed(transport, {"watchFields": ["stage_id"]})
    change_rule = next(r for r in sub.odoo.rules() if r["trigger"] == "on_create_or_write")
    fields = sub.odoo.tables["ir.model.fields"]
    assert [fields[i]["name"] for i in change_rule["trigger_field_ids"]] == ["stage_id"]
    sub.write(expected_revenue=100.0)
    assert sub.posts == []  # Odoo posts nothing for another field
    sub.write(stage_id=sub.stages["Won"])
    assert len(sub.posts) == 1
    emitted = sub.deliver()
    [record] = emitted["updated"]
    assert record["changes"] == {
        "stage_id": {
            "old": {"id": sub.stages["New"], "name": "New"},  # from the values read at subscribe
            "new": {"id": sub.stages["Won"], "name": "Won"},
        }
    }
    assert sub.reconcile() == {}  # the poll knows the webhook emitted it


def test_to_filters_posts_and_old_is_what_was_last_seen(transport: str) -> None:
    sub = Subscribed(transport, {"watchFields": ["stage_id"], "to": {"stage_id": "Won"}})
    sub.write(stage_id=sub.stages["Qualified"])
    assert sub.deliver() == {}  # posted by Odoo, not to Won: nothing emitted
    sub.write(stage_id=sub.stages["Won"])
    [record] = sub.deliver()["updated"]
    assert record["changes"]["stage_id"]["old"] == {"id": sub.stages["Qualified"], "name": "Qualified"}


def test_a_lost_post_is_emitted_by_the_reconciliation_with_its_changes(transport: str) -> None:
    sub = Subscribed(transport, {"watchFields": ["stage_id"]})
    sub.odoo.drop_webhooks(1)
    sub.write(stage_id=sub.stages["Won"])
    assert sub.deliver() == {}
    [record] = sub.reconcile()["updated"]
    assert record["changes"]["stage_id"]["new"] == {"id": sub.stages["Won"], "name": "Won"}


def test_archive_and_restore_through_odoos_archive_rules(transport: str) -> None:
    sub = Subscribed(
        transport, {"watchFields": ["stage_id"], "showArchivedRecords": True, "showUnarchivedRecords": True}
    )
    triggers = sorted(r["trigger"] for r in sub.odoo.rules())
    assert triggers == ["on_archive", "on_create_or_write", "on_unarchive", "on_unlink"]
    sub.write(active=False)
    assert [json.loads(body)["id"] for _, body in sub.posts] == [sub.lead]  # the archive rule alone
    assert "event=archive" in sub.posts[0][0]
    assert [r["id"] for r in sub.deliver()["archived"]] == [sub.lead]
    sub.write(active=True)
    assert [r["id"] for r in sub.deliver()["unarchived"]] == [sub.lead]
    assert sub.reconcile() == {}

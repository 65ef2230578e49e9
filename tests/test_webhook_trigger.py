"""recordWebhookTrigger's subscription against a real Odoo 19 (replayed from cassettes): the
rules and actions an administrator's subscribe creates, the reconciliation poll on them, and an
unsubscribe that leaves nothing behind; an ordinary user's refusal."""

from __future__ import annotations

import ast

import pytest

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.errors import AccessDeniedError
from odoo_connector.triggers.webhook import exists, subscribe, unsubscribe

pytestmark = pytest.mark.recordable

URL = "https://hooks.example.com/odoo"


def test_subscribe_as_administrator_creates_the_rules_and_unsubscribe_removes_them(admin_conn, prefix):
    inputs = {
        "model": "res.partner",
        "fields": ["name", "email"],
        "domain": [["name", "=like", f"{prefix} Hook %"]],
    }
    client = make_client(parse_connection(admin_conn))
    state = subscribe(admin_conn, inputs, URL)
    try:
        rules = client.call(
            "base.automation", "read", state["ruleIds"], fields=["name", "trigger", "filter_domain", "active"]
        )
        actions = client.call(
            "ir.actions.server",
            "read",
            state["actionIds"],
            fields=["name", "state", "usage", "webhook_url", "webhook_field_ids"],
        )
        fields = client.call("ir.model.fields", "read", actions[0]["webhook_field_ids"], fields=["name"])
        # The reconciliation poll of a fresh subscription finds nothing to emit.
        polled = invoke("recordWebhookTrigger", admin_conn, inputs, state=state, client=client)
    finally:
        removed = unsubscribe(admin_conn, state)
    assert [(r["name"], r["trigger"], r["active"]) for r in rules] == [
        ("odoo-connector: res.partner → hooks.example.com", "on_create_or_write", True),
        ("odoo-connector: res.partner → hooks.example.com (deleted)", "on_unlink", True),
    ]
    assert [ast.literal_eval(r["filter_domain"]) for r in rules] == [inputs["domain"]] * 2
    assert [(a["state"], a["usage"]) for a in actions] == [("webhook", "base_automation")] * 2
    assert [a["webhook_url"].split("&")[-1] for a in actions] == ["event=change", "event=delete"]
    assert all(a["webhook_url"].startswith(f"{URL}?token=ocwh_") for a in actions)
    assert sorted(f["name"] for f in fields) == ["create_date", "email", "name", "write_date"]
    assert polled["data"] == {"created": [], "updated": [], "deleted": []}
    assert polled["polledNoChanges"] is True
    assert removed == {"ruleIds": state["ruleIds"], "actionIds": state["actionIds"]}
    assert client.call("base.automation", "search", domain=[["id", "in", state["ruleIds"]]]) == []
    assert client.call("ir.actions.server", "search", domain=[["id", "in", state["actionIds"]]]) == []
    assert unsubscribe(admin_conn, state) == {"ruleIds": [], "actionIds": []}
    client.close()


def test_subscribe_as_ordinary_user_is_refused_and_suggests_polling(conn):
    with pytest.raises(AccessDeniedError) as caught:
        subscribe(conn, {"model": "res.partner"}, URL)
    assert caught.value.message == (
        "Odoo refused to create the automation rules that send res.partner's webhooks: You are not "
        "allowed to access 'Automation Rule' (base.automation) records.\n\nThis operation is allowed "
        "for the following groups:\n\t- Role / Administrator\n\nContact your administrator to request "
        "access if necessary."
    )
    assert caught.value.groups == ["Role / Administrator"]
    assert "recordWebhookTrigger" not in caught.value.hint and "pollChangesTrigger" in caught.value.hint


def test_exists_says_whether_the_rules_still_post(admin_conn, prefix):
    """After a crash a platform asks exists() (n8n's checkExists): true while every rule is there
    and active; false once someone archives one in Odoo (it posts nothing) or it is deleted."""
    inputs = {"model": "res.partner", "fields": ["name"], "domain": [["name", "=like", f"{prefix} Exists %"]]}
    client = make_client(parse_connection(admin_conn))
    state = subscribe(admin_conn, inputs, URL)
    try:
        assert exists(admin_conn, state) == {"exists": True, "missingRuleIds": [], "missingActionIds": []}
        archived = state["ruleIds"][1]
        client.call("base.automation", "write", [archived], vals={"active": False})
        assert exists(admin_conn, state) == {
            "exists": False,
            "missingRuleIds": [archived],
            "missingActionIds": [],
        }
    finally:
        client.call("base.automation", "write", state["ruleIds"], vals={"active": True})
        unsubscribe(admin_conn, state)
    assert exists(admin_conn, state)["exists"] is False  # deleted: nothing left to post
    client.close()

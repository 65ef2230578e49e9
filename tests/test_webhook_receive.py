"""recordWebhookTrigger without a server: the receiver on bodies a real Odoo 19 posted, and the
stateful fake for what a recording cannot show (lost posts, repeated posts, the poll seeing a
change before its webhook arrives, rights). ``receive`` is the platform's lifecycle function: it
reads each posted record back from Odoo (the fake) before emitting it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.errors import AccessDeniedError, InputError, NotFoundError, redact
from odoo_connector.manifest import load_manifest, validate_manifest
from odoo_connector.triggers.dedupe import second
from odoo_connector.triggers.webhook import Unauthorized, subscribe, unsubscribe
from odoo_connector.triggers.webhook_posts import receive
from tests.fakes import FakeOdoo, fake_client, fake_connection

BODIES = json.loads((Path(__file__).parent / "fixtures" / "webhook_bodies.json").read_text())["posts"]
URL = "https://hooks.example.com/odoo"
MODEL = "res.partner"


class Subscribed:
    """A fake Odoo with Automation Rules, one subscription, and Odoo's posts kept in a queue so a
    test decides when (and whether) they reach the receiver."""

    def __init__(self, transport: str = "json2", inputs: dict[str, Any] | None = None) -> None:
        self.odoo = FakeOdoo()
        self.odoo.install_automation()
        self.conn = fake_connection(transport)
        self.client = fake_client(self.odoo, self.conn)
        self.inputs = {"model": MODEL, "fields": ["name", "email"], **(inputs or {})}
        self.posts: list[tuple[str, bytes]] = []
        self.odoo.send_webhook = lambda url, body: self.posts.append((url, body))
        self.state = subscribe(self.conn, self.inputs, URL, client=self.client)
        self.emitted: Counter[tuple[str, int]] = Counter()

    def deliver(self) -> list[tuple[str, int]]:
        """Hands every queued post to the receiver; returns what it emitted, in order."""
        out = []
        posts, self.posts = self.posts, []
        for url, body in posts:
            result = receive(
                self.conn, self.state, {"url": url, "body": body}, self.inputs, client=self.client
            )
            self.state = result["state"]
            out += [(branch, r["id"]) for branch, rows in result["data"].items() for r in rows]
        self.emitted.update(out)
        return out

    def reconcile(self) -> list[tuple[str, int]]:
        result = invoke("recordWebhookTrigger", self.conn, self.inputs, state=self.state, client=self.client)
        self.state = result["state"]
        out = [(branch, r["id"]) for branch, rows in result["data"].items() for r in rows]
        self.emitted.update(out)
        return out


def _recorded(token: str) -> list[dict[str, Any]]:
    """The recorded posts, each with this subscription's secret in its URL."""
    return [{"query": f"token={token}&event={p['event']}", "body": p["body"].encode()} for p in BODIES]


def _subscribed(monkeypatch: pytest.MonkeyPatch) -> tuple[Subscribed, str]:
    monkeypatch.setattr("secrets.token_urlsafe", lambda n: "recorded-secret-0123456789abcdef")
    return Subscribed(), "ocwh_recorded-secret-0123456789abcdef"


def _as_odoo_has_it(odoo: FakeOdoo, request: dict[str, Any]) -> None:
    """Puts the fake in the state the real Odoo was in when it sent ``request``."""
    body = json.loads(request["body"])
    if request["query"].endswith("event=delete"):
        odoo.tables[MODEL].pop(body["id"], None)
        return
    odoo.tables[MODEL][body["id"]] = {
        "id": body["id"],
        "name": body["name"],
        "email": body["email"],
        "create_date": second(body["create_date"]),
        "write_date": second(body["write_date"]),
    }


def _reads(odoo: FakeOdoo) -> int:
    return sum(1 for model, method in odoo.calls if model == MODEL and method in ("read", "search_read"))


# --- the receiver on what a real Odoo posted ---------------------------------------------------


def test_recorded_posts_emit_each_change_once_and_copies_cost_no_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """13 identical posts of one create, two copies of each write (two of them in one second, told
    apart only by microseconds), one deletion: 1 created, 3 updated, 1 deleted, each read back
    from Odoo once; a copy of a change already emitted is dropped without a request."""
    sub, token = _subscribed(monkeypatch)
    before = _reads(sub.odoo)
    emitted = []
    for request in _recorded(token):
        _as_odoo_has_it(sub.odoo, request)
        result = receive(sub.conn, sub.state, request, client=sub.client)
        sub.state = result["state"]
        emitted += [(b, r["id"], r.get("email")) for b, rows in result["data"].items() for r in rows]
    assert emitted == [
        ("created", 82863, "a@example.com"),
        ("updated", 82863, "b@example.com"),
        ("updated", 82863, "c@example.com"),
        ("updated", 82863, "d@example.com"),
        ("deleted", 82863, "d@example.com"),
    ]
    assert _reads(sub.odoo) - before == 5
    assert sub.state["deleted"] == {"82863": "2026-12-02 20:55:04.359557"}
    assert sub.state["received"] == {}


def test_a_record_is_emitted_as_odoo_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    sub, token = _subscribed(monkeypatch)
    request = _recorded(token)[0]
    _as_odoo_has_it(sub.odoo, request)
    result = receive(sub.conn, sub.state, request, client=sub.client)
    assert result["data"]["created"] == [
        {
            "id": 82863,
            "name": "oc-capture 1",
            "email": "a@example.com",
            "create_date": "2026-12-02 20:55:00",
            "write_date": "2026-12-02 20:55:00",
        }
    ]
    assert result["state"]["received"] == {"82863": "2026-12-02 20:55:00.456728"}
    assert result["polledNoChanges"] is False


@pytest.mark.parametrize(
    "query", ["event=change", "token=&event=change", "token=ocwh_wrong&event=change", "token=x"]
)
def test_a_post_without_the_secret_is_refused_with_401(monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    sub, _ = _subscribed(monkeypatch)
    before = len(sub.odoo.calls)
    with pytest.raises(Unauthorized) as caught:
        receive(sub.conn, sub.state, {"query": query, "body": BODIES[0]["body"]}, client=sub.client)
    assert caught.value.status_code == 401
    assert caught.value.message == "The webhook request does not carry this subscription's secret."
    assert len(sub.odoo.calls) == before


def test_the_secret_is_never_stored_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    sub, token = _subscribed(monkeypatch)
    result = receive(sub.conn, sub.state, _recorded(token)[0], client=sub.client)
    assert token not in json.dumps(result["state"])
    assert redact(f"posted to {URL}?token={token}&event=change") == (
        f"posted to {URL}?token=<redacted>&event=change"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "The webhook body is not JSON."),
        (b'{"_model": "crm.lead", "id": 1}', "The webhook body is not an Odoo webhook for res.partner."),
        (b'{"_model": "res.partner", "id": 1}', "The webhook body has no record id or write_date."),
        (
            b'{"_model": "res.partner", "id": true, "write_date": "2026-01-01 12:00:00"}',
            "The webhook body has no record id or write_date.",
        ),
    ],
)
def test_a_body_that_is_not_odoos_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch, body: bytes, message: str
) -> None:
    sub, token = _subscribed(monkeypatch)
    before = len(sub.odoo.calls)
    with pytest.raises(InputError) as caught:
        receive(
            sub.conn, sub.state, {"query": f"token={token}&event=change", "body": body}, client=sub.client
        )
    assert caught.value.message == message
    assert len(sub.odoo.calls) == before


def test_a_state_not_written_by_subscribe_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        receive(None, {"version": 1}, {"query": "token=x", "body": b"{}"})
    assert caught.value.message == (
        "The subscription state is not one recordWebhookTrigger wrote: ruleIds is not a list of ids."
    )


# --- subscribe and unsubscribe on the fake --------------------------------------------------------


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_subscribe_creates_two_named_rules_posting_to_the_url_with_a_secret(transport: str) -> None:
    sub = Subscribed(transport, {"domain": [["is_company", "=", True]]})
    rules = sorted(sub.odoo.rules(), key=lambda r: r["id"])
    assert [(r["name"], r["trigger"], r["filter_domain"]) for r in rules] == [
        (
            "odoo-connector: res.partner → hooks.example.com",
            "on_create_or_write",
            "[['is_company', '=', True]]",
        ),
        (
            "odoo-connector: res.partner → hooks.example.com (deleted)",
            "on_unlink",
            "[['is_company', '=', True]]",
        ),
    ]
    actions = sub.odoo.tables["ir.actions.server"]
    assert sorted(actions) == sub.state["actionIds"] and [r["id"] for r in rules] == sub.state["ruleIds"]
    urls = [actions[i]["webhook_url"] for i in sub.state["actionIds"]]
    assert all(u.startswith(f"{URL}?token=ocwh_") for u in urls)
    assert [u.rsplit("&", 1)[1] for u in urls] == ["event=change", "event=delete"]
    field_names = {
        sub.odoo.tables["ir.model.fields"][i]["name"]
        for i in actions[urls and sub.state["actionIds"][0]]["webhook_field_ids"]
    }
    assert field_names == {"name", "email", "create_date", "write_date"}
    assert sub.state["poll"] == {"version": 1, "model": MODEL, "cursor": None, "seen": {}}


def test_unsubscribe_removes_exactly_its_rules_and_is_idempotent() -> None:
    sub = Subscribed()
    other = subscribe(sub.conn, {"model": MODEL}, "https://other.example.com/x", client=sub.client)
    assert unsubscribe(sub.conn, sub.state, client=sub.client) == {
        "ruleIds": sub.state["ruleIds"],
        "actionIds": sub.state["actionIds"],
    }
    assert sorted(r["id"] for r in sub.odoo.rules()) == other["ruleIds"]
    assert sorted(sub.odoo.tables["ir.actions.server"]) == other["actionIds"]
    assert unsubscribe(sub.conn, sub.state, client=sub.client) == {"ruleIds": [], "actionIds": []}


def test_an_ordinary_user_is_told_to_use_an_administrator_or_the_poll_trigger() -> None:
    odoo = FakeOdoo()
    odoo.install_automation()
    odoo.automation_allowed = False
    conn = fake_connection("json2")
    with pytest.raises(AccessDeniedError) as caught:
        subscribe(conn, {"model": MODEL}, URL, client=fake_client(odoo, conn))
    assert caught.value.message.startswith(
        "Odoo refused to create the automation rules that send res.partner's webhooks: You are not "
        "allowed to access 'base.automation' records."
    )
    assert caught.value.groups == ["Role / Administrator"]
    assert caught.value.hint == (
        "Use a connection of a user with Role / Administrator, or use pollChangesTrigger instead: it "
        "polls, and needs no administrator rights and no module."
    )
    assert odoo.rules() == []


def test_without_automation_rules_installed_the_error_names_the_module() -> None:
    odoo = FakeOdoo()
    conn = fake_connection("xmlrpc")
    with pytest.raises(NotFoundError) as caught:
        subscribe(conn, {"model": MODEL}, URL, client=fake_client(odoo, conn))
    assert caught.value.message == (
        "The Odoo module Automation Rules (base_automation) is not installed, so Odoo cannot send webhooks."
    )
    assert caught.value.hint == (
        "Install Automation Rules under Apps, or use pollChangesTrigger instead: it polls, and needs "
        "no administrator rights and no module."
    )


def test_a_field_the_model_lacks_is_refused_before_any_rule_exists() -> None:
    odoo = FakeOdoo()
    odoo.install_automation()
    conn = fake_connection("json2")
    with pytest.raises(InputError) as caught:
        subscribe(conn, {"model": MODEL, "fields": ["name", "vat"]}, URL, client=fake_client(odoo, conn))
    assert caught.value.message == "The model res.partner has no field(s) vat."
    assert odoo.rules() == []


# --- loss and duplication -----------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_repeated_posts_emit_each_change_once(transport: str) -> None:
    sub = Subscribed(transport)
    sub.odoo.webhook_copies = 13
    a = sub.odoo.create(MODEL, name="A")
    assert sub.deliver() == [("created", a)]
    sub.odoo.advance(0.4)
    sub.odoo.write(MODEL, a, email="a@example.com")  # the same second: told apart by microseconds
    assert sub.deliver() == [("updated", a)]
    sub.odoo.advance(2)
    b = sub.odoo.create(MODEL, name="B")
    assert sub.deliver() == [("created", b)]
    sub.odoo.advance(1)
    sub.odoo.unlink(MODEL, b)
    assert len(sub.odoo.webhooks_sent) == 13 * 4
    assert sub.deliver() == [("deleted", b)]
    sub.odoo.advance(1)
    assert sub.reconcile() == []  # the poll finds a, already emitted; b is gone


def test_posts_delivered_late_emit_the_records_as_they_are_now() -> None:
    """Posts that wait (a batch, a slow receiver) are read back when they are handled: a record
    written three times is emitted once, in its latest state; one created and deleted meanwhile
    only as deleted. Intermediate states are not emitted, and nothing is emitted twice."""
    sub = Subscribed()
    sub.odoo.webhook_copies = 2
    a = sub.odoo.create(MODEL, name="A")
    b = sub.odoo.create(MODEL, name="B")
    for n in range(3):
        sub.odoo.advance(1)
        sub.odoo.write(MODEL, a, email=f"{n}@example.com")
    sub.odoo.unlink(MODEL, b)
    result = receive(
        sub.conn, sub.state, {"url": sub.posts[0][0], "body": sub.posts[0][1]}, client=sub.client
    )
    assert [r["email"] for r in result["data"]["created"]] == ["2@example.com"]
    sub.state = result["state"]
    sub.posts = sub.posts[1:]
    assert sub.deliver() == [("deleted", b)]
    sub.odoo.advance(1)
    assert sub.reconcile() == []


def test_lost_posts_are_emitted_by_the_reconciliation_poll_and_nothing_twice() -> None:
    sub = Subscribed()
    ids = [sub.odoo.create(MODEL, name=f"P{i}") for i in range(5)]
    assert sub.deliver() == [("created", i) for i in ids]
    sub.odoo.drop_webhooks(2)  # the receiver was down for these two
    sub.odoo.advance(2)
    sub.odoo.write(MODEL, ids[0], email="x@example.com")
    sub.odoo.write(MODEL, ids[1], email="y@example.com")
    sub.odoo.write(MODEL, ids[2], email="z@example.com")
    assert sub.deliver() == [("updated", ids[2])]
    sub.odoo.advance(1)
    assert sorted(sub.reconcile()) == [("updated", ids[0]), ("updated", ids[1])]
    assert sub.reconcile() == []
    assert set(sub.emitted.values()) == {1}


def test_a_change_the_poll_emitted_first_is_not_emitted_again_by_its_late_post() -> None:
    sub = Subscribed()
    a = sub.odoo.create(MODEL, name="A")
    sub.odoo.advance(1)
    assert sub.reconcile() == [("created", a)]
    assert sub.deliver() == []


def test_branches_can_be_switched_off() -> None:
    sub = Subscribed(inputs={"showNewRecords": False, "showDeletedRecords": False})
    a = sub.odoo.create(MODEL, name="A")
    assert sub.deliver() == []
    sub.odoo.advance(1)
    sub.odoo.write(MODEL, a, email="a@example.com")
    assert sub.deliver() == [("updated", a)]
    sub.odoo.unlink(MODEL, a)
    assert sub.deliver() == []


def test_the_branches_chosen_at_subscribe_hold_for_receive_without_inputs() -> None:
    """A platform calls receive(connection, state, request): the show… inputs, the fields and the
    domain travel in the state."""
    sub = Subscribed(inputs={"showUpdatedRecords": False, "domain": [["is_company", "=", False]]})
    assert sub.state["branches"] == ["created", "deleted"]
    assert (sub.state["fields"], sub.state["domain"]) == (["name", "email"], [["is_company", "=", False]])
    emitted = []

    def deliver() -> None:
        for url, body in sub.posts:
            result = receive(sub.conn, sub.state, {"url": url, "body": body}, client=sub.client)
            sub.state = result["state"]
            emitted.extend(
                (branch, r["id"], sorted(r)) for branch, rows in result["data"].items() for r in rows
            )
        sub.posts.clear()

    a = sub.odoo.create(MODEL, name="A")
    deliver()
    sub.odoo.advance(1)
    sub.odoo.write(MODEL, a, email="a@example.com")
    deliver()
    sub.odoo.unlink(MODEL, a)
    deliver()
    fields = ["create_date", "email", "id", "name", "write_date"]
    assert emitted == [("created", a, fields), ("deleted", a, fields)]


def test_reconcile_without_a_subscription_says_to_subscribe() -> None:
    odoo = FakeOdoo()
    conn = fake_connection("json2")
    with pytest.raises(InputError) as caught:
        invoke("recordWebhookTrigger", conn, {"model": MODEL}, client=fake_client(odoo, conn))
    assert caught.value.message == (
        "recordWebhookTrigger polls only a subscription: subscribe first and pass its state."
    )


# --- the manifest declares the lifecycle ------------------------------------------------------------


def test_the_lifecycle_is_declared_and_checked() -> None:
    unit = load_manifest().unit("recordWebhookTrigger")
    assert unit.lifecycle is not None
    assert unit.load_lifecycle("receive") is receive
    broken = unit.model_copy(
        update={
            "lifecycle": unit.lifecycle.model_copy(
                update={"receive": "odoo_connector.triggers.webhook:nothing"}
            )
        }
    )
    manifest = load_manifest().model_copy(update={"triggers": [broken]})
    problems = [p for p in validate_manifest(manifest) if "lifecycle" in p]
    assert len(problems) == 1
    assert problems[0].startswith(
        "connector.yaml: trigger recordWebhookTrigger: $.lifecycle.receive: "
        "'odoo_connector.triggers.webhook:nothing' does not import:"
    )


# --- recordings hold no subscription secret ---------------------------------------------------------


def test_the_recording_scrubber_replaces_a_subscription_secret_in_json_and_xml_rpc() -> None:
    import xmlrpc.client

    from tests.conftest import WEBHOOK_SECRET_PLACEHOLDER, scrub_webhook_secrets

    secret = "ocwh_" + "Abc-123_x" * 4
    json_body = json.dumps({"webhook_url": f"{URL}?token={secret}&event=change"}).encode()
    assert json.loads(scrub_webhook_secrets(json_body)) == {
        "webhook_url": f"{URL}?token={WEBHOOK_SECRET_PLACEHOLDER}&event=change"
    }
    xml_body = xmlrpc.client.dumps(({"webhook_url": f"{URL}?token={secret}&event=delete"},), "execute_kw")
    params, _ = xmlrpc.client.loads(scrub_webhook_secrets(xml_body))
    assert params[0]["webhook_url"] == f"{URL}?token={WEBHOOK_SECRET_PLACEHOLDER}&event=delete"


def test_the_recorded_subscriptions_hold_only_the_placeholder_secret() -> None:
    import re

    cassettes = sorted((Path(__file__).parent / "cassettes" / "webhook_trigger").glob("*.yaml"))
    found = {m for path in cassettes for m in re.findall(r"ocwh_[A-Za-z0-9_-]+", path.read_text())}
    assert len(cassettes) >= 4  # subscribe as admin and as ordinary user, both transports, and more
    assert found == {"ocwh_WEBHOOK_SECRET"}

"""Writes whose answer is lost (Odoo ran them, then the connection timed out) against the stateful
fake Odoo, on both transports: nothing is undone that Odoo may have done, nothing is sent twice,
and the error says what may exist and where to look, in the batch actions' words, with a hint
that does not invite a retry."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.actions.batch_rows import NO_ANSWER_HINT
from odoo_connector.errors import TransportError

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo()


@pytest.fixture(params=["json2", "xmlrpc"])
def client(request: pytest.FixtureRequest, fake: FakeOdoo) -> Any:
    client = fake_client(fake, fake_connection(request.param))
    client.session.sleep = lambda seconds: None
    return client


def lose_answer(fake: FakeOdoo, method: str, done: Any = None, *, model: str | None = None) -> None:
    """The next ``method`` call runs ``done`` (what Odoo did), then its answer is lost."""

    def run_then_lose() -> None:
        if done is not None:
            done()
        raise httpx.ReadTimeout("the fake lost the answer after committing")

    fake.on_call(method, run_then_lose, model=model)


def test_a_lost_message_post_keeps_its_attachments_and_says_to_check_the_chatter(fake, client):
    partner = fake.create("res.partner", name="Acme")
    posted: list[int] = []
    lose_answer(fake, "message_post", lambda: posted.append(partner))
    inputs = {
        "model": "res.partner",
        "recordId": partner,
        "body": "Your order shipped",
        "attachments": [{"name": "note.txt", "content": base64.b64encode(b"hello").decode()}],
    }
    with pytest.raises(TransportError) as err:
        invoke("postMessage", CONN, inputs, client=client)
    assert posted == [partner]  # Odoo posted it, with the attachment
    attachments = fake.tables["ir.attachment"]
    assert [a["name"] for a in attachments.values()] == ["note.txt"]  # not deleted
    assert fake.methods().count("message_post") == 1 and "unlink" not in fake.methods()
    assert (
        f"The message on res.partner record {partner} may or may not have been posted: Odoo gave no "
        "answer. Check the record's chatter before sending it again."
    ) in err.value.message
    assert f"(ir.attachment {list(attachments)}) were left in place" in err.value.message
    assert err.value.hint == NO_ANSWER_HINT
    assert "try again" not in err.value.hint.lower()


def test_a_lost_create_record_answer_says_the_record_may_exist_and_is_not_sent_again(fake, client):
    lose_answer(fake, "create", lambda: fake.create("res.partner", name="Acme"), model="res.partner")
    with pytest.raises(TransportError) as err:
        invoke("createRecord", CONN, {"model": "res.partner", "parameters": {"name": "Acme"}}, client=client)
    assert fake.methods().count("create") == 1
    assert len(fake.tables["res.partner"]) == 1  # it was created: a retry would have made two
    assert (
        "The new res.partner record may or may not have been created: Odoo gave no answer. Check "
        "whether it exists before sending it again."
    ) in err.value.message
    assert err.value.hint == NO_ANSWER_HINT


def test_a_lost_upload_answer_says_the_attachment_may_exist(fake, client):
    partner = fake.create("res.partner", name="Acme")
    lose_answer(fake, "create", model="ir.attachment")
    inputs = {
        "model": "res.partner",
        "recordId": partner,
        "fileName": "a.txt",
        "content": base64.b64encode(b"hello").decode(),
    }
    with pytest.raises(TransportError) as err:
        invoke("uploadAttachment", CONN, inputs, client=client)
    assert fake.methods().count("create") == 1
    assert (
        f"The attachment 'a.txt' on res.partner record {partner} may or may not have been created"
    ) in err.value.message
    assert err.value.hint == NO_ANSWER_HINT


def test_a_lost_call_method_answer_says_the_method_may_have_run(fake, client):
    partner = fake.create("res.partner", name="Acme")
    lose_answer(fake, "action_archive")
    inputs = {"model": "res.partner", "method": "action_archive", "recordIds": [partner]}
    with pytest.raises(TransportError) as err:
        invoke("callMethod", CONN, inputs, client=client)
    assert fake.methods().count("action_archive") == 1
    assert (
        "res.partner.action_archive may or may not have been run: Odoo gave no answer." in err.value.message
    )
    assert err.value.hint == NO_ANSWER_HINT


def test_a_lost_upsert_record_answer_by_match_fields_says_the_record_may_have_been_written(fake, client):
    fake.lose_load_answers = 1
    inputs = {
        "model": "res.partner",
        "parameters": {"name": "Ann", "email": "a@x.example"},
        "matchFields": ["email"],
    }
    with pytest.raises(TransportError) as err:
        invoke("upsertRecord", CONN, inputs, client=client)
    assert fake.methods().count("load") == 1
    assert err.value.message.endswith(
        "The record may or may not have been written: Odoo gave no answer. Check it before sending it again."
    )
    assert err.value.hint == NO_ANSWER_HINT

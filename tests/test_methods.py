"""callMethod, runWizard, postMessage and selectMethod over both connections, as an ordinary
internal user, replaying cassettes recorded from a real Odoo 19.

The ``test_recipe_*`` tests are the recipes of docs/recipes.md, run through the command line with
the same inputs (only the ids differ): confirm a quotation, invoice it through the wizard,
validate its delivery (with the backorder wizard), post a note.

What they leave behind on the server, because Odoo forbids deleting it: the validated delivery
orders (done stock moves are permanent) and the archived test product they reference. Orders,
invoices and partners are removed by an administrator after each test (cancelled first), and a
partner that a done delivery still references is archived instead.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.actions.methods import _BY_MODEL, action_records, curated_methods, first_line
from odoo_connector.cli import main
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    OdooValidationError,
    TransportError,
)

pytestmark = pytest.mark.recordable


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    """Invokes a key and checks the envelope against its output schema, as a platform would."""
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], conn: dict[str, Any], *argv: str) -> Any:
    """``odoo-connector --connection FILE …`` as a recipe runs it; returns the parsed stdout."""
    file = tmp_path / "connection.json"
    file.write_text(json.dumps(conn))
    capsys.readouterr()
    status = main([*argv, "--connection", str(file)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


@pytest.fixture
def product(admin_conn: dict[str, Any], prefix: str) -> Iterator[int]:
    """A consumable product the ordinary user can sell (an ordinary user may not create
    product.product: "Products/Create"). Archived afterwards: done moves keep referencing it."""
    product_id = run(
        admin_conn,
        "createRecord",
        model="product.product",
        parameters={"name": f"{prefix} Widget", "type": "consu", "list_price": 10.0},
    )
    yield product_id
    run(
        admin_conn, "updateRecord", model="product.product", recordId=product_id, parameters={"active": False}
    )


@pytest.fixture
def sales(conn: dict[str, Any], admin_conn: dict[str, Any]) -> Iterator[list[tuple[str, int]]]:
    """Records of a sales flow, removed by an administrator afterwards (an ordinary user may not
    delete orders): invoices, then the orders (cancelled first), then the partners (archived when
    a done delivery still references them)."""
    created: list[tuple[str, int]] = []
    yield created
    for model, record_id in created:
        if model == "sale.order":
            order = run(admin_conn, "getRecordById", model=model, recordId=record_id, fields=["invoice_ids"])
            for invoice in order["invoice_ids"]:
                run(admin_conn, "deleteRecordById", model="account.move", recordId=invoice)
            run(admin_conn, "callMethod", model=model, method="action_cancel", recordIds=[record_id])
            run(admin_conn, "deleteRecordById", model=model, recordId=record_id)
    for model, record_id in created:
        if model == "res.partner":
            try:
                run(admin_conn, "deleteRecordById", model=model, recordId=record_id)
            except OdooValidationError:
                run(admin_conn, "updateRecord", model=model, recordId=record_id, parameters={"active": False})


def new_order(
    conn: dict[str, Any], sales: list[tuple[str, int]], prefix: str, product: int, qty: float
) -> int:
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Customer"})
    sales.append(("res.partner", partner))
    order = run(
        conn,
        "createRecord",
        model="sale.order",
        parameters={
            "partner_id": partner,
            "order_line": [[0, 0, {"product_id": product, "product_uom_qty": qty}]],
        },
    )
    sales.insert(0, ("sale.order", order))
    return int(order)


# --- the recipes (docs/recipes.md) ----------------------------------------------------------------

RECIPES = Path(__file__).parent.parent / "docs" / "recipes.md"
# The example ids the recipes are written with, and what each stands for.
EXAMPLE_IDS = {"order": 42, "delivery": 17, "move": 31, "partner": 7}


def _swap(value: Any, ids: dict[int, int]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    return value


def recipe(key: str, nth: int = 0, **ids: int) -> list[str]:
    """The ``nth`` ``odoo-connector run KEY --input '…'`` line of docs/recipes.md as argv, its
    example ids replaced by the test's records: the recipe as written, on this server's data."""
    lines = [
        shlex.split(line)
        for line in RECIPES.read_text().splitlines()
        if line.startswith("odoo-connector run ")
    ]
    found = [words for words in lines if words[2] == key]
    given = json.loads(found[nth][found[nth].index("--input") + 1])
    swapped = _swap(given, {EXAMPLE_IDS[name]: value for name, value in ids.items()})
    return ["run", key, "--input", json.dumps(swapped)]


def test_recipe_confirm_a_quotation(conn, sales, prefix, product, tmp_path, capsys):
    order = new_order(conn, sales, prefix, product, 2)
    confirmed = cli(tmp_path, capsys, conn, *recipe("callMethod", 0, order=order))
    assert confirmed == {"data": {"result": True, "records": None}}
    state = run(conn, "getRecordById", model="sale.order", recordId=order, fields=["state", "invoice_status"])
    assert state == {"id": order, "state": "sale", "invoice_status": "to invoice"}


def test_recipe_invoice_a_sales_order_through_the_wizard(
    conn, sales, prefix, product, transport, tmp_path, capsys
):
    order = new_order(conn, sales, prefix, product, 2)
    cli(tmp_path, capsys, conn, *recipe("callMethod", 0, order=order))
    invoiced = cli(tmp_path, capsys, conn, *recipe("runWizard", 0, order=order))
    after = cli(tmp_path, capsys, conn, *recipe("getRecordById", 0, order=order))["data"]
    assert after["invoice_status"] == "invoiced" and len(after["invoice_ids"]) == 1
    if transport == "json2":
        action = invoiced["data"]["result"]
        assert (action["type"], action["res_model"], action["res_id"]) == (
            "ir.actions.act_window",
            "account.move",
            after["invoice_ids"][0],
        )
        assert invoiced["data"]["records"] == {"model": "account.move", "ids": after["invoice_ids"]}
    else:
        # The action holds a None (its context's default_invoice_payment_term_id), which XML-RPC
        # cannot send: Odoo committed the invoice, then faulted. The order tells the invoice.
        assert invoiced == {"data": {"result": None, "records": None}}


def test_recipe_validate_a_delivery_with_a_backorder(conn, sales, prefix, product, tmp_path, capsys):
    order = new_order(conn, sales, prefix, product, 3)
    cli(tmp_path, capsys, conn, *recipe("callMethod", 0, order=order))
    picking = cli(tmp_path, capsys, conn, *recipe("getRecordById", 1, order=order))["data"]["picking_ids"][0]
    moves = cli(tmp_path, capsys, conn, *recipe("listRecords", 0, delivery=picking))["data"]
    assert moves == [
        {
            "id": moves[0]["id"],
            "product_id": [product, f"{prefix} Widget"],
            "product_uom_qty": 3.0,
            "quantity": 3.0,
        }
    ]
    # only 1 of the 3 units leaves today
    cli(tmp_path, capsys, conn, *recipe("updateRecord", 0, move=moves[0]["id"]))
    asked = cli(tmp_path, capsys, conn, *recipe("callMethod", 1, delivery=picking))
    action = asked["data"]["result"]
    assert asked["data"]["records"] == {"model": "stock.backorder.confirmation", "ids": []}
    assert (action["type"], action["res_model"], action["target"]) == (
        "ir.actions.act_window",
        "stock.backorder.confirmation",
        "new",
    )
    backorder_wizard = recipe("runWizard", 1, delivery=picking)
    # the recipe passes the action's context as it came
    assert json.loads(backorder_wizard[-1])["context"] == action["context"]
    done = cli(tmp_path, capsys, conn, *backorder_wizard)
    assert done == {"data": {"result": True, "records": None}}
    assert (
        run(conn, "getRecordById", model="stock.picking", recordId=picking, fields=["state"])["state"]
        == "done"
    )
    rest = run(
        conn, "listRecords", model="stock.picking", domain=[["backorder_id", "=", picking]], fields=["state"]
    )
    assert [r["state"] for r in rest] == ["assigned"]
    # the backorder holds the other 2 units; validating it whole asks nothing more
    final = cli(tmp_path, capsys, conn, *recipe("callMethod", 1, delivery=rest[0]["id"]))
    assert final == {"data": {"result": True, "records": None}}
    assert run(conn, "getRecordById", model="sale.order", recordId=order, fields=["delivery_status"]) == {
        "id": order,
        "delivery_status": "full",
    }


def test_recipe_post_a_note(conn, cleanup, prefix, tmp_path, capsys):
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Noted"})
    cleanup.append(("res.partner", partner))
    posted = cli(tmp_path, capsys, conn, *recipe("postMessage", 0, partner=partner))
    message_id = posted["data"]
    message = run(
        conn,
        "getRecordById",
        model="mail.message",
        recordId=message_id,
        fields=["body", "message_type", "subtype_id", "model", "res_id", "attachment_ids"],
    )
    assert {k: message[k] for k in ("body", "message_type", "model", "res_id")} == {
        "body": "<p>Called the customer about the delivery.</p>",
        "message_type": "comment",
        "model": "res.partner",
        "res_id": partner,
    }
    assert message["subtype_id"][1] == "Note"
    attachment = run(
        conn,
        "getRecordById",
        model="ir.attachment",
        recordId=message["attachment_ids"][0],
        fields=["name", "datas", "res_model", "res_id"],
    )
    assert attachment == {
        "id": message["attachment_ids"][0],
        "name": "call.txt",
        "datas": "SGVsbG8=",
        "res_model": "res.partner",
        "res_id": partner,
    }


# --- callMethod -------------------------------------------------------------------------------


def test_call_method_that_returns_nothing_is_null_on_both_transports(conn, cleanup, prefix):
    """XML-RPC faults "cannot marshal None" after committing; JSON-2 answers null. Both: null,
    and the partner is archived (once: nothing is retried)."""
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Archive"})
    cleanup.append(("res.partner", partner))
    archived = run(conn, "callMethod", model="res.partner", method="action_archive", recordIds=[partner])
    assert archived == {"result": None, "records": None}
    counted = run(
        conn,
        "callMethod",
        model="res.partner",
        method="search_read",
        kwargs={"domain": [["id", "=", partner]], "fields": ["active"]},
        context={"active_test": False},
    )
    assert counted == {"result": [{"id": partner, "active": False}], "records": None}


def test_call_method_with_positional_args(conn, cleanup, prefix, transport):
    """XML-RPC sends args by position. JSON-2 names them from api_doc, which an ordinary user may
    not read: refused before the method runs, pointing at kwargs."""
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Args"})
    cleanup.append(("res.partner", partner))
    inputs = {"model": "res.partner", "method": "read", "recordIds": [partner], "args": [["name"]]}
    if transport == "xmlrpc":
        assert run(conn, "callMethod", **inputs) == {
            "result": [{"id": partner, "name": f"{prefix} Args"}],
            "records": None,
        }
        return
    with pytest.raises(InputError) as err:
        run(conn, "callMethod", **inputs)
    assert err.value.path == "args"
    assert "Technical Documentation" in err.value.message
    assert "kwargs" in err.value.hint


def test_call_method_with_positional_args_as_admin_names_them_from_api_doc(admin_conn):
    assert run(
        admin_conn, "callMethod", model="res.partner", method="read", recordIds=[3], args=[["id"]]
    ) == {
        "result": [{"id": 3}],
        "records": None,
    }


def test_call_method_access_error_names_the_group(conn):
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "callMethod", model="ir.config_parameter", method="search_count", kwargs={"domain": []})
    assert err.value.groups == ["Role / Administrator"]
    assert "Role / Administrator" in err.value.hint


def test_call_method_context_takes_the_friendly_names(conn, cleanup, prefix):
    """includeArchived is Odoo's active_test, inverted; the runtime translates it for every call."""
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Friendly"})
    cleanup.append(("res.partner", partner))
    run(conn, "callMethod", model="res.partner", method="action_archive", recordIds=[partner])
    count = {"model": "res.partner", "method": "search_count", "kwargs": {"domain": [["id", "=", partner]]}}
    assert run(conn, "callMethod", **count) == {"result": 0, "records": None}
    archived = run(conn, "callMethod", **count, context={"includeArchived": True})
    assert archived == {"result": 1, "records": None}


def test_call_method_unknown_method_is_not_found(conn):
    with pytest.raises(NotFoundError) as err:
        run(conn, "callMethod", model="sale.order", method="no_such_method", recordIds=[1])
    assert "no_such_method" in err.value.message


def test_call_method_refuses_private_and_odd_names_before_sending(conn):
    for name in ("_action_confirm", "action confirm", "a.b", "1x", "__init__"):
        with pytest.raises(InputError) as err:
            invoke("callMethod", conn, {"model": "sale.order", "method": name, "recordIds": [1]})
        assert err.value.path == "method"
        assert "private methods" in err.value.message
    with pytest.raises(InputError) as err:
        invoke("callMethod", conn, {"model": "res.partner", "method": "read", "kwargs": {"context": {}}})
    assert err.value.path == "kwargs"


def test_call_method_of_a_method_odoo_keeps_private_says_it_cannot_be_called_over_the_api(conn):
    """``sudo`` passes the connector's name check but Odoo refuses it remotely (an AccessError):
    no right grants it, so the hint must not send the user to an administrator for one."""
    with pytest.raises(AccessDeniedError) as err:
        invoke("callMethod", conn, {"model": "res.partner", "method": "sudo", "recordIds": [1]})
    assert err.value.message == "Private methods (such as 'res.partner.sudo') cannot be called remotely."
    assert err.value.hint.startswith("This method cannot be called over Odoo's API")
    assert "administrator" not in err.value.hint


@pytest.mark.parametrize(
    ("key", "inputs", "attempts"),
    [
        ("callMethod", {"model": "sale.order", "method": "action_confirm", "recordIds": [42]}, 1),
        (
            "runWizard",
            {
                "wizardModel": "sale.advance.payment.inv",
                "activeModel": "sale.order",
                "activeIds": [42],
                "method": "create_invoices",
            },
            1,
        ),
        ("postMessage", {"model": "res.partner", "recordId": 7, "body": "x"}, 1),
        # a read-only method is the one exception: tried again, as every read is
        ("callMethod", {"model": "sale.order", "method": "search_count", "kwargs": {"domain": []}}, 3),
    ],
    ids=["callMethod", "runWizard", "postMessage", "callMethod-read"],
)
def test_a_call_that_times_out_is_sent_once(conn, monkeypatch, key, inputs, attempts):
    """Odoo may have run the method before the answer was lost: pressing the button again could
    confirm twice or create a second invoice, so the client's policy sends it once."""
    client = make_client(parse_connection(conn))
    client._uid = 2  # logged in already: only the method's own request is counted
    sent: list[str] = []

    def too_slow(method: str, path: str, **kwargs: Any) -> Any:
        sent.append(path)
        raise httpx.ReadTimeout("no answer")

    monkeypatch.setattr(client.session.client, "request", too_slow)
    monkeypatch.setattr(client.session, "sleep", lambda seconds: None)
    with client, pytest.raises(TransportError):
        invoke(key, conn, inputs, client=client)
    assert len(sent) == attempts


def test_action_records_reads_res_id_or_an_id_domain():
    window = {"type": "ir.actions.act_window", "res_model": "account.move"}
    assert action_records({**window, "res_id": 7, "domain": [["id", "in", [1]]]}) == {
        "model": "account.move",
        "ids": [7],
    }
    assert action_records({**window, "res_id": False, "domain": [["id", "in", [7, 8]]]}) == {
        "model": "account.move",
        "ids": [7, 8],
    }
    assert action_records({**window, "domain": "[('id', 'in', [7, 8])]"})["ids"] == [7, 8]
    assert action_records({**window, "domain": [("id", "=", 9)]})["ids"] == [9]
    # a domain with more than the ids, or one Odoo must evaluate, names no records
    assert action_records({**window, "domain": [["id", "in", [7]], ["state", "=", "draft"]]})["ids"] == []
    assert action_records({**window, "domain": "[('partner_id', '=', uid)]"})["ids"] == []
    assert action_records({"type": "ir.actions.client", "tag": "reload"}) is None
    assert action_records(True) is None


def test_first_line_of_a_docstring_is_plain_text():
    doc = '<div class="document">\n\n<p>Set <tt class="docutils">active</tt> to False.</p>\n<p>More.</p>'
    assert first_line(doc) == "Set active to False."
    assert first_line(None) == ""


# --- runWizard --------------------------------------------------------------------------------


def test_run_wizard_with_an_unknown_button_creates_the_wizard_and_reports_not_found(
    conn, sales, prefix, product
):
    order = new_order(conn, sales, prefix, product, 1)
    with pytest.raises(NotFoundError) as err:
        run(
            conn,
            "runWizard",
            wizardModel="sale.advance.payment.inv",
            activeModel="sale.order",
            activeIds=[order],
            method="no_such_button",
        )
    assert "no_such_button" in err.value.message
    # the wizard was created on the order and is left to Odoo's vacuum; the order is untouched
    assert (
        run(conn, "getRecordById", model="sale.order", recordId=order, fields=["state"])["state"] == "draft"
    )


# --- postMessage ------------------------------------------------------------------------------


def test_post_message_notifies_partners(conn, cleanup, prefix):
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Chatter"})
    cleanup.append(("res.partner", partner))
    message_id = run(
        conn,
        "postMessage",
        model="res.partner",
        recordId=partner,
        body="<p>Shipped <b>today</b></p>",
        bodyIsHtml=True,
        partnerIds=[partner],
    )
    message = run(
        conn,
        "getRecordById",
        model="mail.message",
        recordId=message_id,
        fields=["body", "partner_ids", "subtype_id"],
    )
    assert message["body"] == "<p>Shipped <b>today</b></p>"
    assert message["partner_ids"] == [partner]
    assert message["subtype_id"][1] == "Discussions"
    # without bodyIsHtml the body is text: Odoo escapes it
    plain = run(conn, "postMessage", model="res.partner", recordId=partner, body="Size <b> & co")
    shown = run(conn, "getRecordById", model="mail.message", recordId=plain, fields=["body"])
    assert shown == {"id": plain, "body": "<p>Size &lt;b&gt; &amp; co</p>"}


def test_post_message_on_a_model_without_chatter_or_a_missing_record(conn):
    with pytest.raises(OdooValidationError) as err:
        run(conn, "postMessage", model="res.country", recordId=1, body="x")
    assert "res.country has no chatter" in err.value.message
    with pytest.raises(NotFoundError) as missing:
        run(conn, "postMessage", model="res.partner", recordId=2147483000, body="x")
    assert "No res.partner record with id 2147483000" in missing.value.message


def test_post_message_that_fails_removes_its_attachments_again(conn, cleanup, prefix):
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Failed post"})
    cleanup.append(("res.partner", partner))
    with pytest.raises(NotFoundError) as err:
        run(
            conn,
            "postMessage",
            model="res.partner",
            recordId=partner,
            body="x",
            partnerIds=[2147483000],
            attachments=[{"name": "a.txt", "content": "SGVsbG8="}],
        )
    # Odoo's own words: the missing record is the partner to notify, not the one posted on
    assert "res.partner(2147483000,)" in err.value.message
    left = run(
        conn,
        "listRecords",
        model="ir.attachment",
        domain=[["res_model", "=", "res.partner"], ["res_id", "=", partner]],
        fields=["name"],
    )
    assert left == []


def test_post_message_refuses_attachments_that_are_not_base64(conn):
    with pytest.raises(InputError) as err:
        invoke(
            "postMessage",
            conn,
            {
                "model": "res.partner",
                "recordId": 3,
                "body": "x",
                "attachments": [{"name": "a", "content": "no!"}],
            },
        )
    assert err.value.path == "attachments[0].content"


def test_post_message_refuses_an_attachment_over_the_file_limit_before_sending(monkeypatch):
    from odoo_connector.actions import methods

    monkeypatch.setattr(methods, "DEFAULT_MAX_BYTES", 3)  # the limit uploadAttachment uses too
    conn = {"type": "odooApiKey", "baseUrl": "http://127.0.0.1:9", "database": "odoo19", "apiKey": "k" * 40}
    with pytest.raises(InputError) as err:
        invoke(
            "postMessage",
            conn,
            {
                "model": "res.partner",
                "recordId": 3,
                "body": "x",
                "attachments": [{"name": "a", "content": "YWJjZA=="}],
            },
        )
    assert err.value.path == "attachments[0].content"
    assert err.value.message == "The file 'a' is 4 bytes, over the limit of 3 bytes."


# --- selectMethod -----------------------------------------------------------------------------


def test_select_method_for_an_ordinary_user_is_the_curated_list(conn, transport):
    result = invoke("selectMethod", conn, {"model": "stock.picking", "search": "valid"})
    reason = (
        "This page is only accessible to Technical Documentation users."
        if transport == "json2"
        else "Odoo's API documentation (api_doc) is read with an API key: only the odooApiKey "
        "connection can ask for it."
    )
    assert result == {
        "data": [
            {
                "key": "button_validate",
                "label": "button_validate",
                "description": "Validate the transfer; may answer with a backorder wizard.",
            }
        ],
        "truncated": False,
        "source": "curated",
        "reason": reason,
    }
    partner = invoke("selectMethod", conn, {"model": "res.partner", "limit": 3})
    assert [o["key"] for o in partner["data"]] == ["action_archive", "action_unarchive", "activity_schedule"]
    assert partner["truncated"] is True
    with pytest.raises(NotFoundError):
        invoke("selectMethod", conn, {"model": "no.such.model"})


def test_select_method_from_api_doc_and_the_curated_list_exists_there(admin_conn, transport):
    result = run(admin_conn, "selectMethod", model="sale.order", search="action_confirm")
    if transport == "xmlrpc":
        assert [o["key"] for o in result] == ["action_confirm"]
        return
    envelope = invoke("selectMethod", admin_conn, {"model": "sale.order", "search": "action_confirm"})
    assert envelope == {
        "data": [
            {
                "key": "action_confirm",
                "label": "action_confirm",
                "description": "Confirm the given quotation(s) and set their confirmation date.",
            }
        ],
        "truncated": False,
        "source": "api_doc",
    }
    # every curated method is a public method Odoo 19 documents on that model
    with make_client(parse_connection(admin_conn)) as client:
        for model in [*_BY_MODEL, "res.partner"]:
            listed = invoke("selectMethod", admin_conn, {"model": model, "limit": 1000})
            assert listed["source"] == "api_doc" and listed["truncated"] is False
            curated = {o["key"] for o in curated_methods(client, model)}
            assert curated <= {o["key"] for o in listed["data"]}, (model, curated)

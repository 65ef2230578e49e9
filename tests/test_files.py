"""Attachments (upload, list, download) and a record's PDF over both connections, as an ordinary
internal user, replaying cassettes recorded from a real Odoo 19; plus what a cassette cannot show
(bad input refused before any request, a corrupted download, an Odoo without wkhtmltopdf) against
an ``httpx.MockTransport``, and the scrubbing of portal access tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from vcr.request import Request

from odoo_connector import invoke, load_manifest, make_client, parse_connection
from odoo_connector.actions import files
from odoo_connector.cli import main
from odoo_connector.errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    OdooConnectorError,
    OdooValidationError,
    ServerError,
    redact,
)
from tests.conftest import ACCESS_TOKEN_PLACEHOLDER, REPLAY_URL, scrub_request, scrub_response

pytestmark = pytest.mark.recordable


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    """The fake Odoo below (``http://fake.odoo``) is an ``httpx.MockTransport``: its requests
    pass the cassette by, so those tests neither need nor write one."""
    return {**vcr_config, "ignore_hosts": ["fake.odoo"]}


HELLO = b"Hello, attachment!\n"
HELLO_SHA1 = hashlib.sha1(HELLO, usedforsecurity=False).hexdigest()


def sha1(data: bytes) -> str:
    """Odoo's ``checksum``: the SHA-1 of the bytes (an identity, not a security measure)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    """Invokes a key and checks the envelope against its output schema, as a platform would."""
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_partner(conn: dict[str, Any], cleanup: list[tuple[str, int]], name: str) -> int:
    # rawValues: set-up in Odoo's own form, without fields_get (these tests are about files, and
    # their cassettes stay small)
    record_id = int(run(conn, "createRecord", model="res.partner", parameters={"name": name}, rawValues=True))
    cleanup.append(("res.partner", record_id))
    return record_id


def _admin_call(
    admin_conn: dict[str, Any], model: str, method: str, ids: list[int] | None = None, **kw: Any
) -> Any:
    """A call as the administrator, for what an ordinary user may not do (products, invoices). A
    method that returns nothing commits and then faults over XML-RPC ("cannot marshal None"):
    that is done, not failed."""
    with make_client(parse_connection(admin_conn)) as client:
        try:
            return client.call(model, method, ids, **kw)
        except ServerError as exc:
            if "cannot marshal None" in f"{exc.message} {exc.detail}":
                return None
            raise


# --- attachments --------------------------------------------------------------------------------


def test_upload_list_download_round_trip_keeps_the_bytes(conn, cleanup, prefix):
    partner_id = new_partner(conn, cleanup, f"{prefix} Files")
    uploaded = run(
        conn,
        "uploadAttachment",
        model="res.partner",
        recordId=partner_id,
        fileName="hello.txt",
        content=b64(HELLO),
        mimetype="text/plain",
    )
    cleanup.append(("ir.attachment", uploaded["id"]))
    assert uploaded == {
        "id": uploaded["id"],
        "name": "hello.txt",
        "mimetype": "text/plain",
        "size": len(HELLO),
        "checksum": HELLO_SHA1,
    }
    listed = run(conn, "listAttachments", model="res.partner", recordId=partner_id)
    assert listed == [{**uploaded, "createDate": listed[0]["createDate"]}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", listed[0]["createDate"])
    assert "content" not in listed[0]
    downloaded = run(conn, "downloadAttachment", attachmentId=uploaded["id"])
    assert downloaded == {**uploaded, "content": b64(HELLO)}
    assert base64.b64decode(downloaded["content"]) == HELLO


def test_list_attachments_of_a_record_without_files_is_empty(conn, cleanup, prefix):
    partner_id = new_partner(conn, cleanup, f"{prefix} No files")
    assert run(conn, "listAttachments", model="res.partner", recordId=partner_id) == []


def test_upload_to_a_missing_record_is_not_found_and_creates_no_file(conn, cleanup, prefix):
    partner_id = new_partner(conn, cleanup, f"{prefix} Gone")
    run(conn, "deleteRecordById", model="res.partner", recordId=partner_id)
    with pytest.raises(NotFoundError) as err:
        run(
            conn,
            "uploadAttachment",
            model="res.partner",
            recordId=partner_id,
            fileName="orphan.txt",
            content=b64(HELLO),
        )
    assert (
        err.value.message == f"No res.partner record with id {partner_id} (it does not exist or was deleted)."
    )
    with pytest.raises(NotFoundError) as listed:
        run(conn, "listAttachments", model="res.partner", recordId=partner_id)
    assert listed.value.message == err.value.message
    orphans = run(
        conn,
        "listRecords",
        model="ir.attachment",
        domain=[["res_model", "=", "res.partner"], ["res_id", "=", partner_id]],
        fields=["name"],
    )
    assert orphans == []


def test_upload_to_a_record_the_user_may_only_read_names_the_record(conn):
    # every internal user reads their company; only administrators may change it
    with pytest.raises(AccessDeniedError) as err:
        run(
            conn, "uploadAttachment", model="res.company", recordId=1, fileName="logo.txt", content=b64(HELLO)
        )
    assert err.value.message == (
        "This user may not attach files to res.company record 1: Odoo allows it only on records the "
        "user may change. Odoo said: Sorry, you are not allowed to access this document."
    )


def test_download_over_the_limit_names_size_and_limit_and_never_fetches_the_content(
    conn, cleanup, prefix, transport
):
    partner_id = new_partner(conn, cleanup, f"{prefix} Big")
    data = bytes(range(256)) * 8  # 2048 bytes
    uploaded = run(
        conn,
        "uploadAttachment",
        model="res.partner",
        recordId=partner_id,
        fileName="big.bin",
        content=b64(data),
    )
    cleanup.append(("ir.attachment", uploaded["id"]))
    assert (uploaded["size"], uploaded["checksum"]) == (2048, sha1(data))
    sent: list[bytes] = []
    with make_client(parse_connection(conn)) as client:
        client.session.client.event_hooks["request"].append(lambda request: sent.append(request.read()))
        with pytest.raises(InputError) as err:
            invoke(
                "downloadAttachment", conn, {"attachmentId": uploaded["id"], "maxBytes": 1000}, client=client
            )
    assert err.value.message == (
        f"Attachment {uploaded['id']} ('big.bin') is 2048 bytes, over the limit of 1000 bytes (maxBytes)."
    )
    assert err.value.path == "maxBytes"
    assert sent and not any(b"datas" in body for body in sent)  # the size was read, never the content


# --- a record's PDF -----------------------------------------------------------------------------


@pytest.fixture
def product(admin_conn, prefix) -> Iterator[int]:
    """A product to sell: an ordinary user may not create one ("Products/Create")."""
    product_id = int(
        _admin_call(
            admin_conn,
            "product.product",
            "create",
            vals_list=[{"name": f"{prefix} Widget", "list_price": 12.5}],
        )[0]
    )
    yield product_id
    _admin_call(admin_conn, "product.product", "unlink", [product_id])


def test_get_record_pdf_of_a_quotation_is_the_portal_pdf_and_its_token_is_kept_secret(
    conn, admin_conn, cleanup, prefix, product, monkeypatch, tmp_path, capsys
):
    registered: list[str] = []
    real_register = files.register_secret
    monkeypatch.setattr(
        files, "register_secret", lambda *v, **kw: (registered.extend(v), real_register(*v, **kw))[1]
    )
    partner_id = new_partner(conn, cleanup, f"{prefix} PDF customer")
    order_id = int(
        run(
            conn,
            "createRecord",
            model="sale.order",
            parameters={
                "partner_id": partner_id,
                "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 2}]],
            },
            rawValues=True,
        )
    )
    try:
        name = run(conn, "getRecordById", model="sale.order", recordId=order_id, fields=["name"])["name"]
        connection_file = tmp_path / "connection.json"
        connection_file.write_text(json.dumps(conn))
        target = tmp_path / "out" / "quotation.pdf"
        target.parent.mkdir()
        code = main(
            [
                "run",
                "getRecordPdf",
                "--connection",
                str(connection_file),
                "--input",
                json.dumps({"model": "sale.order", "recordId": order_id}),
                "--output",
                str(target),
            ]
        )
        out, err = capsys.readouterr()
    finally:
        _admin_call(admin_conn, "sale.order", "unlink", [order_id])
    assert code == 0, err
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert json.loads(out) == {
        "data": {"fileName": f"Quotation_{name}.pdf", "mimetype": "application/pdf", "size": len(pdf)}
    }
    # the token was registered the moment it arrived, and it is in no output
    assert len(registered) == 1 and registered[0]  # on replay it is the cassette's placeholder
    token = registered[0]
    assert redact(f"?access_token={token}&x") == "?access_token=<redacted>&x"
    assert token not in out and token not in err and "access_token" not in out + err


def test_get_record_pdf_of_an_invoice_returns_its_stored_pdf(conn, admin_conn, cleanup, prefix):
    partner_id = new_partner(conn, cleanup, f"{prefix} Invoiced")
    invoice = _admin_call(
        admin_conn,
        "account.move",
        "create",
        vals_list=[
            {
                "move_type": "out_invoice",
                "partner_id": partner_id,
                "invoice_line_ids": [[0, 0, {"name": f"{prefix} service", "quantity": 1, "price_unit": 10}]],
            }
        ],
    )
    invoice_id = int(invoice[0])
    stored = b"%PDF-1.4\n% the invoice as Odoo generated it\n%%EOF\n"
    try:
        # what Odoo's Send & Print does with the generated PDF
        _admin_call(
            admin_conn,
            "ir.attachment",
            "create",
            vals_list=[
                {
                    "name": "INV_draft.pdf",
                    "datas": b64(stored),
                    "mimetype": "application/pdf",
                    "res_model": "account.move",
                    "res_id": invoice_id,
                    "res_field": "invoice_pdf_report_file",
                }
            ],
        )
        document = run(conn, "getRecordPdf", model="account.move", recordId=invoice_id)
    finally:
        _admin_call(admin_conn, "account.move", "unlink", [invoice_id])
    assert document == {
        "fileName": "INV_draft.pdf",
        "mimetype": "application/pdf",
        "size": len(stored),
        "content": b64(stored),
    }


def test_get_record_pdf_of_a_model_without_portal_document_names_it(conn, cleanup, prefix):
    partner_id = new_partner(conn, cleanup, f"{prefix} No portal")
    with pytest.raises(OdooValidationError) as err:
        run(conn, "getRecordPdf", model="res.partner", recordId=partner_id)
    assert err.value.message == (
        "res.partner has no customer portal document to download as PDF (it has no customer portal)."
    )
    assert "listAttachments" in err.value.hint


def test_get_record_pdf_of_a_missing_record_is_not_found(conn):
    with pytest.raises(NotFoundError) as err:
        run(conn, "getRecordPdf", model="sale.order", recordId=2147480000)
    assert err.value.message == "No sale.order record with id 2147480000 (it does not exist or was deleted)."


# --- what no cassette shows: a fake Odoo behind httpx.MockTransport ------------------------------

FAKE_JSON2 = {"type": "odooApiKey", "baseUrl": "http://fake.odoo", "database": "fake", "apiKey": "k" * 40}
FAKE_XMLRPC = {
    "type": "odooBasicAuth",
    "baseUrl": "http://fake.odoo",
    "database": "fake",
    "username": "u",
    "password": "p" * 20,
}
FAKE_TOKEN = "5d0c2f4e-91aa-4b1e-8a43-0c7e9f2d1b6a"


def fake_odoo(
    answers: dict[str, Any], seen: list[httpx.Request]
) -> Callable[[httpx.Request], httpx.Response]:
    """A fake Odoo answering ``model.method`` from ``answers`` (a value, or an httpx.Response for
    a portal path) over JSON-2 and XML-RPC, recording every request in ``seen``."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path.startswith("/json/2/"):
            model, method = path.split("/")[3:5]
            return httpx.Response(200, json=answers[f"{model}.{method}"])
        if path == "/xmlrpc/2/common":
            return httpx.Response(200, content=xmlrpc.client.dumps((2,), methodresponse=True).encode())
        if path == "/xmlrpc/2/object":
            params, _ = xmlrpc.client.loads(request.content)
            value = answers[f"{params[3]}.{params[4]}"]
            return httpx.Response(
                200, content=xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True).encode()
            )
        answer = answers[path]
        assert isinstance(answer, httpx.Response)
        return answer

    return handle


def fake_invoke(
    conn: dict[str, Any], key: str, inputs: dict[str, Any], answers: dict[str, Any]
) -> tuple[Any, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    with make_client(
        parse_connection(conn), http_transport=httpx.MockTransport(fake_odoo(answers, seen))
    ) as client:
        return invoke(key, conn, inputs, client=client), seen


@pytest.fixture(params=[FAKE_JSON2, FAKE_XMLRPC], ids=["json2", "xmlrpc"])
def fake_conn(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(request.param)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"content": "aGVsbG8"}, "The input 'content' of 'x.txt' is not valid base64"),
        ({"content": "aGV$bG8="}, "The input 'content' of 'x.txt' is not valid base64"),
        ({"content": "aG=sbG8="}, "The input 'content' of 'x.txt' is not valid base64"),
        (
            {"content": b64(b"x" * 101), "maxBytes": 100},
            "The file 'x.txt' is 101 bytes, over the limit of 100 bytes",
        ),
    ],
)
def test_upload_refuses_bad_base64_and_oversized_files_before_any_request(fake_conn, inputs, message):
    with pytest.raises(InputError) as err:
        fake_invoke(
            fake_conn,
            "uploadAttachment",
            {"model": "res.partner", "recordId": 1, "fileName": "x.txt", **inputs},
            {},
        )
    assert err.value.message.startswith(message)
    assert err.value.path in ("content", "maxBytes")


def test_upload_accepts_base64_with_line_breaks_and_sends_it_without(fake_conn):
    answers = {
        "res.partner.read": [{"id": 1, "display_name": "Acme"}],
        "ir.attachment.create": [9],
        "ir.attachment.read": [
            {
                "id": 9,
                "name": "x.txt",
                "mimetype": "text/plain",
                "file_size": len(HELLO),
                "checksum": HELLO_SHA1,
                "type": "binary",
                "url": False,
                "create_date": "2026-12-02 20:00:00",
            }
        ],
    }
    wrapped = "\n".join(re.findall(".{1,8}", b64(HELLO))) + "\n"
    result, seen = fake_invoke(
        fake_conn,
        "uploadAttachment",
        {"model": "res.partner", "recordId": 1, "fileName": "x.txt", "content": wrapped},
        answers,
    )
    assert result["data"] == {
        "id": 9,
        "name": "x.txt",
        "mimetype": "text/plain",
        "size": len(HELLO),
        "checksum": HELLO_SHA1,
    }
    create = next(r for r in seen if b"datas" in r.content)
    assert b64(HELLO).encode() in create.content and b"\\n" not in create.content


def test_download_given_content_that_does_not_match_the_checksum_is_an_error(fake_conn):
    meta = {
        "id": 9,
        "name": "x.txt",
        "mimetype": "text/plain",
        "file_size": len(HELLO),
        "checksum": HELLO_SHA1,
        "type": "binary",
        "url": False,
        "create_date": "2026-12-02 20:00:00",
    }
    answers = {"ir.attachment.read": [{**meta, "datas": b64(HELLO.upper())}]}
    with pytest.raises(ServerError) as err:
        fake_invoke(fake_conn, "downloadAttachment", {"attachmentId": 9}, answers)
    assert err.value.message == (
        f"The content Odoo sent for attachment 9 ('x.txt') does not match the file it stored: "
        f"{len(HELLO)} bytes with SHA-1 {sha1(HELLO.upper())[:12]}…, where Odoo records "
        f"{len(HELLO)} bytes with SHA-1 {HELLO_SHA1[:12]}…. Nothing was returned."
    )


def _portal(response: httpx.Response) -> dict[str, Any]:
    return {
        "sale.order.get_portal_url": f"/my/orders/4?access_token={FAKE_TOKEN}&report_type=pdf&download=true",
        "/my/orders/4": response,
    }


def test_get_record_pdf_sends_neither_api_key_nor_cookie_and_drops_the_cookies_it_gets(fake_conn, caplog):
    caplog.set_level("DEBUG")  # httpx logs each request's URL at INFO
    pdf = b"%PDF-1.4\n%%EOF\n"
    answer = httpx.Response(
        200,
        content=pdf,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": "attachment; filename*=UTF-8''Devis_%C3%A9t%C3%A9_S00004.pdf",
            "Set-Cookie": "session_id=abc; Path=/",
        },
    )
    result, seen = fake_invoke(
        fake_conn, "getRecordPdf", {"model": "sale.order", "recordId": 4}, _portal(answer)
    )
    assert result["data"] == {
        "fileName": "Devis_été_S00004.pdf",
        "mimetype": "application/pdf",
        "size": len(pdf),
        "content": b64(pdf),
    }
    get = seen[-1]
    assert (get.method, get.url.path, get.url.params["access_token"]) == ("GET", "/my/orders/4", FAKE_TOKEN)
    assert get.headers["X-Odoo-Database"] == "fake"
    assert "Authorization" not in get.headers and "Cookie" not in get.headers
    assert redact(FAKE_TOKEN) == "<redacted>"
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("vcr"))  # not vcrpy's
    assert "GET http://fake.odoo/my/orders/4?access_token=<redacted>&report_type=pdf" in logged
    assert FAKE_TOKEN not in logged


def test_get_record_pdf_without_wkhtmltopdf_says_the_administrator_must_install_it(fake_conn):
    page = (
        "<html><head><title>Odoo</title></head><body>Unable to find Wkhtmltopdf on this system. "
        "The PDF can not be created.</body></html>"
    )
    answer = httpx.Response(422, text=page, headers={"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(ServerError) as err:
        fake_invoke(fake_conn, "getRecordPdf", {"model": "sale.order", "recordId": 4}, _portal(answer))
    assert err.value.message == (
        "Odoo cannot make the PDF of sale.order record 4: wkhtmltopdf, the program Odoo renders PDFs with, "
        "is not installed on the Odoo server."
    )
    assert err.value.hint.startswith("The Odoo administrator must install wkhtmltopdf")
    assert err.value.status == 422
    assert FAKE_TOKEN not in str(err.value.to_dict(debug=True))


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            httpx.Response(303, headers={"Location": f"/my?access_token={FAKE_TOKEN}"}),
            NotFoundError,
            "Odoo would not show the PDF of sale.order record 4: its portal page redirected to /my.",
        ),
        (
            httpx.Response(200, text="<html>a portal page</html>", headers={"Content-Type": "text/html"}),
            OdooValidationError,
            "sale.order has no customer portal document to download as PDF (its portal page answers "
            "text/html, not a PDF).",
        ),
        (
            httpx.Response(
                502, text="<html><title>Bad Gateway</title></html>", headers={"Content-Type": "text/html"}
            ),
            ServerError,
            "Odoo answered 502 to the request for the PDF of sale.order record 4: Bad Gateway",
        ),
    ],
)
def test_get_record_pdf_refuses_redirects_and_anything_but_a_pdf(fake_conn, answer, error, message):
    with pytest.raises(error) as err:
        fake_invoke(fake_conn, "getRecordPdf", {"model": "sale.order", "recordId": 4}, _portal(answer))
    assert err.value.message == message
    assert FAKE_TOKEN not in json.dumps(err.value.to_dict(debug=True))


def test_get_record_pdf_refuses_a_portal_link_to_another_host(fake_conn):
    answers = {"sale.order.get_portal_url": f"//evil.example/my/orders/4?access_token={FAKE_TOKEN}"}
    with pytest.raises(OdooConnectorError) as err:
        fake_invoke(fake_conn, "getRecordPdf", {"model": "sale.order", "recordId": 4}, answers)
    assert "not a page of this server" in err.value.message


def test_output_writes_the_bytes_and_prints_the_rest(monkeypatch, tmp_path, capsys):
    pdf = b"%PDF-1.4\n%%EOF\n"
    envelope = {
        "data": {"fileName": "a.pdf", "mimetype": "application/pdf", "size": len(pdf), "content": b64(pdf)}
    }
    monkeypatch.setattr("odoo_connector.runtime.invoke", lambda *a, **k: envelope)
    connection = tmp_path / "c.json"
    connection.write_text(json.dumps(FAKE_JSON2))
    target = tmp_path / "a.pdf"
    code = main(
        [
            "run",
            "getRecordPdf",
            "--connection",
            str(connection),
            "--input",
            '{"model": "sale.order", "recordId": 4}',
            "--output",
            str(target),
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    assert target.read_bytes() == pdf
    assert json.loads(out) == {"data": {"fileName": "a.pdf", "mimetype": "application/pdf", "size": len(pdf)}}
    assert {p.name for p in tmp_path.iterdir()} == {"c.json", "a.pdf"}  # no temporary file left


def test_output_leaves_an_existing_file_as_it_was_when_the_action_fails(monkeypatch, tmp_path, capsys):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotFoundError("No ir.attachment record with id 42.")

    monkeypatch.setattr("odoo_connector.runtime.invoke", refuse)
    connection = tmp_path / "c.json"
    connection.write_text(json.dumps(FAKE_JSON2))
    target = tmp_path / "kept.bin"
    target.write_bytes(b"the previous download")
    argv = ["run", "downloadAttachment", "--connection", str(connection), "--input", '{"attachmentId": 42}']
    assert main([*argv, "--output", str(target)]) == 4
    assert main([*argv, "--output", str(tmp_path)]) == 2  # a directory is refused before any call
    _, err = capsys.readouterr()
    assert json.loads(err.strip().splitlines()[-1])["error"]["message"] == (
        f"--output {str(tmp_path)!r} is a directory; name the file to write."
    )
    assert target.read_bytes() == b"the previous download"
    assert {p.name for p in tmp_path.iterdir()} == {"c.json", "kept.bin"}


def test_output_is_refused_for_an_action_without_file_content(tmp_path, capsys):
    connection = tmp_path / "c.json"
    connection.write_text(json.dumps(FAKE_JSON2))
    code = main(
        [
            "run",
            "listAttachments",
            "--connection",
            str(connection),
            "--input",
            '{"model": "res.partner", "recordId": 1}',
            "--output",
            str(tmp_path / "x"),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert json.loads(err.strip().splitlines()[-1])["error"]["message"] == (
        "--output writes the file of an action whose result has base64 content (downloadAttachment, "
        "getRecordPdf, exportRecords), not of listAttachments."
    )
    assert not (tmp_path / "x").exists()


# --- access tokens never reach a cassette -------------------------------------------------------

CASSETTES = Path(__file__).parent / "cassettes"
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_TOKEN_VALUE = re.compile(r"access_token=([^&#\"'\s\\]+)")
_ALLOWED = {ACCESS_TOKEN_PLACEHOLDER, "&lt;ACCESS_TOKEN&gt;"}


def scan_for_tokens(path: Path) -> list[str]:
    """Portal access tokens left in one cassette: an ``access_token=`` value other than the
    placeholder, or anything shaped like Odoo's tokens (a UUID)."""
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.name}: access_token={v}" for v in _TOKEN_VALUE.findall(text) if v not in _ALLOWED]
    problems += [f"{path.name}: token-shaped {m.group(0)[:8]}…" for m in _UUID.finditer(text)]
    return problems


def test_no_cassette_holds_a_portal_access_token():
    cassettes = sorted(CASSETTES.rglob("*.yaml"))
    assert any("getRecordPdf" in p.read_text() or "get_portal_url" in p.read_text() for p in cassettes)
    assert [problem for path in cassettes for problem in scan_for_tokens(path)] == []


def test_token_scanner_finds_a_planted_token(tmp_path):
    source = next(p for p in sorted(CASSETTES.rglob("*.yaml")) if ACCESS_TOKEN_PLACEHOLDER in p.read_text())
    leaked = tmp_path / source.name
    leaked.write_text(source.read_text().replace(ACCESS_TOKEN_PLACEHOLDER, FAKE_TOKEN, 1))
    assert scan_for_tokens(leaked) != []


def test_scrubbing_replaces_access_tokens_in_uris_answers_and_fields():
    request = Request(
        "GET", f"http://127.0.0.1:8069/my/orders/3?access_token={FAKE_TOKEN}&report_type=pdf", b"", {}
    )
    scrub_request(request)
    assert request.uri == f"{REPLAY_URL}/my/orders/3?access_token={ACCESS_TOKEN_PLACEHOLDER}&report_type=pdf"
    replayed = Request(
        "GET", f"{REPLAY_URL}/my/orders/3?access_token=%3CACCESS_TOKEN%3E&report_type=pdf", b"", {}
    )
    assert scrub_request(replayed).uri == request.uri  # what the client sends on replay matches

    url = f"/my/orders/3?access_token={FAKE_TOKEN}&report_type=pdf&download=true"
    json_answer = {
        "headers": {"Content-Type": ["application/json"], "Location": [url]},
        "body": {"string": json.dumps([url, {"access_token": FAKE_TOKEN}]).encode()},
    }
    scrubbed = scrub_response(json_answer)
    assert json.loads(scrubbed["body"]["string"]) == [
        f"/my/orders/3?access_token={ACCESS_TOKEN_PLACEHOLDER}&report_type=pdf&download=true",
        {"access_token": ACCESS_TOKEN_PLACEHOLDER},
    ]
    assert FAKE_TOKEN not in json.dumps(scrubbed["headers"])

    xml_answer = {
        "headers": {"Content-Type": ["text/xml"]},
        "body": {
            "string": xmlrpc.client.dumps(
                ([url, {"access_token": FAKE_TOKEN}],), methodresponse=True
            ).encode()
        },
    }
    body = scrub_response(xml_answer)["body"]["string"]
    (value,), _ = xmlrpc.client.loads(body)
    assert value == [
        f"/my/orders/3?access_token={ACCESS_TOKEN_PLACEHOLDER}&report_type=pdf&download=true",
        {"access_token": ACCESS_TOKEN_PLACEHOLDER},
    ]
    assert scrub_response(xml_answer)["body"]["string"] == body  # twice changes nothing


def test_a_recorded_pdf_cassette_replays_small_enough():
    sizes = {p.name: p.stat().st_size for p in (CASSETTES / "files").glob("*.yaml")}
    assert sizes and max(sizes.values()) < 300_000, sizes
    pdf_cassettes = [yaml.safe_load(p.read_text()) for p in (CASSETTES / "files").glob("*quotation*.yaml")]
    assert len(pdf_cassettes) == 2

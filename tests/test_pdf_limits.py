"""getRecordPdf holds no more than ``maxBytes`` of a document: an invoice's stored PDF is refused
from its size before its content is read (the stateful fake Odoo), and a portal PDF from its
Content-Length before its body is read, or while it streams when the length is missing (hostile
loopback servers behind the fake's JSON-2 and XML-RPC)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.errors import InputError

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD
from .fakes.server import Request, serve

PORTAL = "/my/orders/4"
TOKEN = "0f3c2a9e-5b7d-4e11-9a2c-7d1e6b3f8a20"


class PortalOdoo(FakeOdoo):
    """The fake plus sale.order's portal link and account.move's stored invoice PDF."""

    def __init__(self) -> None:
        super().__init__()
        self.add_model("sale.order", {})
        self.add_model("account.move", {"invoice_pdf_report_id": "many2one"})

    def _m_get_portal_url(self, model: str, report_type: str = "", download: bool = False) -> str:
        return f"{PORTAL}?access_token={TOKEN}&report_type={report_type}&download={str(download).lower()}"


def connection(url: str, transport: str) -> dict[str, Any]:
    if transport == "json2":
        return {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
    return {
        "type": "odooBasicAuth",
        "baseUrl": url,
        "database": DATABASE,
        "username": LOGIN,
        "password": PASSWORD,
    }


@contextmanager
def portal_server(fake: FakeOdoo, document: Callable[[Request], None]) -> Iterator[str]:
    """The fake Odoo on a loopback port, whose portal page answers through ``document``."""
    lock = threading.Lock()

    def respond(request: Request) -> tuple[int, dict[str, str], bytes] | None:
        if request.path.startswith(PORTAL):
            document(request)
            return None
        outgoing = httpx.Request(
            request.method, f"http://fake.test{request.path}", headers=request.headers, content=request.body
        )
        with lock:
            response = fake.handle_request(outgoing)
            content = response.read()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return response.status_code, headers, content

    with serve(respond) as (url, _):
        yield url


def send_pdf_head(request: Request, headers: dict[str, str]) -> None:
    handler = request.handler
    handler.send_response(200)
    handler.send_header("Content-Type", "application/pdf")
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> PortalOdoo:
    return PortalOdoo()


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_portal_pdf_over_max_bytes_is_refused_from_its_content_length_before_reading(fake, transport):
    def announce_then_stall(request: Request) -> None:
        send_pdf_head(request, {"Content-Length": "10000000"})
        request.handler.wfile.write(b"%PDF-1.4\n")
        request.handler.wfile.flush()
        time.sleep(5)  # the rest never comes: a client reading the body waits for it

    with portal_server(fake, announce_then_stall) as url:
        started = time.monotonic()
        with pytest.raises(InputError) as err:
            invoke(
                "getRecordPdf",
                connection(url, transport),
                {"model": "sale.order", "recordId": 4, "maxBytes": 1000},
            )
        assert time.monotonic() - started < 3
    assert err.value.message == (
        "The PDF of sale.order record 4 is 10000000 bytes (9.5 MiB), over the limit of 1000 bytes (maxBytes)."
    )
    assert err.value.path == "maxBytes"


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_portal_pdf_without_a_length_is_refused_once_more_than_max_bytes_has_arrived(fake, transport):
    sent: list[int] = []

    def endless(request: Request) -> None:
        send_pdf_head(request, {"Transfer-Encoding": "chunked"})
        chunk = b"%" * 65536
        total = 0
        try:
            while total < 64 * 1024 * 1024:
                request.handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                total += len(chunk)
        except OSError:
            pass  # the client hung up
        sent.append(total)

    with portal_server(fake, endless) as url:
        with pytest.raises(InputError) as err:
            invoke(
                "getRecordPdf",
                connection(url, transport),
                {"model": "sale.order", "recordId": 4, "maxBytes": 200_000},
            )
        for _ in range(50):  # the server notices the hang-up when its next write fails
            if sent:
                break
            time.sleep(0.1)
    assert err.value.message == (
        "The PDF of sale.order record 4 is over the limit of 200000 bytes (maxBytes): more than that "
        "arrived, and the rest was not read."
    )
    assert sent and sent[0] < 16 * 1024 * 1024  # not the 64 MiB the server would have sent


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_stored_invoice_pdf_over_max_bytes_is_refused_before_its_content_is_read(fake, transport):
    pdf = b"%PDF-1.4\n" + b"x" * 5000
    attachment = fake.create(
        "ir.attachment",
        **fake._attachment_values({"name": "INV-0001.pdf", "datas": base64.b64encode(pdf).decode()}),
    )
    invoice = fake.create("account.move", name="INV/0001", invoice_pdf_report_id=[attachment, "INV-0001.pdf"])
    client = fake_client(fake, fake_connection(transport))
    inputs = {"model": "account.move", "recordId": invoice, "maxBytes": 1000}
    with pytest.raises(InputError) as err:
        invoke("getRecordPdf", connection("http://fake.test", transport), inputs, client=client)
    assert err.value.message == (
        f"The stored PDF of account.move record {invoice} ('INV-0001.pdf') is {len(pdf)} bytes, over the "
        "limit of 1000 bytes (maxBytes)."
    )
    # one read of the attachment: its size; its content (datas) was never asked for
    assert fake.calls.count(("ir.attachment", "read")) == 1
    small = invoke(
        "getRecordPdf",
        connection("http://fake.test", transport),
        {**inputs, "maxBytes": 10_000},
        client=client,
    )
    assert base64.b64decode(small["data"]["content"]) == pdf

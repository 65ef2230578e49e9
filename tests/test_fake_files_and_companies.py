"""Files and the user's companies against the stateful fake Odoo (issue 17): what a cassette
cannot vary — bytes of any size and content, a company list of our choosing — over both
transports, offline."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import AccessDeniedError, InputError

from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo

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


@pytest.fixture(params=["json2", "jsonrpc"])
def setup(request: pytest.FixtureRequest) -> tuple[FakeOdoo, dict[str, Any], Any]:
    odoo = FakeOdoo()
    conn = CONNECTIONS[request.param]
    parsed = parse_connection(conn)
    cls = make_client
    return odoo, conn, cls(parsed, http_transport=odoo)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [1, 3 * 1024 * 1024 + 7])
def test_upload_list_download_keeps_every_byte(setup, size):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    content = os.urandom(size)
    encoded = base64.b64encode(content).decode()
    uploaded = invoke(
        "uploadAttachment",
        conn,
        {"model": "res.partner", "recordId": partner, "fileName": "data.bin", "content": encoded},
        client=client,
    )["data"]
    checksum = hashlib.sha1(content).hexdigest()  # noqa: S324 (what Odoo stores)
    assert {k: uploaded[k] for k in ("size", "checksum", "name")} == {
        "size": size,
        "checksum": checksum,
        "name": "data.bin",
    }
    listed = invoke("listAttachments", conn, {"model": "res.partner", "recordId": partner}, client=client)[
        "data"
    ]
    assert [(a["id"], a["size"], a["checksum"]) for a in listed] == [(uploaded["id"], size, checksum)]
    assert all("content" not in a for a in listed)
    downloaded = invoke("downloadAttachment", conn, {"attachmentId": uploaded["id"]}, client=client)["data"]
    assert base64.b64decode(downloaded["content"]) == content


def test_an_upload_to_a_missing_record_creates_no_file(setup):
    odoo, conn, client = setup
    with pytest.raises(Exception) as err:
        invoke(
            "uploadAttachment",
            conn,
            {"model": "res.partner", "recordId": 999, "fileName": "x.txt", "content": "eA=="},
            client=client,
        )
    assert "999" in str(err.value)
    assert odoo.tables["ir.attachment"] == {}


def test_a_download_over_the_limit_never_asks_for_the_content(setup):
    odoo, conn, client = setup
    partner = odoo.create("res.partner", name="Acme")
    encoded = base64.b64encode(b"x" * 2048).decode()
    file_id = invoke(
        "uploadAttachment",
        conn,
        {"model": "res.partner", "recordId": partner, "fileName": "big.txt", "content": encoded},
        client=client,
    )["data"]["id"]
    before = len(odoo.calls)
    with pytest.raises(InputError) as err:
        invoke("downloadAttachment", conn, {"attachmentId": file_id, "maxBytes": 1024}, client=client)
    assert "2048" in err.value.message and "1024" in err.value.message
    assert [m for _, m in odoo.calls[before:]] == ["read"]  # the size only, never datas


def test_a_company_the_user_lacks_is_refused_with_the_users_companies(setup):
    odoo, conn, client = setup
    odoo.user_company_ids = [1]
    odoo.tables["res.users"][2]["company_ids"] = [1]
    with pytest.raises(AccessDeniedError) as err:
        invoke(
            "listRecords",
            conn,
            {"model": "res.partner", "fields": ["name"], "context": {"companyId": 2}},
            client=client,
        )
    assert err.value.message == "Access to unauthorized or invalid companies."
    assert "may work in the companies 1 (My Company)" in err.value.hint


def test_select_company_lists_the_users_companies(setup):
    _, conn, client = setup
    assert invoke("selectCompany", conn, {}, client=client)["data"] == [
        {"key": "1", "label": "My Company"},
        {"key": "2", "label": "Acme Branch BE"},
    ]

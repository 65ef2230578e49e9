"""A proxy's 502 or 504 in the middle of a batch run (odoo_connector.actions.batch_rows), against
the stateful fake Odoo behind a gateway that passes the request on and loses Odoo's answer.

Odoo has then run the batch, or not: the gateway's error is not Odoo's own (which would roll the
transaction back), so the stop message must say the batch *may* have been written and to check
before sending it again, and count as written only the batches Odoo answered. Saying "Nothing of
batch N was written" there invites a resend that duplicates every row of it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from odoo_connector import client as client_module
from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.errors import ServerError

from .fakes import FakeOdoo, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
GATEWAY_PAGE = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"


class Gateway(httpx.BaseTransport):
    """Passes every request to Odoo; from the ``nth`` call of ``method`` on (counted over both
    protocols), ``times`` of them run there and the client gets the gateway's ``status`` page
    instead of the answer."""

    def __init__(self, odoo: FakeOdoo, method: str, nth: int, status: int, times: int = 1) -> None:
        self.odoo, self.method, self.countdown, self.status = odoo, method, nth, status
        self.times = times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.odoo.handle_request(request)
        content = request.read()
        named = (
            request.url.path.endswith(f"/{self.method}")
            or f"<string>{self.method}</string>".encode() in content
        )
        if named:
            self.countdown -= 1
            if self.countdown <= 0 and self.times > 0:
                self.times -= 1
                return httpx.Response(self.status, text=GATEWAY_PAGE, headers={"Content-Type": "text/html"})
        return answer


def client_for(odoo: FakeOdoo, transport: str, method: str, status: int, nth: int = 2, times: int = 1) -> Any:
    connection = fake_connection(transport)
    gateway = Gateway(odoo, method, nth, status, times)
    if transport == "json2":
        made: Any = client_module.Json2Client(connection, http_transport=gateway)
    else:
        made = client_module.XmlRpcClient(connection, http_transport=gateway)
    made.session.sleep = lambda seconds: None
    return made


@pytest.fixture
def odoo(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo()


def partners(count: int) -> list[dict[str, Any]]:
    return [{"parameters": {"name": f"P{i}", "email": f"p{i}@example.com"}} for i in range(count)]


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_mid_run_says_the_batch_may_be_written_and_to_check_before_resending(
    odoo, transport, status
):
    client = client_for(odoo, transport, "load", status)
    with pytest.raises(ServerError) as err:
        invoke(
            "createRecords",
            CONN,
            {"model": "res.partner", "records": partners(5), "batchSize": 2},
            client=client,
        )
    message = err.value.message
    assert (
        " Batch 2 (rows 2 to 3) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending them again. 1 batch was written before it (2 rows, 0 to 1). Rows "
        "after it were not sent."
    ) in message
    assert "Nothing of batch" not in message
    assert odoo.methods().count("load") == 2  # a create is never sent twice by the client
    assert sorted(r["name"] for r in odoo.tables["res.partner"].values()) == ["P0", "P1", "P2", "P3"]
    report = err.value.report  # type: ignore[attr-defined]
    assert report["written"] == 2 and report["batches"] == 1
    assert [row["index"] for row in report["rows"] if "id" in row] == [0, 1]
    assert [row["index"] for row in report["rows"]] == [0, 1, 2, 3, 4]


def test_a_gateway_error_on_the_first_batch_says_no_batch_was_written_before_it(odoo):
    client = client_for(odoo, "json2", "load", 502, nth=1)
    with pytest.raises(ServerError) as err:
        invoke(
            "createRecords",
            CONN,
            {"model": "res.partner", "records": partners(3), "batchSize": 2},
            client=client,
        )
    assert err.value.message == (
        "The server answered 502 to res.partner.load: 504 Gateway Time-out. Batch 1 (rows 0 to 1) may "
        "or may not have been written: Odoo gave no answer. Check those records before sending them "
        "again. No batch was written before it. Rows after it were not sent."
    )
    assert err.value.report["written"] == 0  # type: ignore[attr-defined]


def test_upserts_by_match_fields_are_not_called_safe_to_resend(odoo):
    """Rows found by matchFields create what matched nothing: a resend after a lost answer would
    create them again, so the advice is only to check."""
    odoo.create("res.partner", name="P0", email="p0@example.com")
    client = client_for(odoo, "json2", "load", 504, nth=1)
    rows = [{"parameters": {"email": f"p{i}@example.com", "name": f"P{i} new"}} for i in range(2)]
    with pytest.raises(ServerError) as err:
        invoke(
            "upsertRecords",
            CONN,
            {"model": "res.partner", "records": rows, "matchFields": ["email"], "skipUnchanged": False},
            client=client,
        )
    assert (
        "Batch 1 (rows 0 to 1) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending them again. No batch" in err.value.message
    )


def test_a_write_of_known_records_is_said_safe_to_send_again(odoo):
    ids = [odoo.create("res.partner", name=f"P{i}", email=f"p{i}@example.com") for i in range(2)]
    client = client_for(odoo, "json2", "web_save_multi", 502, nth=1)
    client.session.max_retries = 0  # the answer is lost for good, not retried
    rows = [{"recordId": i, "parameters": {"email": f"new{i}@example.com"}} for i in ids]
    with pytest.raises(ServerError) as err:
        invoke("updateRecords", CONN, {"model": "res.partner", "records": rows}, client=client)
    assert (
        "Batch 1 (rows 0 to 1) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending them again (it sets values on records that exist: sending it again "
        "is safe). No batch was written before it."
    ) in err.value.message


def test_the_cli_exits_as_a_server_error_and_prints_the_rows_written(odoo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(
        client_module, "make_client", lambda connection, **options: client_for(odoo, "json2", "load", 502)
    )
    inputs = {"model": "res.partner", "records": partners(4), "batchSize": 2}
    status = main(["run", "createRecords", "--input", json.dumps(inputs)])
    captured = capsys.readouterr()
    error = json.loads(captured.err.strip().splitlines()[-1])["error"]
    assert status == 5
    assert error["type"] == "ServerError"
    assert "Batch 2 (rows 2 to 3) may or may not have been written" in error["message"]
    assert "1 batch was written before it (2 rows, 0 to 1)." in error["message"]

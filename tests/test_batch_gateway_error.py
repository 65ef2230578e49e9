"""A proxy's 502 or 504 in the middle of a batch run (odoo_connector.actions.batch_rows), against
the stateful fake Odoo behind a gateway that passes the request on and loses Odoo's answer.

Odoo has then run the batch, or not: the gateway's error is not Odoo's own (which would roll the
transaction back), so the stop message must say the batch *may or may not* have been written and
to check before sending it again, count as written only the batches Odoo answered, and mark the
rows of the lost batch ``"written": "unknown"``. Saying "Nothing of batch N was written" there
invites a resend that duplicates every row of it. A write that is safe to send twice (a load by
external ID, web_save_multi on known records) is sent again by the client through the gateway
error for the connection's ``retryFor``, and said safe to send again once that time is out."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from odoo_connector import client as client_module
from odoo_connector import invoke
from odoo_connector.actions.batch_rows import NO_ANSWER_HINT
from odoo_connector.cli import main
from odoo_connector.client import make_client
from odoo_connector.errors import OdooConnectorError, ServerError

from .fakes import FakeOdoo, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
UNKNOWN_ROW = {
    "type": "ServerError",
    "message": "This row may or may not have been written: Odoo gave no answer. Check its record "
    "before sending it again.",
}


def _jsonrpc_method(path: str, content: bytes) -> str | None:
    """The model method a JSON-RPC ``execute_kw`` body calls (its fifth argument), else None."""
    if path != "/jsonrpc":
        return None
    args = json.loads(content).get("params", {}).get("args", [])
    return str(args[4]) if len(args) > 4 else None


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
            or _jsonrpc_method(request.url.path, content) == self.method
        )
        if named:
            self.countdown -= 1
            if self.countdown <= 0 and self.times > 0:
                self.times -= 1
                page = f"<html><head><title>{self.status} Bad Gateway</title></head><body>nginx</body></html>"
                return httpx.Response(self.status, text=page, headers={"Content-Type": "text/html"})
        return answer


class Clock:
    """The session's clock and sleep: a wait moves the clock on at once, so a retry through the
    connection's retryFor (60 s) takes no real time, and ``now`` says how long it waited."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def client_for(odoo: FakeOdoo, transport: str, method: str, status: int, nth: int = 2, times: int = 1) -> Any:
    connection = fake_connection(transport)
    gateway = Gateway(odoo, method, nth, status, times)
    made: Any = make_client(connection, http_transport=gateway)  # the real one: the CLI test patches it
    made.session.clock = Clock()
    made.session.sleep = made.session.clock.sleep
    return made


@pytest.fixture
def odoo(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo()


def partners(count: int) -> list[dict[str, Any]]:
    return [{"parameters": {"name": f"P{i}", "email": f"p{i}@example.com"}} for i in range(count)]


def stop(client: Any, key: str, **inputs: Any) -> OdooConnectorError:
    with pytest.raises(OdooConnectorError) as err:
        invoke(key, CONN, {"model": "res.partner", **inputs}, client=client)
    return err.value


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_mid_run_says_the_batch_may_be_written_and_counts_only_the_answered_rows(
    odoo, transport, status
):
    client = client_for(odoo, transport, "load", status)
    error = stop(client, "createRecords", records=partners(5), batchSize=2)
    assert type(error) is ServerError
    assert error.message.endswith(
        " Batch 2 (rows 2 to 3) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending it again. 1 batch was written before it (2 rows, 0 to 1). Rows "
        "after it were not sent."
    )
    assert "Nothing of batch" not in error.message
    assert error.hint == NO_ANSWER_HINT  # look in Odoo first, not "try again"
    assert odoo.methods().count("load") == 2  # a create is never sent twice by the client
    # Odoo did write the batch whose answer the gateway lost: a resend would duplicate P2 and P3
    assert sorted(r["name"] for r in odoo.tables["res.partner"].values()) == ["P0", "P1", "P2", "P3"]
    report = error.report  # type: ignore[attr-defined]
    assert (report["written"], report["batches"], report["unknown"], report["failed"]) == (2, 1, 2, 1)
    assert report["rows"][:2] == [
        {"index": 0, "id": 1, "created": True},
        {"index": 1, "id": 2, "created": True},
    ]
    assert report["rows"][2:4] == [
        {"index": 2, "written": "unknown", "error": UNKNOWN_ROW},
        {"index": 3, "written": "unknown", "error": UNKNOWN_ROW},
    ]
    assert report["rows"][4] == {
        "index": 4,
        "error": {"type": "NotWritten", "message": "not written: the run stopped at row 2"},
    }


def test_odoos_own_server_error_mid_run_says_nothing_of_the_batch_was_written(odoo):
    """The other side of the rule: a 500 carrying Odoo's exception rolled the transaction back, so
    the batch is not written and is not reported as unknown."""
    client = client_for(odoo, "json2", "load", 502, times=0)  # the gateway passes every answer
    odoo.fail_on("load", nth=2)  # a serialization failure, Odoo's own
    error = stop(client, "createRecords", records=partners(5), batchSize=2)
    assert error.message == (
        "could not serialize access due to concurrent update. Nothing of batch 2 (rows 2 to 3) was "
        "written. 1 batch was written before it (2 rows, 0 to 1). Rows after it were not sent."
    )
    assert error.hint != NO_ANSWER_HINT
    report = error.report  # type: ignore[attr-defined]
    assert "unknown" not in report
    assert (report["written"], report["failed"]) == (2, 3)
    assert all("written" not in row for row in report["rows"])


def test_a_gateway_error_on_the_first_batch_says_no_batch_was_written_before_it(odoo):
    client = client_for(odoo, "json2", "load", 502, nth=1)
    error = stop(client, "createRecords", records=partners(3), batchSize=2)
    assert error.message == (
        "The server answered 502 to res.partner.load: 502 Bad Gateway. Batch 1 (rows 0 to 1) may "
        "or may not have been written: Odoo gave no answer. Check those records before sending it "
        "again. No batch was written before it. Rows after it were not sent."
    )
    report = error.report  # type: ignore[attr-defined]
    assert (report["written"], report["unknown"], report["failed"]) == (0, 2, 1)


def test_upserts_by_match_fields_are_not_called_safe_to_resend(odoo):
    """Rows found by matchFields create what matched nothing: a resend after a lost answer would
    create them again, so the advice is only to check, and the load is not sent again."""
    odoo.create("res.partner", name="P0", email="p0@example.com")
    client = client_for(odoo, "json2", "load", 504, nth=1)
    rows = [{"parameters": {"email": f"p{i}@example.com", "name": f"P{i} new"}} for i in range(2)]
    error = stop(client, "upsertRecords", records=rows, matchFields=["email"], skipUnchanged=False)
    assert error.message.endswith(
        " Batch 1 (rows 0 to 1) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending it again. No batch was written before it. Rows after it were not sent."
    )
    assert error.hint == NO_ANSWER_HINT
    assert odoo.methods().count("load") == 1


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
def test_a_write_of_known_records_is_sent_again_through_a_gateway_error(odoo, transport):
    """web_save_multi sets values on records that exist: the client sends it again after a 502,
    and the run ends written, the same values on the same records."""
    ids = [odoo.create("res.partner", name=f"P{i}", email=f"p{i}@example.com") for i in range(2)]
    client = client_for(odoo, transport, "web_save_multi", 502, nth=1)
    rows = [{"recordId": i, "parameters": {"email": f"new{i}@example.com"}} for i in ids]
    data = invoke("updateRecords", CONN, {"model": "res.partner", "records": rows}, client=client)["data"]
    assert (data["written"], data["failed"], data["batches"]) == (2, 0, 1)
    assert "unknown" not in data
    assert odoo.methods().count("web_save_multi") == 2
    assert [odoo.tables["res.partner"][i]["email"] for i in ids] == [f"new{i}@example.com" for i in ids]


def test_a_write_of_known_records_still_unanswered_after_retry_for_is_said_safe_to_send_again(odoo):
    ids = [odoo.create("res.partner", name=f"P{i}", email=f"p{i}@example.com") for i in range(2)]
    client = client_for(odoo, "json2", "web_save_multi", 502, nth=1, times=10_000)
    rows = [{"recordId": i, "parameters": {"email": f"new{i}@example.com"}} for i in ids]
    error = stop(client, "updateRecords", records=rows)
    assert error.message.endswith(
        " Batch 1 (rows 0 to 1) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending it again (it sets values on records that exist: sending it again "
        "is safe). No batch was written before it. Rows after it were not sent."
    )
    assert 60 <= client.session.clock.now <= 61  # retried for the connection's retryFor, then given up
    assert "load" not in odoo.methods()  # a lost answer is not a refusal: not sent through load
    report = error.report  # type: ignore[attr-defined]
    assert (report["written"], report["unknown"], report["failed"]) == (0, 2, 0)


def test_a_batch_by_external_id_still_unanswered_after_retry_for_is_said_safe_to_send_again(odoo):
    client = client_for(odoo, "json2", "load", 502, nth=1, times=10_000)
    records = [{"externalId": f"__import__.p{i}", "parameters": {"name": f"P{i}"}} for i in range(2)]
    error = stop(client, "upsertRecords", records=records)
    assert type(error) is ServerError
    assert error.message.endswith(
        " Batch 1 (rows 0 to 1) may or may not have been written: Odoo gave no answer. Check those "
        "records before sending it again (this batch names its records by external ID: sending it "
        "again is safe). No batch was written before it. Rows after it were not sent."
    )
    assert odoo.methods().count("load") > 1  # sent again within retryFor
    # sent many times, written once each: the external ID names the record
    assert sorted(r["name"] for r in odoo.tables["res.partner"].values()) == ["P0", "P1"]


def test_a_single_record_says_check_it_after_no_answer_and_nothing_written_after_a_refusal(odoo):
    client = client_for(odoo, "json2", "load", 504, nth=1)
    error = stop(client, "upsertRecord", matchFields=["name"], parameters={"name": "Ann"})
    assert error.message == (
        "The server answered 504 to res.partner.load: 504 Bad Gateway. The record may or may not "
        "have been written: Odoo gave no answer. Check it before sending it again."
    )
    assert error.hint == NO_ANSWER_HINT
    odoo.fail_on("load", kind="value", message="The partner is invalid")
    refused = stop(client, "upsertRecord", matchFields=["name"], parameters={"name": "Bob"})
    assert refused.message == "The partner is invalid. Nothing was written."


def test_the_cli_exits_as_a_server_error_and_prints_the_rows_written_and_unknown(odoo, monkeypatch, capsys):
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
    printed = json.loads(captured.out)["data"]
    assert [row.get("written") for row in printed["rows"]] == [None, None, "unknown", "unknown"]
    assert (printed["written"], printed["unknown"]) == (2, 2)


def test_a_delete_that_got_no_answer_says_its_rows_may_or_may_not_have_been_deleted(odoo):
    """The word is the action's: a delete says "deleted", in the stop and in each row's report."""
    ids = [odoo.create("res.partner", name=f"P{i}") for i in range(3)]
    client = client_for(odoo, "json2", "unlink", 504, nth=1)
    error = stop(client, "deleteRecords", records=[{"recordId": i} for i in ids], batchSize=2)
    assert (
        " Batch 1 (rows 0 to 1) may or may not have been deleted: Odoo gave no answer. Check those "
        "records before sending it again." in error.message
    )
    assert list(odoo.tables["res.partner"]) == [ids[2]]  # Odoo did delete them
    report = error.report  # type: ignore[attr-defined]
    assert [row.get("written") for row in report["rows"]] == ["unknown", "unknown", None]
    assert report["rows"][0]["error"] == {
        "type": "ServerError",
        "message": "This row may or may not have been deleted: Odoo gave no answer. Check its record "
        "before sending it again.",
    }

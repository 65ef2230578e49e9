"""The batch actions against the stateful fake Odoo, for what a cassette cannot reach: an answer
lost after Odoo committed a batch (retried only when every row names its record by external ID,
and then never a duplicate), and the CLI's streamed JSON Lines input run twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from odoo_connector import client as client_module
from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.errors import NotFoundError, TransportError

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}


def rows(count: int, start: int = 0, suffix: str = "") -> list[dict[str, Any]]:
    return [
        {
            "externalId": f"__import__.p{i}",
            "parameters": {"name": f"P{i}{suffix}", "email": f"p{i}@example.com"},
        }
        for i in range(start, start + count)
    ]


@pytest.fixture
def fake(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo()


def client_for(fake: FakeOdoo) -> Any:
    client = fake_client(fake, fake_connection("json2"))
    client.session.sleep = lambda seconds: None
    return client


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_lost_answer_to_an_upsert_by_external_id_is_retried_and_never_duplicates(fake, transport):
    client = fake_client(fake, fake_connection(transport))
    client.session.sleep = lambda seconds: None
    fake.lose_load_answers = 1  # the second batch commits, then its answer is lost
    first = invoke(
        "upsertRecords", CONN, {"model": "res.partner", "records": rows(5), "batchSize": 2}, client=client
    )
    assert [method for method in fake.methods() if method == "load"] == ["load"] * 4  # 3 batches, 1 retry
    assert sorted(r["name"] for r in fake.tables["res.partner"].values()) == [f"P{i}" for i in range(5)]
    assert first["data"]["created"] == 5 and first["data"]["batches"] == 3
    ids = [r["id"] for r in first["data"]["rows"]]
    again = invoke(
        "upsertRecords", CONN, {"model": "res.partner", "records": rows(5), "batchSize": 2}, client=client
    )
    assert [(r["id"], r["created"], r.get("unchanged")) for r in again["data"]["rows"]] == [
        (i, False, True) for i in ids
    ]
    assert len(fake.tables["res.partner"]) == 5


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_lost_answer_to_a_write_of_changed_rows_is_retried_and_writes_the_same_values(fake, transport):
    client = fake_client(fake, fake_connection(transport))
    client.session.sleep = lambda seconds: None
    inputs = {"model": "res.partner", "records": rows(4), "batchSize": 3}
    ids = [r["id"] for r in invoke("upsertRecords", CONN, inputs, client=client)["data"]["rows"]]
    fake.lose_write_answers = 1  # web_save_multi commits, then its answer is lost
    changed = {**inputs, "records": rows(4, suffix=" changed")}
    again = invoke("upsertRecords", CONN, changed, client=client)["data"]
    assert fake.methods().count("web_save_multi") == 3  # 2 batches, 1 retry
    assert (again["written"], again["unchanged"], again["created"]) == (4, 0, 0)
    assert [fake.tables["res.partner"][i]["name"] for i in ids] == [f"P{i} changed" for i in range(4)]
    assert len(fake.tables["res.partner"]) == 4


def test_a_lost_answer_to_a_create_batch_is_not_retried_and_the_error_says_so(fake):
    client = client_for(fake)
    fake.lose_load_answers = 1
    records = [{"parameters": {"name": f"C{i}"}} for i in range(3)]
    with pytest.raises(TransportError) as err:
        invoke(
            "createRecords", CONN, {"model": "res.partner", "records": records, "batchSize": 2}, client=client
        )
    assert fake.methods().count("load") == 1
    assert "Batch 1 (rows 0 to 1) may or may not have been written: Odoo gave no answer." in err.value.message
    assert "No batch was written before it." in err.value.message
    assert len(fake.tables["res.partner"]) == 2  # it was: sending it again would have made 4


def test_the_cli_syncs_a_json_lines_file_in_chunks_and_a_rerun_changes_nothing(
    fake, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(
        client_module, "make_client", lambda connection, **options: fake_client(fake, connection)
    )
    source = Path(tmp_path, "partners.jsonl")
    source.write_text("".join(json.dumps(r) + "\n" for r in rows(45)) + "\n")
    args = [
        "run",
        "upsertRecords",
        "--input",
        '{"model": "res.partner", "batchSize": 2}',
        "--input-jsonl",
        str(source),
    ]

    assert main(args) == 0
    report = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["index"] for r in report] == list(range(45)) and all(r["created"] for r in report)
    # 45 rows, batches of 2, chunks of 40 rows: 23 loads, one search per chunk (the external-ID
    # scan, which also gives the id watermark)
    assert fake.methods().count("load") == 23 and fake.methods().count("search") == 2

    assert main(args) == 0
    captured = capsys.readouterr()
    again = [json.loads(line) for line in captured.out.splitlines()]
    assert again == [{**r, "created": False, "unchanged": True} for r in report]
    assert fake.methods().count("load") == 23  # the rerun wrote nothing
    last = json.loads(captured.err.strip().splitlines()[-1])["message"]
    assert last == "upsertRecords: 0 rows written (0 created), 45 unchanged, 0 failed"
    assert len(fake.tables["res.partner"]) == 45


def test_the_cli_stops_at_a_bad_row_and_prints_what_its_chunk_wrote(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(
        client_module, "make_client", lambda connection, **options: fake_client(fake, connection)
    )
    lines = rows(3)
    lines[2]["parameters"]["name"] = ""
    source = Path(tmp_path, "partners.jsonl")
    source.write_text("".join(json.dumps(r) + "\n" for r in lines))
    args = [
        "run",
        "upsertRecords",
        "--input",
        '{"model": "res.partner", "batchSize": 2}',
        "--input-jsonl",
        str(source),
    ]
    assert main(args) == 2
    captured = capsys.readouterr()
    report = [json.loads(line) for line in captured.out.splitlines()]
    assert [("id" in r, r["index"]) for r in report] == [(True, 0), (True, 1), (False, 2)]
    error = json.loads(captured.err.strip().splitlines()[-1])["error"]
    assert error["message"].startswith("Row 2: Contacts require a name. Nothing of batch 2 (rows 2 to 2)")


def test_delete_in_stop_mode_names_the_missing_row_and_deletes_nothing_of_its_batch(fake):
    client = client_for(fake)
    first, second = fake.create("res.partner", name="A"), fake.create("res.partner", name="B")
    fake.fail_on("unlink", kind="missing", message="Record does not exist or has been deleted.")
    records = [{"recordId": first}, {"recordId": 99}, {"recordId": second}]
    with pytest.raises(NotFoundError) as err:
        invoke("deleteRecords", CONN, {"model": "res.partner", "records": records}, client=client)
    assert err.value.message == (
        "Row 1: No res.partner record with id 99 (it does not exist or was deleted). Nothing of batch 1 "
        "(rows 0 to 2) was written. No batch was written before it. Rows after it were not sent."
    )
    assert err.value.path == "records[1]"
    assert sorted(fake.tables["res.partner"]) == [first, second]


def test_the_cli_says_earlier_chunks_were_written_when_a_later_one_stops(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(
        client_module, "make_client", lambda connection, **options: fake_client(fake, connection)
    )
    lines = rows(25)
    lines[22]["parameters"]["name"] = ""
    source = Path(tmp_path, "partners.jsonl")
    source.write_text("".join(json.dumps(r) + "\n" for r in lines))
    args = [
        "run",
        "upsertRecords",
        "--input",
        '{"model": "res.partner", "batchSize": 1}',
        "--input-jsonl",
        str(source),
    ]
    assert main(args) == 2
    captured = capsys.readouterr()
    report = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["index"] for r in report if "id" in r] == list(range(22))
    messages = [json.loads(line).get("message") for line in captured.err.strip().splitlines()[:-1]]
    assert (
        "upsertRecords: the 20 rows before row 20 were sent by earlier calls; their report is above"
        in messages
    )
    error = json.loads(captured.err.strip().splitlines()[-1])["error"]
    assert error["message"].startswith("Row 22: Contacts require a name. Nothing of batch 3 (rows 22 to 22)")
    assert len(fake.tables["res.partner"]) == 22


def test_skip_mode_does_not_isolate_rows_one_by_one_when_a_group_refuses_them_all(fake):
    client = client_for(fake)
    refused = (
        "You are not allowed to create 'Contact' (res.partner) records.\n\nThis operation is allowed "
        "for the following groups:\n\t- Contact / Creation\n\nContact your administrator."
    )
    fake.fail_on("load", kind="access", message=refused, times=10)
    records = [{"parameters": {"name": f"C{i}"}} for i in range(6)]
    report = invoke(
        "createRecords", CONN, {"model": "res.partner", "records": records, "onError": "skip"}, client=client
    )["data"]
    assert fake.methods().count("load") == 1
    assert report["failed"] == 6 and report["written"] == 0
    assert report["rows"][5] == {
        "index": 5,
        "error": {
            "type": "AccessDeniedError",
            "message": refused,
            "odooError": "odoo.exceptions.AccessError",
            "status": 403,
            "missingGroups": ["Contact / Creation"],
        },
    }


def test_a_model_too_big_to_scan_for_the_call_is_written_as_given(fake, monkeypatch, caplog):
    """The external-ID scan costs time in the model's size: past 20 records a row (here made
    small) the rows go through load as given, uncompared, and are still written right."""
    from odoo_connector.actions import unchanged

    client = client_for(fake)
    first = invoke("upsertRecords", CONN, {"model": "res.partner", "records": rows(6)}, client=client)["data"]
    assert first["created"] == 6
    monkeypatch.setattr(unchanged, "MIN_SCANNED", 5)
    monkeypatch.setattr(unchanged, "SCAN_PER_ROW", 2)
    before = len(fake.methods())
    with caplog.at_level("INFO", logger="odoo_connector.batch"):
        again = invoke("upsertRecords", CONN, {"model": "res.partner", "records": rows(2)}, client=client)
    sent = fake.methods()[before:]
    assert "get_metadata" not in sent and sent.count("search") == 1  # the scan's search said: too many
    assert sent.count("load") == 1 and (again["data"]["written"], again["data"]["unchanged"]) == (2, 0)
    assert again["data"]["created"] == 0  # the scan's search still gave the highest id: none is new
    assert [r.getMessage() for r in caplog.records if r.name == "odoo_connector.batch"] == [
        "res.partner has too many records to scan for this call: rows by external ID are written as given"
    ]
    small = invoke("upsertRecords", CONN, {"model": "res.partner", "records": rows(3)}, client=client)["data"]
    assert (small["written"], small["unchanged"]) == (0, 3)  # 6 records, at most max(5, 2 * 3)


def _valid_report(key: str, report: dict[str, Any]) -> None:
    """The report an error carries has the shape of the action's result."""
    from jsonschema import Draft202012Validator

    from odoo_connector import load_manifest

    Draft202012Validator(load_manifest().unit(key).output_schema).validate({"data": report})


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_the_rows_of_a_batch_whose_answer_was_lost_say_written_unknown_as_the_error_does(fake, transport):
    client = fake_client(fake, fake_connection(transport))
    client.session.sleep = lambda seconds: None
    # the second load commits, then its answer is lost (by matchFields: never sent again)
    fake.on_call("load", lambda: setattr(fake, "lose_load_answers", 1), nth=2)
    records = [{"parameters": {"name": f"M{i}", "email": f"m{i}@example.com"}} for i in range(5)]
    inputs = {"model": "res.partner", "records": records, "matchFields": ["email"], "batchSize": 2}
    with pytest.raises(TransportError) as err:
        invoke("upsertRecords", CONN, inputs, client=client)
    assert fake.methods().count("load") == 2
    assert "Batch 2 (rows 2 to 3) may or may not have been written: Odoo gave no answer." in err.value.message
    report = err.value.report
    assert report is not None
    _valid_report("upsertRecords", report)
    rows = report["rows"]
    assert [("id" in r, r.get("written")) for r in rows] == [
        (True, None),
        (True, None),
        (False, "unknown"),
        (False, "unknown"),
        (False, None),
    ]
    assert rows[2]["error"] == {
        "type": "TransportError",
        "message": "This row may or may not have been written: Odoo gave no answer. Check its record "
        "before sending it again.",
    }
    assert rows[4]["error"]["type"] == "NotWritten"
    assert (report["written"], report["failed"], report["unknown"]) == (2, 1, 2)
    # they were: the fake committed rows 2 and 3 before losing the answer
    emails = sorted(r["email"] for r in fake.tables["res.partner"].values())
    assert emails == [f"m{i}@example.com" for i in range(4)]
    assert err.value.to_dict()["report"] == report


def test_a_delete_batch_whose_answer_was_lost_says_deleted_unknown(fake):
    client = client_for(fake)
    ids = [fake.create("res.partner", name=f"D{i}") for i in range(3)]

    def lose() -> None:  # Odoo deletes, then the answer is lost
        fake.unlink("res.partner", ids[:2])
        raise httpx.ReadTimeout("the fake lost the answer after committing")

    fake.on_call("unlink", lose)
    records = [{"recordId": i} for i in ids]
    with pytest.raises(TransportError) as err:
        invoke(
            "deleteRecords", CONN, {"model": "res.partner", "records": records, "batchSize": 2}, client=client
        )
    assert "Batch 1 (rows 0 to 1) may or may not have been deleted: Odoo gave no answer." in err.value.message
    report = err.value.report
    assert report is not None
    _valid_report("deleteRecords", report)
    assert [r.get("written") for r in report["rows"]] == ["unknown", "unknown", None]


def test_the_cli_prints_what_a_stopped_batch_run_wrote_on_stdout_and_in_the_error(fake, monkeypatch, capsys):
    monkeypatch.setenv("ODOO_URL", "http://fake.test")
    monkeypatch.setenv("ODOO_DB", DATABASE)
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    monkeypatch.setattr(
        client_module, "make_client", lambda connection, **options: fake_client(fake, connection)
    )
    records = [{"parameters": {"name": f"C{i}"}} for i in range(5)]
    records[3]["parameters"]["name"] = ""  # Odoo refuses the second batch
    inputs = {"model": "res.partner", "records": records, "batchSize": 2}
    assert main(["run", "createRecords", "--input", json.dumps(inputs)]) == 2
    captured = capsys.readouterr()
    printed = json.loads(captured.out)["data"]
    _valid_report("createRecords", printed)
    written = {r["index"]: r["id"] for r in printed["rows"] if "id" in r}
    assert written == {0: 1, 1: 2}
    assert {i: fake.tables["res.partner"][i]["name"] for i in written.values()} == {1: "C0", 2: "C1"}
    refused = [r["error"]["type"] for r in printed["rows"][2:]]
    assert refused == ["NotWritten", "OdooValidationError", "NotWritten"]
    error = json.loads(captured.err.strip().splitlines()[-1])["error"]
    assert error["message"].startswith("Row 3: Contacts require a name.")
    assert error["report"] == printed

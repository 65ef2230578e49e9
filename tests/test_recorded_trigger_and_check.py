"""The trigger and the connection test against a real Odoo 19 (replayed from cassettes)."""

from __future__ import annotations

import json
import time

import pytest

from odoo_connector import invoke, make_client, parse_connection
from odoo_connector.cli import main
from tests.test_actions import new_partner

pytestmark = pytest.mark.recordable


def test_poll_emits_new_records_as_created_and_older_ones_as_updated(conn, cleanup, prefix, real_server):
    inputs = {"model": "res.partner", "domain": [["name", "=like", f"{prefix} Poll %"]], "fields": ["name"]}
    older = [new_partner(conn, cleanup, f"{prefix} Poll old {i}") for i in range(2)]
    baseline = invoke("pollChangesTrigger", conn, inputs)
    assert baseline["data"] == {"created": [], "updated": []} and baseline["polledNoChanges"] is True

    if real_server:
        # write_date has one-second precision: an update in the very second of the baseline is
        # indistinguishable from the baseline itself (see the trigger's docstring).
        time.sleep(1.1)
    new = [new_partner(conn, cleanup, f"{prefix} Poll new {i}") for i in range(3)]
    for record_id in older:
        invoke(
            "updateRecord",
            conn,
            {"model": "res.partner", "recordId": record_id, "parameters": {"phone": "+32 2 555 01 99"}},
        )

    client = make_client(parse_connection(conn))
    result = invoke("pollChangesTrigger", conn, inputs, state=baseline["state"], client=client)
    assert sorted(r["id"] for r in result["data"]["created"]) == sorted(new)
    assert sorted(r["id"] for r in result["data"]["updated"]) == sorted(older)
    assert {r["name"] for r in result["data"]["created"]} == {f"{prefix} Poll new {i}" for i in range(3)}
    assert result["polledNoChanges"] is False

    before = client.request_count
    idle = invoke("pollChangesTrigger", conn, inputs, state=result["state"], client=client)
    assert idle["data"] == {"created": [], "updated": []} and idle["polledNoChanges"] is True
    assert client.request_count - before == 1
    client.close()


def test_poll_in_the_friendly_format_emits_related_records_as_id_and_name(conn, cleanup, prefix, real_server):
    inputs = {
        "model": "res.partner",
        "domain": [["name", "=like", f"{prefix} Friendly poll %"]],
        "fields": ["name", "parent_id", "email", "write_date"],
        "format": "friendly",
    }
    parent = new_partner(conn, cleanup, f"{prefix} Friendly poll parent")
    baseline = invoke("pollChangesTrigger", conn, inputs)
    if real_server:
        time.sleep(1.1)  # past the baseline's second (see above)
    child = invoke(
        "createRecord",
        conn,
        {
            "model": "res.partner",
            "parameters": {"name": f"{prefix} Friendly poll child", "parent_id": parent},
        },
    )["data"]
    cleanup.append(("res.partner", child))
    result = invoke("pollChangesTrigger", conn, inputs, state=baseline["state"])
    [record] = result["data"]["created"]
    assert record["id"] == child
    assert record["parent_id"] == {"id": parent, "name": f"{prefix} Friendly poll parent"}
    assert record["email"] is None
    assert record["write_date"].endswith("Z") and "T" in record["write_date"]


def test_check_reports_version_database_and_user(conn, tmp_path, capsys):
    path = tmp_path / "connection.json"
    path.write_text(json.dumps(conn))
    assert main(["check", "--connection", str(path), "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["server"]["version"] == "19.0"
    assert report["database"] == conn["database"]
    assert report["user"]["id"] > 0 and report["user"]["name"] and report["user"]["login"]


def test_check_with_a_wrong_key_says_so_without_echoing_it(conn, tmp_path, capsys):
    bad = dict(conn)
    secret = "not-the-right-key-0000" if conn["type"] == "odooApiKey" else "not-the-right-password"
    bad["apiKey" if conn["type"] == "odooApiKey" else "password"] = secret
    path = tmp_path / "connection.json"
    path.write_text(json.dumps(bad))
    assert main(["check", "--connection", str(path), "--debug"]) == 3
    captured = capsys.readouterr()
    error = json.loads(captured.err[captured.err.index("{") :])["error"]
    assert error["type"] == "AuthenticationError"
    assert secret not in captured.err and secret not in captured.out

"""An Odoo restart in the middle of a run (issue 25, F-18): reads wait for Odoo to come back, for
the connection's retryFor; a stream cut short says so and says where to resume; writes that may
have run are still never sent twice.

Odoo here is the fake behind a real loopback port that goes away and comes back as a restarted
Odoo does (tests/fakes/server.py, Restartable): the request in flight loses its connection, new
connections are refused, a proxy answers 502 while Odoo loads. Waits are real but short.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import TransportError

from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo
from .fakes.server import Restartable

RECORDS = 200
PAGE = 50


def connection(url: str, transport: str, **extra: Any) -> dict[str, Any]:
    if transport == "json2":
        return {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY, **extra}
    return {
        "type": "odooBasicAuth",
        "baseUrl": url,
        "database": DATABASE,
        "username": LOGIN,
        "password": PASSWORD,
        **extra,
    }


def odoo_with_partners() -> tuple[FakeOdoo, list[int]]:
    fake = FakeOdoo()
    ids = [fake.create("res.partner", name=f"p{n:03}") for n in range(RECORDS)]
    return fake, ids


def stream(
    conn: dict[str, Any], tmp_path: Path, **inputs: Any
) -> tuple[int, list[dict[str, Any]], list[Any]]:
    """``run listRecords --jsonl`` with fetchAll, in this process: exit status, the records on
    stdout, and the stderr lines (the last is the closing line)."""
    file = tmp_path / "connection.json"
    file.write_text(json.dumps(conn))
    given = {"model": "res.partner", "fields": ["name"], "fetchAll": True, "pageSize": PAGE, **inputs}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(
            ["run", "listRecords", "--jsonl", "--input", json.dumps(given), "--connection", str(file)]
        )
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return status, records, [json.loads(line) for line in err.getvalue().splitlines()]


@pytest.fixture(autouse=True)
def _no_fields_cache(no_odoo_env: pytest.MonkeyPatch) -> None:
    no_odoo_env.setenv("ODOO_CONNECTOR_FIELDS_CACHE", "off")


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
def test_a_fetch_all_stream_rides_out_a_restart_and_writes_every_record_once(transport, tmp_path):
    fake, ids = odoo_with_partners()
    with Restartable(fake) as odoo:
        # the third page's request loses its connection; refused for 0.6 s (longer than the first
        # wait, at most 0.5 s), then a 502 from the proxy while Odoo loads
        odoo.restart_at("search_read", nth=3, down=0.6, gateway=1)
        status, records, err = stream(connection(odoo.url, transport, retryFor=20), tmp_path)
    assert status == 0, err[-1]
    assert [r["id"] for r in records] == ids  # every record, once, in order
    waits = [line["message"] for line in err if "retrying in" in line.get("message", "")]
    assert waits and any("status 502" in w for w in waits) and any("could not connect" in w for w in waits)
    assert err[-1]["message"] == "listRecords: 200 records written, the output is complete"


@pytest.mark.parametrize("transport", ["json2", "jsonrpc"])
@pytest.mark.parametrize(
    ("order", "resume"),
    [(None, lambda last, count: {"afterId": last}), ("name desc", lambda last, count: {"offset": count})],
    ids=["by id", "by name"],
)
def test_a_stream_cut_after_retry_for_names_where_it_stopped_and_resuming_reads_exactly_the_rest(
    transport, order, resume, tmp_path
):
    fake, ids = odoo_with_partners()
    expected = (
        ids
        if order is None
        else sorted(ids, key=lambda i: fake.tables["res.partner"][i]["name"], reverse=True)
    )
    ordered = {"order": order} if order else {}
    with Restartable(fake) as odoo:
        conn = connection(odoo.url, transport, retryFor=1)
        odoo.restart_at("search_read", nth=3, down=math.inf)  # Odoo stays away past retryFor
        started = time.monotonic()
        status, first, err = stream(conn, tmp_path, **ordered)
        took = time.monotonic() - started
        error = err[-1]["error"]
        odoo.start()  # back
        status_again, rest, _ = stream(conn, tmp_path, **ordered, **error["resume"])
    assert status == 5 and 1 <= took < 10
    written = [r["id"] for r in first]
    assert written == expected[: 2 * PAGE]  # two whole pages were written before the cut
    assert error["incomplete"] is True and error["written"] == 2 * PAGE and error["lastId"] == written[-1]
    assert error["resume"] == resume(written[-1], 2 * PAGE)
    assert f"id {written[-1]}" in error["message"] and "not read" in error["message"]
    key, value = next(iter(error["resume"].items()))
    assert f'"{key}": {value}' in error["hint"]
    assert status_again == 0
    assert written + [r["id"] for r in rest] == expected  # resumed: exactly the rest, nothing twice


def test_a_cut_stream_with_an_offset_resumes_from_the_last_id_without_it(tmp_path):
    fake, ids = odoo_with_partners()
    with Restartable(fake) as odoo:
        conn = connection(odoo.url, "json2", retryFor=1)
        odoo.restart_at("search_read", nth=2, down=math.inf)
        _, first, err = stream(conn, tmp_path, offset=10)
        odoo.start()
        resume = err[-1]["error"]["resume"]
        _, rest, _ = stream(conn, tmp_path, **{"offset": 10, **resume})
    assert resume == {"afterId": ids[10 + PAGE - 1], "offset": 0}
    assert [r["id"] for r in first + rest] == ids[10:]


@pytest.mark.parametrize(
    ("answered_first", "down", "gateway"),
    [(True, 0.3, 0), (False, 0.0, 1)],
    ids=["its answer lost", "answered 502"],
)
def test_a_write_that_may_have_run_is_not_sent_again(answered_first, down, gateway):
    fake = FakeOdoo()
    with Restartable(fake) as odoo:
        conn = connection(odoo.url, "json2", retryFor=20)
        with make_client(parse_connection(conn)) as client:
            invoke("listRecords", conn, {"model": "res.partner", "fields": ["name"]}, client=client)
            odoo.restart_at("create", down=down, gateway=gateway, answered_first=answered_first)
            with pytest.raises(Exception) as err:
                invoke(
                    "createRecord",
                    conn,
                    {"model": "res.partner", "parameters": {"name": "once"}},
                    client=client,
                )
    assert err.value.exit_code == 5  # type: ignore[attr-defined]
    assert [path for path in odoo.paths if path.endswith("/create")] == ["/json/2/res.partner/create"]
    assert len(fake.tables["res.partner"]) == (1 if answered_first else 0)


def test_a_write_refused_while_odoo_restarts_waits_for_it_and_is_sent_once():
    """Refused: the create never reached Odoo, so it is safe to send when Odoo is back, however
    long that takes within retryFor (2 s here, longer than the two quick retries of old)."""
    fake = FakeOdoo()
    with Restartable(fake) as odoo:
        conn = connection(odoo.url, "json2", retryFor=20)
        with make_client(parse_connection(conn)) as client:
            invoke("listRecords", conn, {"model": "res.partner", "fields": ["name"]}, client=client)
            odoo.stop()
            threading.Timer(2.0, odoo.start).start()
            created = invoke(
                "createRecord", conn, {"model": "res.partner", "parameters": {"name": "once"}}, client=client
            )
    assert [r["name"] for r in fake.tables["res.partner"].values()] == ["once"]
    assert created["data"] == next(iter(fake.tables["res.partner"]))


def test_a_connection_odoo_never_answered_fails_in_seconds(tmp_path):
    """A wrong port looks like a restart, but nothing ever answered there: no minute of waiting."""
    fake = FakeOdoo()
    with Restartable(fake) as odoo:
        odoo.stop()
        started = time.monotonic()
        conn = connection(odoo.url, "json2")
        with (
            make_client(parse_connection(conn)) as client,
            pytest.raises(TransportError, match="Could not connect"),
        ):
            invoke("listRecords", conn, {"model": "res.partner", "fields": ["name"]}, client=client)
    assert time.monotonic() - started < 5


def test_a_stream_stopped_with_ctrl_c_says_where_to_resume(tmp_path):
    fake, ids = odoo_with_partners()
    fake.on_call("search_read", lambda: time.sleep(30), nth=2)  # the second page hangs
    with Restartable(fake) as odoo:
        file = tmp_path / "connection.json"
        file.write_text(json.dumps(connection(odoo.url, "json2")))
        given = {"model": "res.partner", "fields": ["name"], "fetchAll": True, "pageSize": PAGE}
        argv = ["run", "listRecords", "--jsonl", "--input", json.dumps(given), "--connection", str(file)]
        command = [sys.executable, "-m", "odoo_connector.cli", *argv]
        # as from a terminal: SIGINT at its default, even when this test runs under a shell's
        # background job (`.ci/run &`), whose children inherit SIGINT ignored and so would
        # never see Ctrl-C at all
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        ) as proc:
            assert proc.stdout is not None
            first = [json.loads(proc.stdout.readline()) for _ in range(PAGE)]
            time.sleep(0.3)  # now waiting for the second page
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    closing = json.loads(err.strip().splitlines()[-1])
    assert closing["level"] == "WARNING" and "incomplete" in closing["message"]
    where = json.loads(closing["message"].split(": ", 2)[2])
    assert where == {"written": PAGE, "lastId": ids[PAGE - 1], "resume": {"afterId": ids[PAGE - 1]}}
    assert [r["id"] for r in first] == ids[:PAGE]

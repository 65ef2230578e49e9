"""The done-when flow's trigger half on the real Odoo (``pytest -m live``, ODOO_* and, for the
webhook listener, ODOO_ADMIN_* on an Odoo running on this machine): "a lead's stage becomes Won"
through the CLI's ``poll`` and ``watch`` as an ordinary user and through the webhook listener,
emitting the stage's old and new names and nothing for another edit. Stages are found on the
server by searching."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from odoo_connector import make_client, parse_connection
from odoo_connector.cli import main
from odoo_connector.runner.listen import Listener, run_listen

pytestmark = pytest.mark.live


def _connection(admin: bool = False) -> dict[str, Any]:
    key = "ODOO_ADMIN_API_KEY" if admin else "ODOO_API_KEY"
    names = ("ODOO_URL", "ODOO_DB", key)
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"live Odoo not configured: set {', '.join(missing)}")
    return {
        "type": "odooApiKey",
        "baseUrl": os.environ["ODOO_URL"],
        "database": os.environ["ODOO_DB"],
        "apiKey": os.environ[key],
    }


class Leads:
    """Leads made by the ordinary user, deleted by the administrator (a salesperson may not)."""

    def __init__(self) -> None:
        self.user = make_client(parse_connection(_connection()))
        self.admin = make_client(parse_connection(_connection(admin=True)))
        stages = self.user.call(
            "crm.stage", "search_read", domain=[], fields=["name", "is_won"], order="sequence, id"
        )
        self.won = next(s for s in stages if s["is_won"])
        self.first, self.other = [s for s in stages if not s["is_won"]][:2]
        self.prefix = f"oc-live-{secrets.token_hex(4)}"
        self.ids: list[int] = []

    def create(self, name: str) -> int:
        [lead] = self.user.call(
            "crm.lead", "create", vals_list=[{"name": f"{self.prefix} {name}", "stage_id": self.first["id"]}]
        )
        self.ids.append(lead)
        return int(lead)

    def write(self, lead: int, **values: Any) -> None:
        time.sleep(1.1)  # write_date has one-second precision
        self.user.call("crm.lead", "write", [lead], vals=values)

    def close(self) -> None:
        if self.ids:
            self.admin.call("crm.lead", "unlink", self.ids)
        self.user.close()
        self.admin.close()


@pytest.fixture
def leads() -> Any:
    made = Leads()
    yield made
    made.close()


def _cli(argv: list[str], conn: dict[str, Any], tmp_path: Path) -> tuple[int, str]:
    file = tmp_path / "connection.json"
    file.write_text(json.dumps(conn))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main([*argv, "--connection", str(file)])
    return status, out.getvalue()


def _expected_change(leads: Leads) -> dict[str, Any]:
    return {
        "stage_id": {
            "old": {"id": leads.other["id"], "name": leads.other["name"]},
            "new": {"id": leads.won["id"], "name": leads.won["name"]},
        }
    }


def test_cli_poll_and_watch_as_an_ordinary_user(leads: Leads, tmp_path: Path) -> None:
    lead = leads.create("CLI")
    inputs = json.dumps(
        {
            "model": "crm.lead",
            "domain": [["name", "=like", f"{leads.prefix} %"]],
            "watchFields": ["stage_id"],
            "to": {"stage_id": leads.won["name"]},
        }
    )
    conn = _connection()
    poll = ["poll", "pollChangesTrigger", "--input", inputs, "--state", str(tmp_path / "poll.json")]
    watch = ["watch", "pollChangesTrigger", "--input", inputs, "--state", str(tmp_path / "watch.sqlite")]
    watch += ["--max-polls", "1", "--interval", "0.1"]
    assert _cli(poll, conn, tmp_path)[0] == 0 and _cli(watch, conn, tmp_path) == (0, "")  # baselines
    leads.write(lead, expected_revenue=777)
    leads.write(lead, stage_id=leads.other["id"])
    status, polled = _cli(poll, conn, tmp_path)
    assert status == 0 and json.loads(polled)["polledNoChanges"] is True
    assert _cli(watch, conn, tmp_path) == (0, "")  # another field, and a stage that is not Won
    leads.write(lead, stage_id=leads.won["id"])
    status, polled = _cli(poll, conn, tmp_path)
    [record] = json.loads(polled)["data"]["updated"]
    assert record["id"] == lead and record["changes"] == _expected_change(leads)
    status, watched = _cli(watch, conn, tmp_path)
    [line] = [json.loads(text) for text in watched.splitlines()]
    assert line["branch"] == "updated" and line["record"]["changes"] == _expected_change(leads)


class Events:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def deliver_events(self, events: Any, stop: threading.Event) -> None:
        for branch, rows in events.items():
            self.events += [(branch, r) for r in rows]

    def describe(self) -> str:
        return "a list"

    def close(self) -> None:
        pass


def _wait(condition: Any, timeout: float = 15.0) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "timed out"
        time.sleep(0.02)


def test_webhook_listener_posts_only_stage_changes(leads: Leads, tmp_path: Path) -> None:
    lead = leads.create("Hook")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Events()
    ready: list[Listener] = []
    posts: list[str] = []
    inputs = {
        "model": "crm.lead",
        "fields": ["name", "user_id"],
        "domain": [["name", "=like", f"{leads.prefix} %"]],
        "watchFields": ["stage_id"],
        "to": {"stage_id": leads.won["name"]},
    }

    def started(listener: Listener, _: Any) -> None:
        check = listener.check

        def counted(query: str) -> Any:
            posts.append(query)
            return check(query)

        listener.check = counted  # type: ignore[method-assign]
        ready.append(listener)

    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            run_listen(
                "recordWebhookTrigger",
                _connection(admin=True),
                inputs,
                listen=f"127.0.0.1:{port}",
                public_url=f"http://127.0.0.1:{port}/odoo",
                reconcile_interval=3600,
                state_path=tmp_path / "state.sqlite",
                sink=sink,
                install_signals=False,
                ready=started,
            )
        ),
        daemon=True,
    )
    thread.start()
    try:
        _wait(lambda: bool(ready) and ready[0].reconciles >= 1, timeout=60)
        leads.write(lead, expected_revenue=555)
        leads.write(lead, stage_id=leads.other["id"])
        _wait(lambda: len(posts) >= 1)
        time.sleep(1.5)
        assert len(posts) == 1 and sink.events == []  # one post (the stage), nothing emitted
        leads.write(lead, stage_id=leads.won["id"])
        _wait(lambda: bool(sink.events))
        [(branch, record)] = sink.events
        assert branch == "updated" and record["id"] == lead
        assert record["changes"] == _expected_change(leads)
    finally:
        if ready:
            ready[0].stop()
        thread.join(timeout=60)
    assert codes == [0]

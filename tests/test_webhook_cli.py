"""``odoo-connector watch recordWebhookTrigger --listen`` as a user runs it: a separate process,
the fake Odoo behind a real socket posting to its uvicorn, SIGTERM for a clean stop; and the
``--webhook`` sink's ``deleted`` branch."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("uvicorn", reason="the webhook extra: pip install -e '.[webhook]'")

from odoo_connector.runner.listen import WebhookEvents
from tests.fakes import FakeOdoo
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import Request, serve, serve_transport


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_watch_listen_emits_once_and_sigterm_removes_the_rules(tmp_path: Path) -> None:
    odoo = FakeOdoo()
    odoo.install_automation()
    port = _free_port()
    with serve_transport(odoo) as url:
        conn = tmp_path / "connection.json"
        conn.write_text(
            json.dumps({"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY})
        )
        command = [
            sys.executable,
            "-m",
            "odoo_connector.cli",
            "watch",
            "recordWebhookTrigger",
            "--input",
            '{"model": "res.partner", "fields": ["name"]}',
            "--listen",
            f"127.0.0.1:{port}",
            "--public-url",
            f"http://127.0.0.1:{port}/odoo",
            "--state",
            str(tmp_path / "state.sqlite"),
            "--connection",
            str(conn),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        logs: list[str] = []
        reader = threading.Thread(target=lambda: logs.extend(process.stderr or []), daemon=True)
        reader.start()
        try:
            end = time.monotonic() + 30
            while not any("reconciliation:" in line for line in logs):
                assert time.monotonic() < end and process.poll() is None, logs
                time.sleep(0.05)
            token = parse_qs(urlsplit(odoo.tables["ir.actions.server"][1]["webhook_url"]).query)["token"][0]
            odoo.webhook_copies = 3
            record = odoo.create("res.partner", name="Acme")
            assert process.stdout is not None
            created = json.loads(process.stdout.readline())
            odoo.unlink("res.partner", record)
            deleted = json.loads(process.stdout.readline())
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            rest = process.stdout.read()  # stderr is the reader thread's alone
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=5)
    stamp = odoo.now()
    assert created == {
        "branch": "created",
        "record": {"create_date": stamp, "id": record, "name": "Acme", "write_date": stamp},
    }
    assert deleted == {"branch": "deleted", "record": created["record"]}
    assert rest == ""  # the other two copies of each post emitted nothing
    assert process.returncode == 0
    assert odoo.rules() == [] and odoo.tables["ir.actions.server"] == {}
    assert any("unsubscribed: removed rules [1, 2]" in line for line in logs)
    assert all(token not in line for line in logs)


def test_the_webhook_sink_posts_every_branch_and_retries_a_busy_receiver() -> None:
    answers = iter([503, 200])
    received: list[Any] = []

    def respond(request: Request) -> tuple[int, dict[str, str], bytes]:
        received.append(json.loads(request.body))
        return next(answers), {}, b""

    with serve(respond) as (url, _):
        sink = WebhookEvents(f"{url}/in", backoff=0.01)
        events = {"created": [{"id": 1}], "updated": [], "deleted": [{"id": 2, "name": "Gone"}]}
        sink.deliver_events(events, threading.Event())
        sink.close()
    assert received == [events, events]

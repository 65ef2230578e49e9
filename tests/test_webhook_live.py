"""End to end on loopback: a real Odoo 19 posting to a real uvicorn on 127.0.0.1 (``pytest -m
live`` with the ODOO_* and ODOO_ADMIN_* variables; Odoo must run on this machine, since it posts
to 127.0.0.1). Skipped otherwise."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from odoo_connector import make_client, parse_connection
from odoo_connector.runner.listen import Listener, run_listen

pytestmark = pytest.mark.live


class ListEvents:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, Any]] = []

    def deliver_events(self, events: Any, stop: threading.Event) -> None:
        for branch in ("created", "updated", "deleted"):
            self.events += [(branch, r["id"], r.get("email")) for r in events.get(branch, [])]

    def describe(self) -> str:
        return "a list"

    def close(self) -> None:
        pass


def _admin() -> dict[str, Any]:
    names = ("ODOO_URL", "ODOO_DB", "ODOO_ADMIN_API_KEY")
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"live Odoo not configured: set {', '.join(missing)}")
    return {
        "type": "odooApiKey",
        "baseUrl": os.environ["ODOO_URL"],
        "database": os.environ["ODOO_DB"],
        "apiKey": os.environ["ODOO_ADMIN_API_KEY"],
    }


def _wait(condition: Any, timeout: float = 10.0) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "timed out"
        time.sleep(0.01)
    return time.monotonic() - start


def test_odoo_posts_a_create_an_update_and_a_delete_once_each_and_a_clean_stop_leaves_no_rule(
    tmp_path: Path,
) -> None:
    conn = _admin()
    prefix = f"oc-live-{secrets.token_hex(4)}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = ListEvents()
    ready: list[Listener] = []
    codes: list[int] = []
    inputs = {
        "model": "res.partner",
        "fields": ["name", "email"],
        "domain": [["name", "=like", f"{prefix}%"]],
    }

    def run() -> None:
        codes.append(
            run_listen(
                "recordWebhookTrigger",
                conn,
                inputs,
                listen=f"127.0.0.1:{port}",
                public_url=f"http://127.0.0.1:{port}/odoo",
                reconcile_interval=3600,
                state_path=tmp_path / "state.sqlite",
                sink=sink,
                install_signals=False,
                ready=lambda listener, _: ready.append(listener),
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    client = make_client(parse_connection(conn))
    partner = None
    try:
        _wait(lambda: bool(ready) and ready[0].reconciles >= 1, timeout=60)
        rule_ids = ready[0].store.load(ready[0].state_key)["ruleIds"]  # type: ignore[index]
        partner = client.call(
            "res.partner", "create", vals_list=[{"name": f"{prefix} A", "email": "a@x.test"}]
        )[0]
        _wait(lambda: len(sink.events) >= 1)
        time.sleep(1.1)
        client.call("res.partner", "write", [partner], vals={"email": "b@x.test"})
        _wait(lambda: len(sink.events) >= 2)
        client.call("res.partner", "unlink", [partner])
        partner = None
        _wait(lambda: len(sink.events) >= 3)
        time.sleep(1.0)  # the copies Odoo sends of each post arrive within milliseconds
        created_id = sink.events[0][1]
        assert sink.events == [
            ("created", created_id, "a@x.test"),
            ("updated", created_id, "b@x.test"),
            ("deleted", created_id, "b@x.test"),
        ]
    finally:
        if ready:
            ready[0].stop()
        thread.join(timeout=60)
        if partner is not None:
            client.call("res.partner", "unlink", [partner])
    assert codes == [0]
    assert client.call("base.automation", "search", domain=[["id", "in", rule_ids]]) == []
    client.close()

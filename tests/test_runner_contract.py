"""The handler contract of docs/runner.md: the documented Procrastinate task runs as written.

The Python block is taken from the document and executed, with Procrastinate's in-memory
connector standing in for PostgreSQL (the only substitution) and the platform's three functions
(load_flow, deliver, save_state) supplied by the test. The poll goes over a real socket to the
fake Odoo. Proven: the engine's queueing lock keeps one waiting job per trigger, each change is
delivered once, and the state is saved only after a delivery that returned.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import procrastinate
import pytest
from procrastinate.testing import InMemoryConnector

from tests.fakes import FakeOdoo
from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import serve_transport

DOC = Path(__file__).resolve().parents[1] / "docs" / "runner.md"


def documented_task() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/runner.md has one Python example"
    return blocks[0]


@dataclass
class Flow:
    connection: dict[str, Any]
    inputs: dict[str, Any]
    state: dict[str, Any] | None = None


def test_the_documented_task_delivers_each_change_once(monkeypatch: pytest.MonkeyPatch) -> None:
    odoo = FakeOdoo()
    before = odoo.create("res.partner", name="before")
    delivered: list[tuple[str, int]] = []
    failing = {"now": False}
    with serve_transport(odoo) as url:
        flow = Flow(
            {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY},
            {"model": "res.partner", "emitExisting": True},
        )

        def deliver(flow: Flow, created: list[dict[str, Any]], updated: list[dict[str, Any]]) -> None:
            if failing["now"]:
                raise ConnectionError("the receiver is down")
            delivered.extend(
                [("created", r["id"]) for r in created] + [("updated", r["id"]) for r in updated]
            )

        def save_state(trigger_id: str, state: dict[str, Any]) -> None:
            flow.state = state

        monkeypatch.setattr(procrastinate, "PsycopgConnector", lambda **_: InMemoryConnector())
        scope: dict[str, Any] = {
            "load_flow": lambda trigger_id: flow,
            "deliver": deliver,
            "save_state": save_state,
        }
        exec(compile(documented_task(), str(DOC), "exec"), scope)  # noqa: S102 (the documented example)
        app, schedule = scope["app"], scope["schedule"]

        async def work() -> None:
            await app.run_worker_async(wait=False, install_signal_handlers=False)

        async def scenario() -> int:
            async with app.open_async():
                await asyncio.to_thread(schedule, "acme-partners")
                await asyncio.to_thread(
                    schedule, "acme-partners"
                )  # already waiting: the queueing lock keeps one job
                assert len(app.connector.jobs) == 1
                await work()
                assert delivered == [("created", before)]

                odoo.advance(1)
                new = odoo.create("res.partner", name="new")
                failing["now"] = True  # the delivery fails: the state must not move
                saved = flow.state
                await asyncio.to_thread(schedule, "acme-partners")
                await work()
                assert flow.state == saved and delivered == [("created", before)]

                failing["now"] = False
                await asyncio.to_thread(schedule, "acme-partners")
                await work()
                await asyncio.to_thread(schedule, "acme-partners")
                await work()
                return new

        new = asyncio.run(scenario())
    assert delivered == [("created", before), ("created", new)]

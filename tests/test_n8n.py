"""A real n8n (1.123, from npm: tests/n8n_host.py) runs the package ``odoo-connector export n8n``
writes, calling a real ``odoo-connector serve``, against the stateful fake Odoo on a loopback
port. tests/test_n8n_live.py runs the same workflows against a real Odoo on both connections.
Where node and npm are missing these tests skip, saying what to install (a failure in CI)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.cli import main
from tests.fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo
from tests.fakes.server import serve_transport
from tests.n8n_host import N8n, connector_service, install, node_output, unflatten

TYPE = "CUSTOM"  # n8n's prefix for the node types it loads from N8N_CUSTOM_EXTENSIONS
CREDENTIAL_ID = {"odooApiKey": "odooCredApiKey01", "odooBasicAuth": "odooCredBasic001"}


def fake_odoo() -> FakeOdoo:
    odoo = FakeOdoo(
        models={
            "res.partner": {"email": "char"},
            "res.country": {"code": "char"},
            "crm.lead": {"email_from": "char", "partner_name": "char"},
        }
    )
    odoo.relate("res.partner", "country_id", "res.country")
    odoo.create("res.country", name="Belgium", code="BE")
    odoo.create("res.country", name="Belarus", code="BY")
    return odoo


def export_package(folder: Path) -> Path:
    assert main(["export", "n8n", str(folder)]) == 0
    return folder


class Host:
    """n8n, the connector service and one Odoo, wired as docs/n8n.md sets them up: the Odoo
    connections in n8n's credential store, the service's address and token in n8n's environment."""

    def __init__(self, n8n: N8n, connections: dict[str, dict[str, Any]], service_log: list[str]) -> None:
        self.n8n = n8n
        self.connections = connections
        self.service_log = service_log
        n8n.import_credentials(
            [
                {
                    "id": CREDENTIAL_ID[kind],
                    "name": f"Odoo {kind}",
                    "type": kind,
                    "data": {k: v for k, v in connection.items() if k != "type"},
                }
                for kind, connection in connections.items()
            ]
        )

    def polls(self) -> int:
        return sum('"/v1/poll"' in line or "/v1/poll" in line for line in self.service_log)


def host(stack: ExitStack, tmp: Path, prefix: Path, connections: dict[str, dict[str, Any]]) -> Host:
    service_log: list[str] = []
    service = stack.enter_context(connector_service(service_log))
    (tmp / "home").mkdir()
    n8n = N8n(prefix, tmp / "home", export_package(tmp / "package"), service)
    return Host(n8n, connections, service_log)


@pytest.fixture(scope="module")
def fake_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Host, FakeOdoo]]:
    prefix = install()
    odoo = fake_odoo()
    with ExitStack() as stack:
        url = stack.enter_context(serve_transport(odoo))
        base = {"baseUrl": url, "database": DATABASE}
        connections = {
            "odooApiKey": {"type": "odooApiKey", **base, "apiKey": API_KEY},
            "odooBasicAuth": {"type": "odooBasicAuth", **base, "username": LOGIN, "password": PASSWORD},
        }
        yield host(stack, tmp_path_factory.mktemp("n8n"), prefix, connections), odoo


# --- workflows, as a user writes them from describe and docs/n8n.md ----------------------------


def node(name: str, kind: str, parameters: dict[str, Any], x: int, credential: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": name,
        "type": kind,
        "typeVersion": 1,
        "position": [x, 0],
        "parameters": parameters,
    }
    if credential:
        out["credentials"] = {credential: {"id": CREDENTIAL_ID[credential], "name": f"Odoo {credential}"}}
    return out


def workflow(workflow_id: str, nodes: list[dict[str, Any]], output: int = 0) -> dict[str, Any]:
    first, second = nodes
    return {
        "id": workflow_id,
        "name": workflow_id,
        "active": False,
        "settings": {"executionOrder": "v1"},
        "nodes": nodes,
        "connections": {
            first["name"]: {"main": [[] for _ in range(output)] + [[{"node": second["name"], "type": "main", "index": 0}]]}
        },
    }


def schedule_to_list_records(workflow_id: str, kind: str) -> dict[str, Any]:
    """Written from ``describe`` alone: the operation is the manifest key, each parameter an
    input by its name, object and array inputs as JSON text."""
    schedule = node(
        "Every hour",
        "n8n-nodes-base.scheduleTrigger",
        {"rule": {"interval": [{"field": "hours", "hoursInterval": 1}]}},
        0,
    )
    schedule["typeVersion"] = 1.2
    parameters = {
        "authentication": kind,
        "operation": "listRecords",
        "model": "res.country",
        "domain": '[["code", "in", ["BE", "BY"]]]',
        "fields": '["name", "code"]',
        "order": "name asc",
    }
    return workflow(workflow_id, [schedule, node("List countries", f"{TYPE}.odooConnector", parameters, 300, kind)])


def test_a_workflow_written_from_describe_lists_records(fake_host):
    host, _ = fake_host
    for kind in host.connections:
        flow = schedule_to_list_records(f"listRecords{kind[4:]}", kind)
        host.n8n.import_workflow(flow)
        run = host.n8n.execute(flow["id"])
        [rows] = node_output(run["data"], "List countries")
        assert rows == [
            {"id": 2, "name": "Belarus", "code": "BY"},
            {"id": 1, "name": "Belgium", "code": "BE"},
        ], kind


def test_a_connector_error_stops_the_run_with_its_message_and_hint(fake_host):
    host, _ = fake_host
    flow = schedule_to_list_records("listRecordsBadInput", "odooApiKey")
    flow["nodes"][1]["parameters"]["model"] = "Not A Model"
    host.n8n.import_workflow(flow)
    run = host.n8n.cli("execute", f"--id={flow['id']}", "--rawOutput")
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert "Use the technical model name" in said  # the input's errorMessage from the manifest
    assert API_KEY not in said

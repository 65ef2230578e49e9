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
    odoo.add_model("ir.model", {"model": "char"})  # for the model picklist
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
        """How many polls the service answered (one log line per request)."""
        return sum("/v1/poll " in line for line in self.service_log)


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
        wired = host(stack, tmp_path_factory.mktemp("n8n"), prefix, connections)
        yield wired, odoo
        # seconds per n8n command in this run, for docs/n8n.md's figures
        (prefix / "last-run-seconds.json").write_text(json.dumps(wired.n8n.timings))


# --- workflows, as a user writes them from describe and docs/n8n.md ----------------------------


def node(
    name: str, kind: str, parameters: dict[str, Any], x: int, credential: str | None = None
) -> dict[str, Any]:
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
            first["name"]: {
                "main": [[] for _ in range(output)] + [[{"node": second["name"], "type": "main", "index": 0}]]
            }
        },
    }


def start_to_list_records(workflow_id: str, kind: str) -> dict[str, Any]:
    """Written from ``describe`` alone: the operation is the manifest key, each parameter an
    input by its name, object and array inputs as JSON text. A manual trigger: what
    ``n8n execute`` starts from."""
    start = node("Start", "n8n-nodes-base.manualTrigger", {}, 0)
    parameters = {
        "authentication": kind,
        "operation": "listRecords",
        "model": "res.country",
        "domain": '[["code", "in", ["BE", "BY"]]]',
        "fields": '["name", "code"]',
        "order": "name asc",
    }
    return workflow(
        workflow_id, [start, node("List countries", f"{TYPE}.odooConnector", parameters, 300, kind)]
    )


def test_a_workflow_written_from_describe_lists_records(fake_host):
    host, _ = fake_host
    for kind in host.connections:
        flow = start_to_list_records(f"list{kind[4:]}", kind)
        host.n8n.import_workflow(flow)
        run = host.n8n.execute(flow["id"])
        [rows] = node_output(run["data"], "List countries")
        assert rows == [
            {"id": 2, "name": "Belarus", "code": "BY"},
            {"id": 1, "name": "Belgium", "code": "BE"},
        ], kind


def test_a_connector_error_stops_the_run_with_its_message_and_hint(fake_host):
    host, _ = fake_host
    flow = start_to_list_records("listBadInput", "odooApiKey")
    flow["nodes"][1]["parameters"]["model"] = "Not A Model"
    host.n8n.import_workflow(flow)
    run = host.n8n.cli("execute", f"--id={flow['id']}", "--rawOutput")
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert "Use the technical model name" in said  # the input's errorMessage from the manifest
    assert API_KEY not in said


# --- the poll trigger, with a model and a record picked as the editor picks them ---------------

ACTION, TRIGGER = f"{TYPE}.odooConnector", f"{TYPE}.odooConnectorTrigger"


def listed(value: str) -> dict[str, Any]:
    """A picker's value as n8n's editor stores it: a resource locator in list mode."""
    return {"__rl": True, "mode": "list", "value": value}


def editor_call(rest: httpx.Client, path: str, kind: str, node_type: str, body: dict[str, Any]) -> Any:
    """What the editor asks n8n while a user fills a node: n8n runs the node's method."""
    answer = rest.post(
        f"/rest/dynamic-node-parameters/{path}",
        json={
            "nodeTypeAndVersion": {"name": node_type, "version": 1},
            "credentials": {kind: {"id": CREDENTIAL_ID[kind], "name": f"Odoo {kind}"}},
            **body,
            "currentNodeParameters": {"authentication": kind, **body["currentNodeParameters"]},
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def search(
    rest: httpx.Client,
    kind: str,
    node_type: str,
    parameter: str,
    method: str,
    parameters: dict[str, Any],
    text: str,
) -> dict[str, str]:
    """The options a picker shows after the user typed ``text``, label → key."""
    data = editor_call(
        rest,
        "resource-locator-results",
        kind,
        node_type,
        {
            "path": f"parameters.{parameter}",
            "methodName": method,
            "currentNodeParameters": parameters,
            "filter": text,
        },
    )
    return {option["name"]: option["value"] for option in data["results"]}


def pick(rest: httpx.Client, kind: str, names: dict[str, str]) -> dict[str, Any]:
    """The lead model, the partner model and a country record, picked through the node's
    pickers; the partner model's form through the resource mapper."""
    leads = search(
        rest, kind, TRIGGER, "model", "selectModel", {"trigger": "pollChangesTrigger"}, names["crm.lead"]
    )
    partners = search(
        rest, kind, ACTION, "model", "selectModel", {"operation": "upsertRecord"}, names["res.partner"]
    )
    assert "crm.lead" in leads.values() and "res.partner" in partners.values(), (leads, partners)
    # the record picker waits for the form's model and searches on the server as the user types
    countries = search(
        rest,
        kind,
        ACTION,
        "recordId",
        "selectRecordById",
        {"operation": "getRecordById", "model": listed("res.country")},
        "Belg",
    )
    assert list(countries) == ["Belgium"], countries
    form = editor_call(
        rest,
        "resource-mapper-fields",
        kind,
        ACTION,
        {
            "path": "parameters.parameters",
            "methodName": "modelFormCreate",
            "currentNodeParameters": {"operation": "createRecord", "model": listed("res.partner")},
        },
    )
    fields = {field["id"]: field for field in form["fields"]}
    assert fields["email"]["type"] == "string" and fields["country_id"]["type"] == "number"
    return {"lead": "crm.lead", "partner": "res.partner", "country": int(countries["Belgium"])}


def poll_to_upsert(workflow_id: str, kind: str, picked: dict[str, Any], leads: list[str]) -> dict[str, Any]:
    trigger = node(
        "New lead",
        TRIGGER,
        {
            "pollTimes": {"item": [{"mode": "everyHour"}]},
            "authentication": kind,
            "trigger": "pollChangesTrigger",
            "model": listed(picked["lead"]),
            # only this test's leads: a live Odoo holds others' too
            "domain": json.dumps([["name", "in", leads]]),
            "fields": '["name", "email_from", "partner_name"]',
            "emitExisting": True,
        },
        0,
        kind,
    )
    values = (
        "={{ JSON.stringify({ name: $json.partner_name, email: $json.email_from, country_id: "
        f"{picked['country']}" + " }) }}"
    )
    upsert = node(
        "Contact by email",
        ACTION,
        {
            "authentication": kind,
            "operation": "upsertRecord",
            "model": listed(picked["partner"]),
            "parameters": values,
            "matchFields": '["email"]',
        },
        300,
        kind,
    )
    return {**workflow(workflow_id, [trigger, upsert]), "active": True}


def runs(host: Host, workflow_id: str, count: int, polls: int, timeout: float = 120) -> list[dict[str, Any]]:
    """The workflow's finished runs once there are ``count`` and the service answered ``polls``
    polls (n8n polls once when it activates the workflow), and nothing more came for 3 s."""
    deadline = time.monotonic() + timeout
    while True:
        done = [
            r for r in host.n8n.executions(workflow_id) if r["status"] not in ("new", "running", "waiting")
        ]
        if len(done) >= count and host.polls() >= polls:
            time.sleep(3)
            done = [
                r
                for r in host.n8n.executions(workflow_id)
                if r["status"] not in ("new", "running", "waiting")
            ]
            return [{**r, "data": unflatten(r["data"])} for r in done]
        assert time.monotonic() < deadline, (
            done,
            host.polls(),
            (host.n8n.home / "start.log").read_text()[-3000:],
        )
        time.sleep(0.5)


def created_leads(run: dict[str, Any]) -> list[str]:
    created, _updated, *_archive_branches = node_output(run["data"], "New lead")
    return [lead["name"] for lead in created]


def check_poll_to_upsert(host: Host, kind: str, names: dict[str, str], prefix: str, partners: Any) -> None:
    """Poll trigger → upsertRecord, n8n started three times: the first poll emits the lead, the
    second nothing (the state n8n stored says it was seen), the third only the new lead."""
    connection = host.connections[kind]
    with host.n8n.started() as rest:
        picked = pick(rest, kind, names)
    names = [f"{prefix}-lead-1-{kind}", f"{prefix}-lead-2-{kind}"]
    # n8n saves static data only for a workflow id of at most 16 characters
    flow = poll_to_upsert(f"poll{kind[4:]}", kind, picked, names)
    host.n8n.import_workflow(flow, active=True)
    email = f"{prefix}-ada-{kind.lower()}@example.com"
    lead = {"name": names[0], "email_from": email, "partner_name": f"{prefix} Ada {kind}"}
    invoke("createRecord", connection, {"model": "crm.lead", "parameters": lead})

    polls = host.polls()
    with host.n8n.started():
        [first] = runs(host, flow["id"], 1, polls + 1)
    assert first["status"] == "success", first["data"]["resultData"].get("error")
    assert created_leads(first) == [lead["name"]]
    [contact] = partners(email)
    assert contact["name"] == lead["partner_name"]
    assert contact["country_id"][0] == picked["country"]

    with host.n8n.started():  # nothing new in Odoo: the stored state emits nothing
        second = runs(host, flow["id"], 1, polls + 2)
        assert len(second) == 1, ([created_leads(r) for r in second], host.n8n.static_data(flow["id"]))

    again = {**lead, "name": names[1]}
    invoke("createRecord", connection, {"model": "crm.lead", "parameters": again})
    with host.n8n.started():
        later = runs(host, flow["id"], 2, polls + 3)
    assert len(later) == 2 and created_leads(later[1]) == [again["name"]], [created_leads(r) for r in later]
    assert len(partners(email)) == 1  # the same contact, matched by email, not a second one
    host.n8n.cli("update:workflow", f"--id={flow['id']}", "--active=false")


@pytest.mark.parametrize("kind", ["odooApiKey", "odooBasicAuth"])
def test_the_poll_trigger_upserts_a_contact_with_values_picked_in_the_editor(fake_host, kind):
    host, _ = fake_host

    def partners(email: str) -> list[dict[str, Any]]:
        found = invoke(
            "listRecords",
            host.connections["odooApiKey"],
            {"model": "res.partner", "domain": [["email", "=", email]], "fields": ["name", "country_id"]},
        )
        return list(found["data"])

    check_poll_to_upsert(host, kind, {"crm.lead": "Lead", "res.partner": "Partner"}, "oc-test", partners)


# --- the resource mapper ----------------------------------------------------------------------


def create_contact_flow() -> dict[str, Any]:
    """createRecord with the model's form filled in the resource mapper, stored as the editor
    stores it (mapping mode, values, the fields' schema)."""
    start = node("Start", "n8n-nodes-base.manualTrigger", {}, 0)
    create = node(
        "Create contact",
        ACTION,
        {
            "authentication": "odooApiKey",
            "operation": "createRecord",
            "model": listed("res.partner"),
            "parameters": {
                "mappingMode": "defineBelow",
                "value": {"name": "Ada Lovelace", "email": "ada@example.com", "country_id": 1},
                "matchingColumns": [],
                "schema": [
                    {
                        "id": "name",
                        "displayName": "Name",
                        "type": "string",
                        "display": True,
                        "required": False,
                        "defaultMatch": False,
                    },
                    {
                        "id": "email",
                        "displayName": "Email",
                        "type": "string",
                        "display": True,
                        "required": False,
                        "defaultMatch": False,
                    },
                    {
                        "id": "country_id",
                        "displayName": "Country Id",
                        "type": "number",
                        "display": True,
                        "required": False,
                        "defaultMatch": False,
                    },
                ],
            },
        },
        300,
        "odooApiKey",
    )
    return workflow("editorShot", [start, create])


def test_values_of_the_model_form_in_the_resource_mapper_create_the_record(fake_host):
    host, _ = fake_host
    flow = create_contact_flow()
    host.n8n.import_workflow(flow)
    [[created]] = node_output(host.n8n.execute(flow["id"])["data"], "Create contact")
    record = invoke(
        "getRecordById",
        host.connections["odooApiKey"],
        {"model": "res.partner", "recordId": created["data"], "fields": ["name", "email", "country_id"]},
    )["data"]
    assert (record["name"], record["email"], record["country_id"][0]) == (
        "Ada Lovelace",
        "ada@example.com",
        1,
    )

"""`odoo-connector serve` as a non-Python host runs it: a real uvicorn in another process on a
loopback port, called over HTTP with its bearer token, against the stateful fake Odoo on its own
loopback socket. Each answer must be what the CLI prints for the same call (the same envelope, the
same error object and exit code), with the status docs/serve.md tables; a refused request must
reach neither the connector nor Odoo; nothing secret may reach the server's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from odoo_connector.cli import main
from tests.fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo
from tests.fakes.server import serve, serve_transport

pytest.importorskip("uvicorn", reason="the webhook extra: pip install -e '.[webhook]'")

ROOT = Path(__file__).parent.parent
TOKEN = "serve-test-token-0123456789abcdef"
HOOK_URL = "https://hooks.example.com/n8n/webhook/abc"


class Service:
    """``odoo-connector serve --port 0`` in a subprocess; its stderr goes to a file the test reads."""

    def __init__(self, log: Path, *args: str, token: str | None = TOKEN) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO_")}
        env.update(ODOO_CONNECTOR_FIELDS_CACHE="off", PYTHONPATH=str(ROOT))
        if token is not None:
            env["ODOO_CONNECTOR_TOKEN"] = token
        self.log = log
        self._stderr = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "odoo_connector.cli", "serve", "--port", "0", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        deadline = time.monotonic() + 60
        while not log.read_text().strip():
            assert self.proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the service did not announce its address"
            time.sleep(0.05)
        self.url = json.loads(log.read_text().splitlines()[0])["serve"]["url"]
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._stderr.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service for the module: the connection travels in each body, so each test brings its
    own fake Odoo."""
    running = Service(tmp_path_factory.mktemp("serve") / "serve.log")
    yield running
    running.stop()


def fake_odoo() -> FakeOdoo:
    odoo = FakeOdoo(models={"res.partner": {"email": "char"}})
    odoo.add_model("ir.model", {"model": "char"})  # for the model picklist
    odoo.create("res.partner", name="Ada", email="ada@example.com")
    odoo.create("res.partner", name="Grace", email="grace@example.com")
    return odoo


@pytest.fixture
def odoo() -> FakeOdoo:
    return fake_odoo()


@pytest.fixture
def connection(odoo: FakeOdoo) -> Iterator[dict[str, Any]]:
    with serve_transport(odoo) as url:
        yield {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}


def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, connection: dict[str, Any], *argv: str) -> Any:
    """What the CLI prints for the same call: (exit code, stdout JSON or None, error line or None)."""
    path = tmp_path / "connection.json"
    path.write_text(json.dumps(connection))
    capsys.readouterr()
    code = main([*argv, "--connection", str(path)])
    out, err = capsys.readouterr()
    error = json.loads(err.splitlines()[-1])["error"] if code else None
    return code, (json.loads(out) if out.strip() else None), error


def test_health_needs_no_token_and_describe_is_what_the_cli_prints(service, capsys):
    health = httpx.get(f"{service.url}/v1/health", timeout=30)
    assert health.status_code == 200 and health.json()["ok"] is True
    assert main(["describe"]) == 0
    printed = json.loads(capsys.readouterr().out)
    answer = service.http.get("/v1/describe")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json() == printed
    assert health.json()["version"] == printed["version"]


def test_run_list_records_and_a_data_source_answer_the_cli_envelope(
    service, odoo, connection, capsys, tmp_path
):
    inputs = {"model": "res.partner", "fields": ["name", "email"], "limit": "5"}  # text, as a form sends
    answer = service.post("/v1/run", {"key": "listRecords", "connection": connection, "inputs": inputs})
    assert answer.status_code == 200
    code, printed, _ = cli(capsys, tmp_path, connection, "run", "listRecords", "--input", json.dumps(inputs))
    assert code == 0 and answer.json() == printed
    assert [r["name"] for r in answer.json()["data"]] == ["Ada", "Grace"]

    picked = service.post("/v1/run", {"key": "selectModel", "connection": connection, "inputs": {}})
    assert picked.status_code == 200
    code, printed, _ = cli(capsys, tmp_path, connection, "picklist", "selectModel")
    assert code == 0 and picked.json() == printed
    assert "res.partner" in [o["key"] for o in picked.json()["data"]]


@pytest.mark.parametrize(
    ("key", "inputs", "status", "exit_code", "kind"),
    [
        ("listRecords", {"model": "res.partner", "limit": "many"}, 400, 2, "InputError"),
        ("listRecords", {"model": "Not A Model"}, 400, 2, "InputError"),
        ("noSuchKey", {}, 400, 2, "InputError"),
    ],
)
def test_a_bad_input_is_the_cli_error_with_its_exit_code_and_sends_nothing(
    service, odoo, connection, capsys, tmp_path, key, inputs, status, exit_code, kind
):
    before = len(odoo.calls)
    answer = service.post("/v1/run", {"key": key, "connection": connection, "inputs": inputs})
    assert len(odoo.calls) == before  # refused before any request left the service
    code, _, printed = cli(capsys, tmp_path, connection, "run", key, "--input", json.dumps(inputs))
    assert (answer.status_code, answer.json()) == (status, {"error": printed, "exitCode": code})
    assert (code, printed["type"]) == (exit_code, kind)


def test_a_trigger_on_run_and_a_broken_connection_are_refused_before_sending(service, odoo, connection):
    before = len(odoo.calls)
    trigger = service.post("/v1/run", {"key": "pollChangesTrigger", "connection": connection, "inputs": {}})
    assert trigger.status_code == 400 and "/v1/poll" in trigger.json()["error"]["message"]
    broken = {k: v for k, v in connection.items() if k != "apiKey"}
    refused = service.post("/v1/run", {"key": "listModels", "connection": broken, "inputs": {}})
    assert refused.status_code == 400
    assert refused.json()["exitCode"] == 3 and refused.json()["error"]["type"] == "ConnectionSettingsError"
    assert len(odoo.calls) == before


def test_odoo_errors_map_to_the_documented_statuses(service, odoo, connection):
    def run(conn: dict[str, Any], key: str, inputs: dict[str, Any]) -> tuple[int, int, str]:
        answer = service.post("/v1/run", {"key": key, "connection": conn, "inputs": inputs})
        return answer.status_code, answer.json()["exitCode"], answer.json()["error"]["type"]

    wrong_key = {**connection, "apiKey": "not-the-key-0123456789"}
    assert run(wrong_key, "listModels", {}) == (401, 3, "AuthenticationError")
    missing = {"model": "res.partner", "recordId": 999}
    assert run(connection, "getRecordById", missing) == (404, 4, "NotFoundError")
    odoo.fail_on("search_read", kind="access")
    assert run(connection, "listRecords", {"model": "res.partner"}) == (403, 4, "AccessDeniedError")
    odoo.fail_on("search_read", kind="server")
    assert run(connection, "listRecords", {"model": "res.partner"}) == (502, 5, "ServerError")
    with serve(lambda request: None) as (url, _):  # accepts, never answers
        silent = {**connection, "baseUrl": url, "timeout": 1}
        assert run(silent, "listRecords", {"model": "res.partner"}) == (504, 5, "TransportError")
    closed = {**connection, "baseUrl": "http://127.0.0.1:9"}  # discard port: nothing listens
    assert run(closed, "listRecords", {"model": "res.partner"}) == (502, 5, "TransportError")


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789abcdef", f"Basic {TOKEN}", TOKEN])
def test_a_missing_or_wrong_token_is_401_and_runs_nothing(service, odoo, connection, header):
    before = len(odoo.calls)
    headers = {"Authorization": header} if header else {}
    body = {"key": "listRecords", "connection": connection, "inputs": {"model": "res.partner"}}
    for method, path in (("POST", "/v1/run"), ("GET", "/v1/describe"), ("POST", "/v1/nowhere")):
        answer = httpx.request(method, f"{service.url}{path}", json=body, headers=headers, timeout=30)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["type"] == "ServiceTokenError" and answer.json()["exitCode"] == 3
    assert len(odoo.calls) == before


def test_the_service_refuses_what_is_not_a_json_object_and_unknown_paths(service, odoo, connection):
    body = json.dumps({"key": "listModels", "connection": connection}).encode()
    as_text = service.http.post("/v1/run", content=body, headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 415 and as_text.json()["error"]["type"] == "InputError"
    assert (
        service.http.post("/v1/run", content=b"[1]", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert (
        service.http.post("/v1/run", content=b"{", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    unknown = service.http.get("/v1/nowhere")
    assert unknown.status_code == 404 and unknown.json()["exitCode"] == 2
    assert service.http.get("/v1/run").status_code == 405
    assert len(odoo.calls) == 0 or all(call[1] != "search_read" for call in odoo.calls)


def test_a_body_over_the_limit_is_413(tmp_path, odoo, connection):
    small = Service(tmp_path / "serve.log", "--max-body-mb", "0.001")  # 1048 bytes
    try:
        before = len(odoo.calls)
        big = {
            "key": "listRecords",
            "connection": connection,
            "inputs": {"model": "res.partner", "x": "a" * 2000},
        }
        answer = small.post("/v1/run", big)
        assert answer.status_code == 413 and answer.json()["exitCode"] == 2
        chunked = small.http.post(  # no Content-Length: counted as it arrives
            "/v1/run",
            content=iter([json.dumps(big).encode()]),
            headers={"Content-Type": "application/json"},
        )
        assert chunked.status_code == 413
        assert len(odoo.calls) == before
        fits = small.post(
            "/v1/run", {"key": "listRecords", "connection": connection, "inputs": {"model": "res.partner"}}
        )
        assert fits.status_code == 200
    finally:
        small.stop()


def test_poll_with_its_state_emits_each_change_once_and_again_from_an_unsaved_state(
    service, odoo, connection, capsys, tmp_path
):
    body: dict[str, Any] = {
        "key": "pollChangesTrigger",
        "connection": connection,
        "inputs": {"model": "res.partner", "fields": ["name"]},
        "state": None,
    }
    first = service.post("/v1/poll", body)
    assert first.status_code == 200 and first.json()["polledNoChanges"] is True  # the baseline
    odoo.advance(5)
    new_id = odoo.create("res.partner", name="Hedy")
    odoo.advance(5)
    second = service.post("/v1/poll", {**body, "state": first.json()["state"]})
    assert [r["id"] for r in second.json()["data"]["created"]] == [new_id]
    # The host saves the state only after it accepted the events: from the unsaved (older)
    # state, the same poll gives the same event again, so a crash loses nothing ...
    again = service.post("/v1/poll", {**body, "state": first.json()["state"]})
    assert [r["id"] for r in again.json()["data"]["created"]] == [new_id]
    # ... and from the saved one, nothing new.
    third = service.post("/v1/poll", {**body, "state": second.json()["state"]})
    assert third.status_code == 200
    assert third.json()["polledNoChanges"] is True and third.json()["data"]["created"] == []
    # what `poll --state FILE` prints from that same state
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(second.json()["state"]))
    code, printed, _ = cli(
        capsys,
        tmp_path,
        connection,
        "poll",
        "pollChangesTrigger",
        "--input",
        json.dumps(body["inputs"]),
        "--state",
        str(state_file),
    )
    assert code == 0 and printed["data"] == third.json()["data"]
    refused = service.post("/v1/poll", {**body, "state": "yesterday"})
    assert refused.status_code == 400 and refused.json()["error"]["path"] == "state"


def test_the_webhook_lifecycle_round_trip(service, odoo, connection):
    odoo.install_automation()
    posts: list[tuple[str, bytes]] = []
    odoo.send_webhook = lambda url, body: posts.append((url, body))
    inputs = {"model": "res.partner", "fields": ["name", "email"]}
    base = {"key": "recordWebhookTrigger", "connection": connection}

    subscribed = service.post("/v1/webhook/subscribe", {**base, "inputs": inputs, "webhookUrl": HOOK_URL})
    assert subscribed.status_code == 200, subscribed.text
    state = subscribed.json()["state"]
    assert len(odoo.rules()) == 2 and state["url"] == HOOK_URL
    exists = service.post("/v1/webhook/exists", {**base, "state": state})
    assert exists.json() == {"data": {"exists": True, "missingRuleIds": [], "missingActionIds": []}}

    new_id = odoo.create("res.partner", name="Hedy", email="hedy@example.com")
    [(url, body)] = posts  # the fake's Odoo posted once to the host's URL
    query = url.split("?", 1)[1]
    request = {"method": "POST", "headers": {"content-type": "application/json"}, "query": query}
    received = service.post(
        "/v1/webhook/receive",
        {**base, "inputs": inputs, "state": state, "request": {**request, "body": body.decode()}},
    )
    assert received.status_code == 200, received.text
    assert [(r["id"], r["name"]) for r in received.json()["data"]["created"]] == [(new_id, "Hedy")]
    state = received.json()["state"]
    # the same post again (Odoo sends copies), as parsed query parameters and a parsed body: dropped
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    copy = service.post(
        "/v1/webhook/receive",
        {**base, "state": state, "request": {"query": params, "body": json.loads(body)}},
    )
    assert copy.status_code == 200 and copy.json()["polledNoChanges"] is True
    # without the subscription's secret: 401, as the lifecycle spec says, and nothing read
    before = len(odoo.calls)
    forged = service.post(
        "/v1/webhook/receive",
        {**base, "state": state, "request": {"query": "event=change", "body": body.decode()}},
    )
    assert forged.status_code == 401 and forged.json()["error"]["type"] == "Unauthorized"
    not_odoo = service.post(
        "/v1/webhook/receive", {**base, "state": state, "request": {"query": query, "body": "{}"}}
    )
    assert not_odoo.status_code == 400
    assert len(odoo.calls) == before
    # the reconciliation poll runs on /v1/poll with the subscription state
    reconciled = service.post("/v1/poll", {**base, "inputs": inputs, "state": state})
    assert reconciled.status_code == 200 and reconciled.json()["polledNoChanges"] is True

    removed = service.post("/v1/webhook/unsubscribe", {**base, "state": state})
    assert removed.json() == {"data": {"ruleIds": state["ruleIds"], "actionIds": state["actionIds"]}}
    assert odoo.rules() == []
    gone = service.post("/v1/webhook/exists", {**base, "state": state})
    assert gone.json()["data"]["exists"] is False
    again = service.post("/v1/webhook/unsubscribe", {**base, "state": state})  # idempotent
    assert again.json() == {"data": {"ruleIds": [], "actionIds": []}}
    polled_only = service.post("/v1/webhook/exists", {**base, "key": "pollChangesTrigger", "state": state})
    assert polled_only.status_code == 400 and "/v1/poll" in polled_only.json()["error"]["hint"]


def test_receive_answers_503_when_odoo_cannot_be_reached(service, odoo, connection):
    odoo.install_automation()
    posts: list[tuple[str, bytes]] = []
    odoo.send_webhook = lambda url, body: posts.append((url, body))
    base = {"key": "recordWebhookTrigger", "connection": connection}
    state = service.post(
        "/v1/webhook/subscribe", {**base, "inputs": {"model": "res.partner"}, "webhookUrl": HOOK_URL}
    ).json()["state"]
    odoo.create("res.partner", name="Hedy")
    [(url, body)] = posts
    down = {**connection, "baseUrl": "http://127.0.0.1:9"}
    request = {"query": url.split("?", 1)[1], "body": body.decode()}
    answer = service.post(
        "/v1/webhook/receive", {**base, "connection": down, "state": state, "request": request}
    )
    assert answer.status_code == 503 and answer.json()["error"]["type"] == "TransportError"


def test_no_secret_reaches_the_server_output(tmp_path, odoo, connection):
    running = Service(tmp_path / "serve.log", "--debug")
    try:
        basic = {k: v for k, v in connection.items() if k != "apiKey"}
        basic.update(type="odooBasicAuth", username=LOGIN, password=PASSWORD)
        for conn in (connection, basic):
            listed = {"key": "listRecords", "connection": conn, "inputs": {"model": "res.partner"}}
            assert running.post("/v1/run", listed).status_code == 200
            odoo.fail_on("search_read", kind="server")
            failed = running.post(
                "/v1/run", {"key": "listRecords", "connection": conn, "inputs": {"model": "res.partner"}}
            )
            assert failed.status_code == 502
            wrong = {
                **conn,
                **({"apiKey": API_KEY + "x"} if "apiKey" in conn else {"password": PASSWORD + "x"}),
            }
            assert running.post("/v1/run", {"key": "listModels", "connection": wrong}).status_code == 401
        running.post("/v1/run", {"key": "listModels", "connection": connection, "inputs": {"x": API_KEY}})
        marked = {"model": "res.partner", "domain": [["name", "=", "body-marker-7f3a"]]}
        assert running.post(
            "/v1/run", {"key": "listRecords", "connection": connection, "inputs": marked}
        ).is_success
    finally:
        running.stop()
    output = running.output()
    assert "/v1/run listRecords → 200" in output  # the log lines are there ...
    for secret in (API_KEY, PASSWORD, TOKEN):
        assert secret not in output  # ... without a key, a password or the token
    assert "body-marker-7f3a" not in output  # no body is logged (redaction is only the net under that)


def test_without_a_token_it_refuses_to_start_with_exit_3(tmp_path):
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "ODOO_CONNECTOR_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "odoo_connector.cli", "serve", "--port", "0"],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 3, done.stderr
    error = json.loads(done.stderr.decode().splitlines()[-1])["error"]
    assert error["type"] == "ConfigurationError" and "ODOO_CONNECTOR_TOKEN" in error["hint"]
    assert not log.exists()


@pytest.mark.parametrize(
    ("argv", "variable", "file_text", "words"),
    [
        ([], "k3y9", None, "shorter than 16"),
        (["--token-file", "{file}"], TOKEN, "", "holds none"),
        (["--token-file", "{file}/missing"], TOKEN, None, "Cannot read the token file"),
        (["--host", "192.0.2.1"], TOKEN, None, "not a loopback address"),
    ],
)
def test_a_bad_token_or_a_remote_host_exits_3_before_listening(
    monkeypatch, capsys, tmp_path, argv, variable, file_text, words
):
    monkeypatch.setenv("ODOO_CONNECTOR_TOKEN", variable)
    file = tmp_path / "token"
    if file_text is not None:
        file.write_text(file_text)
    assert main(["serve", "--port", "0", *(a.replace("{file}", str(file)) for a in argv)]) == 3
    out = capsys.readouterr()
    assert words in json.loads(out.err.splitlines()[-1])["error"]["message"]
    assert variable not in out.err and "<redacted>" not in out.err


def test_a_token_file_is_read_and_wins_over_the_variable(tmp_path, odoo, connection):
    file = tmp_path / "token"
    file.write_text(TOKEN + "\n")
    running = Service(
        tmp_path / "serve.log", "--token-file", str(file), token="another-token-0123456789abcdef"
    )
    try:
        assert running.http.get("/v1/describe").status_code == 200  # sends TOKEN, the file's
    finally:
        running.stop()


def test_without_the_extra_it_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the webhook extra were not installed
    monkeypatch.setenv("ODOO_CONNECTOR_TOKEN", TOKEN)
    assert main(["serve"]) == 3
    error = json.loads(capsys.readouterr().err.splitlines()[-1])["error"]
    assert error["type"] == "MissingExtraError" and "[webhook]" in error["hint"]

"""The command line: manifest commands, input forms, exit codes by error kind, secrets kept out."""

from __future__ import annotations

import io
import json
import logging
import secrets

import httpx
import pytest

import odoo_connector.client as client_module
from odoo_connector.cli import main
from odoo_connector.client import make_client
from odoo_connector.manifest import load_manifest
from tests.fakes import jsonrpc_answer, jsonrpc_fault, jsonrpc_params

KEY = secrets.token_hex(20)  # shaped like an Odoo API key, made per run
PASSWORD = "correct horse battery staple"


@pytest.fixture
def env(no_odoo_env):
    monkeypatch = no_odoo_env
    monkeypatch.setenv("ODOO_URL", "http://odoo.test")
    monkeypatch.setenv("ODOO_DB", "odoo19")
    monkeypatch.setenv("ODOO_API_KEY", KEY)
    return monkeypatch


def serve(monkeypatch, handler):
    """Routes the CLI's clients to ``handler`` instead of the network."""

    def make(connection, **options):
        transport = httpx.MockTransport(handler)
        if connection.type == "odooApiKey":
            return make_client(connection, http_transport=transport, **options)
        return make_client(connection, http_transport=transport, **options)

    monkeypatch.setattr(client_module, "make_client", make)


def test_validate_passes(capsys):
    assert main(["validate"]) == 0
    units = sum(1 for _ in load_manifest().units())
    assert json.loads(capsys.readouterr().out) == {"ok": True, "connections": 2, "units": units}


def test_describe_is_json_with_every_key(capsys):
    assert main(["describe"]) == 0
    described = json.loads(capsys.readouterr().out)
    keys = {u["key"] for g in ("actions", "dataSources", "triggers") for u in described[g]}
    assert keys == {u.key for u in load_manifest().units()} and "pollChangesTrigger" in keys


def test_run_prints_the_envelope_and_reads_input_from_file_and_stdin(env, tmp_path, capsys):
    sent: list[dict] = []

    def handler(request):
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=[{"id": 1, "name": "Acme"}])

    serve(env, handler)
    assert (
        main(["run", "listRecords", "--input", '{"model": "res.partner", "limit": "5", "fields": ["name"]}'])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {"data": [{"id": 1, "name": "Acme"}]}
    file = tmp_path / "in.json"
    file.write_text('{"model": "res.partner", "recordId": 1, "fields": ["name"]}')
    assert main(["run", "getRecordById", "--input", f"@{file}"]) == 0
    env.setattr("sys.stdin", io.StringIO('{"model": "res.partner", "limit": 2, "fields": ["name"]}'))
    assert main(["run", "listRecords", "--input", "-"]) == 0
    assert [s.get("limit") for s in sent] == [5, None, 2]


def test_run_jsonl_streams_pages(env, capsys):
    table = [{"id": i} for i in (1, 2, 3, 4)]
    asked: list[dict] = []

    def search_read(request):
        body = json.loads(request.content)
        asked.append(body)
        after = next((term[2] for term in body["domain"] if term[:2] == ["id", ">"]), 0)
        return httpx.Response(200, json=[r for r in table if r["id"] > after][: body["limit"]])

    serve(env, search_read)
    assert (
        main(
            [
                "run",
                "listRecords",
                "--jsonl",
                "--quiet",
                "--input",
                '{"model": "res.partner", "fields": ["id"], "fetchAll": true, "pageSize": 2}',
            ]
        )
        == 0
    )
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == [1, 2, 3, 4]
    # two pages of two: the extra row asked for tells that no third request is needed
    assert [(b["domain"], b["limit"]) for b in asked] == [([], 3), ([["id", ">", 2]], 3)]


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, {"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"}, 3),
        (403, {"name": "odoo.exceptions.AccessError", "message": "no"}, 4),
        (404, {"name": "odoo.exceptions.MissingError", "message": "Record does not exist"}, 4),
        (422, {"name": "odoo.exceptions.ValidationError", "message": "bad value"}, 2),
        (500, {"name": "builtins.RuntimeError", "message": "boom"}, 5),
    ],
)
def test_exit_code_by_error_kind(env, capsys, status, body, code):
    serve(env, lambda request: httpx.Response(status, json={**body, "debug": "Traceback ..."}))
    assert (
        main(
            [
                "run",
                "updateRecord",
                "--input",
                '{"model": "res.partner", "recordId": 1, "parameters": {"name": "x"}}',
            ]
        )
        == code
    )
    error = json.loads(capsys.readouterr().err)["error"]
    assert body["message"] in error["message"] and "detail" not in error


def test_bad_input_exits_2_before_any_request(env, capsys):
    serve(env, lambda request: pytest.fail("request sent"))
    assert main(["run", "getRecordById", "--input", '{"model": "res.partner", "recordId": 0}']) == 2
    assert main(["run", "getRecordById", "--input", "{not json"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_transport_failure_exits_5(env, capsys):
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    serve(env, refuse)
    assert main(["run", "getRecordById", "--input", '{"model": "res.partner", "recordId": 1}']) == 5
    assert "Could not connect to http://odoo.test" in capsys.readouterr().err


def test_missing_connection_says_which_variables(no_odoo_env, capsys):
    assert main(["check"]) == 3  # configuration: the connection is what needs fixing
    assert "ODOO_URL" in capsys.readouterr().err


def test_check_refuses_api_key_connection_to_an_old_odoo(env, capsys):
    """Odoo 17 has neither JSON-2 nor /web/version; its JSON-RPC version() says what it is."""

    def odoo17(request):
        if request.url.path == "/jsonrpc" and jsonrpc_params(request)["method"] == "version":
            info = {"server_version": "17.0", "server_version_info": [17, 0, 0, "final", 0, ""]}
            return jsonrpc_answer(info)
        return httpx.Response(404, text="<title>404 Not Found</title>")

    serve(env, odoo17)
    assert main(["check"]) == 3
    err = capsys.readouterr().err
    assert "This server runs Odoo 17.0; the JSON-2 API needs 19.0 or later" in err
    assert "Basic Authentication" in err


def test_check_against_something_that_is_not_odoo(env, capsys):
    serve(env, lambda request: httpx.Response(404, text="<title>Not here</title>"))
    assert main(["check"]) == 3
    assert "did not answer /web/version like an Odoo server" in capsys.readouterr().err


def test_secrets_never_reach_errors_logs_or_debug_output(env, capsys):
    """Odoo's JSON-RPC error tracebacks can echo the call's parameters, password included."""
    env.delenv("ODOO_API_KEY")
    env.setenv("ODOO_USERNAME", "integration")
    env.setenv("ODOO_PASSWORD", PASSWORD)

    def handler(request):
        params = jsonrpc_params(request)
        if params["method"] == "login":
            return jsonrpc_answer(6)
        said = f"failed for {PASSWORD}"
        return jsonrpc_fault(
            "builtins.RuntimeError", said, f"Traceback\n  params={params!r} key={KEY}\n{said}"
        )

    serve(env, handler)
    assert (
        main(["run", "listRecords", "--debug", "--input", '{"model": "res.partner", "fields": ["name"]}'])
        == 5
    )
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "failed for" in output  # the error and its detail were printed...
    assert PASSWORD not in output and KEY not in output  # ...without the secrets


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["picklist", "listRecords"],
            "listRecords is an action, which `picklist` does not run. Use `odoo-connector run listRecords`.",
        ),
        (["run", "selectModel"], "Use `odoo-connector picklist selectModel`."),
        (
            ["run", "pollChangesTrigger"],
            "Use `odoo-connector poll pollChangesTrigger` (once) or "
            "`odoo-connector watch pollChangesTrigger` (on a schedule).",
        ),
        (["poll", "createRecord"], "Use `odoo-connector run createRecord`."),
    ],
)
def test_a_key_given_to_the_wrong_command_says_which_to_use(env, capsys, argv, says):
    serve(env, lambda request: pytest.fail("request sent"))
    assert main([*argv, "--input", "{}"]) == 2
    assert json.loads(capsys.readouterr().err.splitlines()[-1])["error"]["message"].endswith(says)


# --- what --help, the options and stderr promise (issue 18) --------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "level"),
    [
        ([], [], logging.INFO),
        (["--quiet"], [], logging.WARNING),
        ([], ["--quiet"], logging.WARNING),
        (["--debug"], [], logging.DEBUG),
        ([], ["--debug"], logging.DEBUG),
    ],
)
def test_debug_and_quiet_work_before_and_after_the_command(env, capsys, before, after, level):
    serve(env, lambda request: httpx.Response(200, json=[{"id": 1, "name": "A"}]))
    argv = ["run", "listRecords", "--input", '{"model": "res.partner", "fields": ["name"]}']
    assert main([*before, *argv, *after]) == 0
    assert logging.getLogger("odoo_connector").level == level  # the option took effect


def test_usage_errors_are_the_json_error_line(capsys):
    assert main(["run"]) == 2
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["error"]
    assert error["type"] == "InputError" and "KEY" in error["message"] and "--help" in error["message"]


def test_every_stderr_line_is_json_and_the_error_comes_last(env, capsys):
    calls = []

    def flaky(request):
        calls.append(request)
        return httpx.Response(503, text="busy")  # retried (a read), logged, then failed

    serve(env, flaky)
    assert (
        main(
            ["run", "getRecordById", "--input", '{"model": "res.partner", "recordId": 1, "fields": ["name"]}']
        )
        == 5
    )
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert len(calls) == 3 and any("retrying" in line.get("message", "") for line in lines[:-1])
    assert set(lines[-1]) == {"error"} and all("error" not in line for line in lines[:-1])


def test_help_lists_the_keys_each_command_takes(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "createRecord" in out and "rawHttpRequest" in out and "pollChangesTrigger" not in out
    assert "--jsonl" in out and "limit" in out


@pytest.mark.parametrize("command", ["validate", "describe"])
def test_manifest_commands_do_not_offer_a_connection(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--connection" not in capsys.readouterr().out


def test_jsonl_honours_limit_and_offset_without_fetch_all(env, capsys):
    asked: list[dict] = []

    def search_read(request):
        asked.append(json.loads(request.content))
        return httpx.Response(200, json=[{"id": 3}, {"id": 4}])

    serve(env, search_read)
    argv = [
        "run",
        "listRecords",
        "--jsonl",
        "--input",
        '{"model":"res.partner","limit":2,"offset":2,"fields":["id"]}',
    ]
    assert main(argv) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [{"id": 3}, {"id": 4}]
    assert len(asked) == 1 and asked[0]["limit"] == 2 and asked[0]["offset"] == 2


def test_unexpected_inputs_are_named_in_a_sentence(env, capsys):
    serve(env, lambda request: pytest.fail("request sent"))
    assert main(["run", "listRecords", "--input", '{"model": "res.partner", "kontext": {}}']) == 2
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["error"]
    assert error["message"] == "listRecords has no input 'kontext'."
    assert error["hint"].startswith("Its inputs are: ") and "domain" in error["hint"]


def test_an_unknown_method_is_not_found_on_both_transports():
    from odoo_connector.client.mapping import from_json2_error, from_jsonrpc_error
    from odoo_connector.errors import NotFoundError

    said = "The method 'res.partner.no_such_method' does not exist"  # a real Odoo 19's words
    over_jsonrpc = from_jsonrpc_error(
        {"code": 0, "data": {"name": "builtins.AttributeError", "message": said}}
    )
    over_json2 = from_json2_error(
        404,
        "application/json",
        json.dumps({"name": "werkzeug.exceptions.NotFound", "message": "404 Not Found"}),
        model="res.partner",
        method="no_such_method",
    )
    assert type(over_jsonrpc) is type(over_json2) is NotFoundError
    assert over_jsonrpc.exit_code == over_json2.exit_code == 4
    assert over_jsonrpc.message == said


def test_a_bad_key_hint_says_what_to_check_without_guessing():
    from odoo_connector.errors import AuthenticationError

    hint = AuthenticationError("Invalid apikey").hint
    assert "90 days" in hint and "revoked" in hint and "Security" in hint and "Add API Key" in hint
    assert "Account Security" not in hint

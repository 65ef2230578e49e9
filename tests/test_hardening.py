"""The connector tried as a hostile user or a broken network would (issue 9): secrets on every
output channel, inputs that must be refused locally, deadlines against servers that drip bytes,
exit codes that tell the truth, trigger state that cannot silently reset, and folded scheduler logs.

Servers here are real sockets on 127.0.0.1 (tests/fakes/server.py), so the HTTP stack is crossed
the way it is in production.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import sqlite3
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.client import Json2Client, XmlRpcClient
from odoo_connector.connections import parse_connection
from odoo_connector.errors import (
    InputError,
    OdooRequestError,
    TransportError,
    UnsupportedServerError,
    redact,
)
from odoo_connector.runner.sinks import DeliveryError, WebhookSink
from odoo_connector.runner.watch import SkipFolding, run_watch

from .fakes.odoo import API_KEY, DATABASE, FakeOdoo
from .fakes.server import Request, serve, serve_transport

# Not shaped like an Odoo key (40 hex) and echoed without "bearer ": only the registry of known
# secrets can catch it, which is the point.
SECRET_KEY = "Zq7-not-hex-shaped-SECRET-value-1234567"
SECRET_PASSWORD = "Pw-weak-but-SECRET-42"


def api_conn(url: str, key: str = SECRET_KEY, **extra: Any) -> dict[str, Any]:
    return {"type": "odooApiKey", "baseUrl": url, "database": "odoo19", "apiKey": key, **extra}


def basic_conn(url: str, password: str = SECRET_PASSWORD) -> dict[str, Any]:
    return {
        "type": "odooBasicAuth",
        "baseUrl": url,
        "database": "odoo19",
        "username": "bot@example.com",
        "password": password,
    }


def run_cli(argv: list[str], conn: dict[str, Any], tmp_path: Path) -> tuple[int, str, str]:
    """The CLI as a user runs it, in this process (fast): exit status, stdout, stderr."""
    file = tmp_path / "connection.json"
    file.write_text(json.dumps(conn))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*argv, "--connection", str(file)])
    return status, out.getvalue(), err.getvalue()


def cli_command(argv: list[str], conn: dict[str, Any], tmp_path: Path) -> list[str]:
    """The CLI as a separate process, for what needs two of them or real signals and threads."""
    file = tmp_path / "connection.json"
    file.write_text(json.dumps(conn))
    return [sys.executable, "-m", "odoo_connector.cli", *argv, "--connection", str(file)]


def run_process(argv: list[str], conn: dict[str, Any], tmp_path: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        cli_command(argv, conn, tmp_path), capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout, done.stderr


def last_error(stderr: str) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(stderr.strip().splitlines()[-1])["error"]
    return error


# --- 1. secrets: every kind of server answer, every output channel ------------------------------


def _echo(kind: str, secret: str) -> tuple[int, dict[str, str], bytes]:
    """What a server or a gateway in front of Odoo answers when it echoes the credential."""
    if kind == "json":
        body = {"name": "builtins.ValueError", "message": f"bad token {secret}", "debug": f"at {secret}"}
        return 500, {"Content-Type": "application/json"}, json.dumps(body).encode()
    if kind == "text":
        return 502, {"Content-Type": "text/plain"}, f"Bad gateway. Authorization was {secret}".encode()
    if kind == "html":
        return (
            503,
            {"Content-Type": "text/html"},
            f"<html><title>Down {secret}</title>{secret}</html>".encode(),
        )
    if kind == "headers":
        return 401, {"Content-Type": "text/plain", "WWW-Authenticate": secret, "X-Echo": secret}, b"no"
    if kind == "auth":  # the auth answer quoting the header it refused
        body = {"name": "werkzeug.exceptions.Unauthorized", "message": f"Invalid apikey: bearer {secret}"}
        return 401, {"Content-Type": "application/json"}, json.dumps(body).encode()
    if kind == "redirect":
        return 302, {"Location": f"http://elsewhere.example:8443/?k={secret}"}, b""
    if kind == "ok-echo":
        return (
            200,
            {"Content-Type": "application/json", "X-Echo": secret},
            json.dumps({"echo": secret}).encode(),
        )
    raise AssertionError(kind)


def _xmlrpc_echo(request: Request) -> tuple[int, dict[str, str], bytes]:
    """An Odoo whose every fault quotes the call's params, the password among them (a traceback
    showing its arguments); ``authenticate`` (the auth endpoint) faults the same way when its
    params say so, else it lets the user in."""
    params, method = xmlrpc.client.loads(request.body)
    text = f"Traceback ...\nValueError: cannot use {params!r}"  # Odoo tracebacks quote the params
    fault = xmlrpc.client.dumps(xmlrpc.client.Fault(1, text), methodresponse=True)
    if method == "authenticate" and "fault-on-login" not in str(params[1]):
        return 200, {"Content-Type": "text/xml"}, xmlrpc.client.dumps((2,), methodresponse=True).encode()
    return 200, {"Content-Type": "text/xml"}, fault.encode()


@pytest.mark.parametrize("kind", ["json", "text", "html", "headers", "auth", "redirect", "ok-echo"])
def test_a_server_echoing_the_key_never_gets_it_printed(kind: str, tmp_path: Path) -> None:
    with serve(lambda request: _echo(kind, SECRET_KEY)) as (url, _):
        conn = api_conn(url)
        for argv in (
            ["run", "listRecords", "--debug", "--input", '{"model": "res.partner", "fields": ["name"]}'],
            ["run", "rawHttpRequest", "--debug", "--input", '{"url": "/web/anything"}'],
            ["check", "--debug"],
        ):
            status, out, err = run_cli(argv, conn, tmp_path)
            assert status != 1, err  # never "a bug"
            if kind == "ok-echo" and argv[1] == "rawHttpRequest":
                # A successful raw answer is the caller's data, but a route echoing the request
                # hands back the request's own API key: that (40 random characters, never a word
                # of data) is the one thing cut from it
                assert json.loads(out)["data"] == {"echo": "<redacted>"}
            assert SECRET_KEY not in out and SECRET_KEY not in err, (argv, out, err)


# Passwords that are ordinary words appear in data as words: a login, a name, an external ID.
WORD_PASSWORDS = [SECRET_PASSWORD, "integration", "admin"]


def _quoted(secret: str) -> list[str]:
    """How a leaked secret shows up in an echo: a whole quoted value (Python repr, JSON)."""
    return [repr(secret), json.dumps(secret), f">{secret}<"]


@pytest.mark.parametrize("password", WORD_PASSWORDS)
@pytest.mark.parametrize("endpoint", ["execute_kw", "authenticate"])
def test_an_xmlrpc_fault_quoting_the_password_loses_the_password_and_nothing_else(
    password: str, endpoint: str, tmp_path: Path
) -> None:
    login = (
        "integration@example.com" if endpoint == "execute_kw" else "fault-on-login.integration@example.com"
    )
    values = {"name": "R3 integration partner", "ref": "__import__.set_admin", "email": "admin@example.com"}
    conn = {**basic_conn("http://x", password), "username": login}
    inputs = {"model": "res.partner", "method": "create", "parameters": [values]}
    with serve(_xmlrpc_echo) as (url, _):
        status, out, err = run_cli(
            ["run", "rawRequest", "--debug", "--input", json.dumps(inputs)],
            {**conn, "baseUrl": url},
            tmp_path,
        )
    message = last_error(err)["message"]
    assert status == 2 and message.startswith("cannot use ("), err  # Odoo's message is there...
    assert "'<redacted>'" in message  # ...with the password it quoted cut out...
    assert all(form not in out + err for form in _quoted(password))
    if len(password) >= 16:
        assert password not in out + err
    # ...and every other value as Odoo quoted it: the login, a name, an external ID, an e-mail
    if endpoint == "authenticate":
        assert f"'{login}'" in message
    else:
        assert all(repr(value) in message for value in values.values()), message


def test_redaction_removes_a_weak_password_only_where_its_request_is_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from odoo_connector import errors

    # only the secrets named here, not other tests'
    monkeypatch.setattr(errors, "_lasting", {})
    monkeypatch.setattr(errors, "_handed_back", {})
    monkeypatch.setattr(errors, "_combined", None)
    errors.register_secret("admin")  # too short to be searched for in free text
    text = (
        "Contact your administrator. admin@example.com, base.set_admin, R3 admin partner; "
        "params ('odoo19', 2, 'admin'), <string>admin</string>, bearer admin, "
        "postgresql://bot:admin@db/x?password=admin"
    )
    assert redact(text) == text.replace("bot:admin@", "bot:<redacted>@").replace(
        "password=admin", "password=<redacted>"
    )  # shapes only
    assert redact(text, ["admin"]) == (
        "Contact your administrator. admin@example.com, base.set_admin, R3 admin partner; "
        "params ('odoo19', 2, '<redacted>'), <string><redacted></string>, bearer <redacted>, "
        "postgresql://bot:<redacted>@db/x?password=<redacted>"
    )
    # a long secret (an API key) is no word: it goes wherever it stands, registered or given
    errors.register_secret(SECRET_KEY)
    assert redact(f"key {SECRET_KEY}, {SECRET_KEY}x") == f"key <redacted>, {SECRET_KEY}x"
    # a 40-hex word is shaped like an Odoo API key: free text loses it, data never goes through here
    checksum = hashlib.sha1(b"a file").hexdigest()  # noqa: S324 (what Odoo stores)
    assert redact(f"checksum {checksum}") == "checksum <redacted>"


def test_handed_back_secrets_are_bounded_and_connection_secrets_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    from odoo_connector import errors

    monkeypatch.setattr(errors, "_lasting", {})
    monkeypatch.setattr(errors, "_handed_back", {})
    monkeypatch.setattr(errors, "_combined", None)
    errors.register_secret("connection-key-0001")
    tokens = [f"token-{i:05d}-abcdef" for i in range(errors._MAX_HANDED_BACK + 10)]
    errors.register_secret(*tokens, lasting=False)
    text = " ".join(["connection-key-0001", tokens[0], tokens[-1]])
    # the oldest token fell out of the bounded set; the newest and the connection's key did not
    assert redact(text) == f"<redacted> {tokens[0]} <redacted>"


# A password that is a word of the data: the model's name, a partner's name, an e-mail.
WORD = "partner"
WORD_RECORDS = [
    {"name": "R3 partner integration", "email": "partner@example.com"},
    {"name": "partner", "email": "set_partner@example.com"},
]


def _word_conn(transport: str, url: str) -> dict[str, Any]:
    if transport == "json2":
        return {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": WORD}
    return {
        "type": "odooBasicAuth",
        "baseUrl": url,
        "database": DATABASE,
        "username": "partner@example.com",
        "password": WORD,
    }


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_records_and_state_holding_the_password_as_a_word_are_written_unchanged(
    transport: str, tmp_path: Path
) -> None:
    """Data is never rewritten: records whose values hold the connection's password as a word go
    through watch (webhook body, SQLite state) and poll (stdout, state file) byte for byte, and
    the state (which names the model res.partner) keeps working for the next poll."""
    odoo = FakeOdoo(api_key=WORD, login="partner@example.com", password=WORD)
    for values in WORD_RECORDS:
        odoo.create("res.partner", **values)
    bodies: list[bytes] = []

    def receiver(request: Request) -> tuple[int, dict[str, str], bytes]:
        bodies.append(request.body)
        return 204, {}, b""

    state = tmp_path / "state.sqlite"
    inputs = {"model": "res.partner", "fields": ["name", "email"], "emitExisting": True}
    stream = _capture_logs()
    with serve_transport(odoo) as odoo_url, serve(receiver) as (hook_url, _):
        conn = _word_conn(transport, odoo_url)
        codes = [
            run_watch(
                "pollChangesTrigger",
                conn,
                inputs,
                interval=0.2,
                state_path=state,
                webhook=hook_url + "/hook",
                max_polls=1,
                install_signals=False,
            )
            for _ in range(2)  # the second run starts from the state the first saved
        ]
        poll_state = tmp_path / "poll.json"
        argv = ["poll", "pollChangesTrigger", "--input", json.dumps(inputs), "--state", str(poll_state)]
        polls = [run_cli(argv, conn, tmp_path) for _ in range(2)]
    assert codes == [0, 0] and len(bodies) == 1, stream.getvalue()
    sent = json.loads(bodies[0])["created"]
    assert [{k: r[k] for k in ("name", "email")} for r in sent] == WORD_RECORDS
    for values in WORD_RECORDS:
        assert json.dumps(values["name"]).encode() in bodies[0]
    saved = sqlite3.connect(state).execute("SELECT state FROM trigger_state").fetchone()[0]
    assert json.loads(saved)["model"] == "res.partner"
    assert [status for status, _, _ in polls] == [0, 0], polls
    first = json.loads(polls[0][1])["data"]["created"]
    assert [{k: r[k] for k in ("name", "email")} for r in first] == WORD_RECORDS
    assert json.loads(poll_state.read_text())["model"] == "res.partner"
    everything = stream.getvalue() + "".join(out + err for _, out, err in polls) + bodies[0].decode()
    assert "<redacted>" not in everything
    logs = stream.getvalue() + "".join(err for _, _, err in polls)
    assert all(form not in logs for form in _quoted(WORD))


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_login_holding_the_password_as_a_word_is_shown_whole(transport: str, tmp_path: Path) -> None:
    """With the password ``integration``, the login ``integration@example.com`` is what check
    prints, and what an error about the login says."""
    odoo = FakeOdoo(api_key="integration", login="integration@example.com", password="integration")
    with serve_transport(odoo) as url:
        conn: dict[str, Any] = {"baseUrl": url, "database": DATABASE}
        if transport == "json2":
            conn.update(type="odooApiKey", apiKey="integration")
        else:
            conn.update(type="odooBasicAuth", username="integration@example.com", password="integration")
        status, out, err = run_cli(["check"], conn, tmp_path)
        assert status == 0, err
        assert json.loads(out)["user"]["login"] == "integration@example.com"
        if transport == "xmlrpc":
            refused = {**conn, "username": "integration@example.org"}
            status, out, err = run_cli(["check"], refused, tmp_path)
            assert status == 3
            assert "'integration@example.org'" in last_error(err)["message"]
            assert "<redacted>" not in err


def _capture_logs() -> Any:
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    from odoo_connector.cli import JsonLinesFormatter

    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger("odoo_connector")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    return stream


# --- 2. validation: a refusal stays a refusal ---------------------------------------------------


def _refusing_client(conn: dict[str, Any]) -> Json2Client | XmlRpcClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request was sent: {request.url}")

    parsed = parse_connection(conn)
    transport = httpx.MockTransport(handler)
    if parsed.type == "odooApiKey":
        return Json2Client(parsed, http_transport=transport)  # type: ignore[arg-type]
    return XmlRpcClient(parsed, http_transport=transport)  # type: ignore[arg-type]


TRAILING_NEWLINES = [
    ("getRecordById", {"model": "res.partner\n", "recordId": 1}, "model"),
    ("listRecords", {"model": "res.partner", "fields": ["name\n"]}, "fields[0]"),
    ("listRecords", {"model": "res.partner", "order": "name asc\n"}, "order"),
    ("getRecordByExternalId", {"externalId": "base.main_company\n"}, "externalId"),
    ("rawRequest", {"model": "res.partner", "method": "search_read\n"}, "method"),
]


@pytest.mark.parametrize(("key", "inputs", "path"), TRAILING_NEWLINES)
@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
def test_a_trailing_newline_is_refused_before_sending(
    key: str, inputs: dict[str, Any], path: str, transport: str
) -> None:
    conn = api_conn("http://odoo.test") if transport == "json2" else basic_conn("http://odoo.test")
    if key == "rawRequest" and transport == "json2":
        conn = basic_conn("http://odoo.test")
    with pytest.raises(InputError) as err:
        invoke(key, conn, inputs, client=_refusing_client(conn))
    assert err.value.path == path
    assert "does not have the expected form" in err.value.message


def test_whole_number_floats_reach_odoo_as_integers() -> None:
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, json=[{"id": 7, "name": "Acme"}])

    conn = parse_connection(api_conn("http://odoo.test"))
    client = Json2Client(conn, http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    invoke(
        "getRecordById", conn, {"model": "res.partner", "recordId": 7.0, "fields": ["name"]}, client=client
    )
    invoke("listRecords", conn, {"model": "res.partner", "limit": 5.0, "fields": ["name"]}, client=client)
    assert json.loads(sent[0])["ids"] == [7] and b"7.0" not in sent[0]
    assert json.loads(sent[1])["limit"] == 5 and b"5.0" not in sent[1]


def test_offset_has_an_upper_bound() -> None:
    conn = api_conn("http://odoo.test")
    with pytest.raises(InputError) as err:
        invoke("listRecords", conn, {"model": "res.partner", "offset": 2**40}, client=_refusing_client(conn))
    assert err.value.path == "offset"


# --- 3. deadlines, not per-read timeouts ---------------------------------------------------------


def _dripping(request: Request) -> None:
    """Headers at once, then one byte every 0.3 s for 6 s: every read succeeds, the whole never ends."""
    handler = request.handler
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "20")
    handler.end_headers()
    for _ in range(20):
        try:
            handler.wfile.write(b" ")
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(0.3)


def test_raw_http_request_timeout_is_a_deadline() -> None:
    with serve(_dripping) as (url, _):
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"did not complete within 1 s"):
            invoke("rawHttpRequest", api_conn(url), {"url": "/web/slow", "timeout": 1000})
        assert time.monotonic() - started < 3.0  # the drip alone would take 6 s


def test_an_odoo_call_ends_at_the_connection_timeout() -> None:
    with serve(_dripping) as (url, _):
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"did not answer within 1 s"):
            invoke(
                "createRecord",
                api_conn(url, timeout=1),
                # rawValues: the create itself, not the fields_get before it (a read, retried)
                {"model": "res.partner", "parameters": {"name": "x"}, "rawValues": True},
            )
        assert time.monotonic() - started < 3.0


def test_a_webhook_delivery_is_bounded_by_its_timeout() -> None:
    with serve(_dripping) as (url, seen):
        sink = WebhookSink(url + "/hook", timeout=1.0, attempts=1)
        started = time.monotonic()
        with pytest.raises(DeliveryError):
            sink.deliver([{"id": 1}], [], threading.Event())
        assert time.monotonic() - started < 3.0 and len(seen) == 1
        sink.close()


# --- 4. and 5. bad input is exit 2 (or 3 for the connection), never "a bug" ---------------------


@pytest.mark.parametrize(
    ("argv_input", "why"),
    [
        ('{"model": "res.partner", "domain": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
        ('{"model": "res.partner", "limit": "٣"}', "limit"),
        ('{"model": "res.partner", "limit": "²"}', "limit"),
        ('{"model": "res.partner", "recordId": 99999999999999999999999}', "recordId"),
        ('{"model": "res.partner", "recordId": 1, "fields": ["\\ud800"]}', "fields"),
        ('{"model": "res.partner", "recordId": 1e400}', "recordId"),
    ],
)
def test_hostile_inputs_are_input_errors(argv_input: str, why: str, tmp_path: Path) -> None:
    with serve(lambda request: pytest.fail("request sent")) as (url, seen):
        status, _, err = run_cli(["run", "getRecordById", "--input", argv_input], api_conn(url), tmp_path)
    assert status == 2, err
    assert last_error(err)["type"] == "InputError" and not seen


@pytest.mark.parametrize("transport", ["json2", "xmlrpc"])
@pytest.mark.parametrize(
    "parameters",
    ['{"name": "\\ud800"}', '{"name": ' + "[" * 100 + "]" * 100 + "}", '{"name": NaN}'],
    ids=["surrogate", "deep", "nan"],
)
def test_values_no_schema_can_check_are_refused_before_sending(
    parameters: str, transport: str, tmp_path: Path
) -> None:
    with serve(lambda request: pytest.fail("request sent")) as (url, seen):
        conn = api_conn(url) if transport == "json2" else basic_conn(url)
        argv_input = '{"model": "res.partner", "parameters": ' + parameters + "}"
        status, _, err = run_cli(["run", "createRecord", "--input", argv_input], conn, tmp_path)
    assert status == 2, err
    assert last_error(err)["type"] == "InputError" and not seen


def test_a_non_utf8_input_file_is_an_input_error(tmp_path: Path) -> None:
    file = tmp_path / "in.json"
    file.write_bytes(b'{"model": "res.partner", "name": "\xff\xfe"}')
    status, _, err = run_cli(
        ["run", "listRecords", "--input", f"@{file}"], api_conn("http://127.0.0.1:9"), tmp_path
    )
    assert status == 2 and "not UTF-8" in last_error(err)["message"]


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"X-Note": "a\r\nX-Injected: 1"}, "line break"),
        ({"X-Note": "naïve ☃"}, "Latin-1"),
        ({"Bad Name": "x"}, "not valid"),
    ],
)
def test_raw_http_request_refuses_unsendable_headers_locally(
    headers: dict[str, str], says: str, tmp_path: Path
) -> None:
    with serve(lambda request: pytest.fail("request sent")) as (url, seen):
        status, _, err = run_cli(
            ["run", "rawHttpRequest", "--input", json.dumps({"url": "/web/x", "headers": headers})],
            api_conn(url),
            tmp_path,
        )
    assert status == 2 and says in last_error(err)["message"] and not seen


def test_a_refused_cross_origin_redirect_exits_4_and_names_the_port(tmp_path: Path) -> None:
    with serve(lambda request: (302, {"Location": "https://elsewhere.example:8443/x"}, b"")) as (url, _):
        status, _, err = run_cli(
            ["run", "rawHttpRequest", "--input", '{"url": "/web/x"}'], api_conn(url), tmp_path
        )
    assert status == OdooRequestError.exit_code == 4
    assert "https://elsewhere.example:8443" in last_error(err)["message"]


@pytest.mark.parametrize(
    ("base_url", "says"),
    [("https://[::1", "not a valid URL"), ("bot:hunter2-secret@odoo.example", "user name or password")],
)
def test_bad_base_urls_are_configuration_errors_that_echo_no_credentials(
    base_url: str, says: str, tmp_path: Path
) -> None:
    status, out, err = run_cli(["check"], api_conn(base_url), tmp_path)
    assert status == 3 and says in last_error(err)["message"]
    assert "hunter2" not in out + err


@pytest.mark.parametrize("body", [b"{}", b"[]", b"<html>login</html>"])
def test_a_server_answering_200_to_everything_is_not_odoo(body: bytes, tmp_path: Path) -> None:
    with serve(lambda request: (200, {"Content-Type": "application/json"}, body)) as (url, _):
        for argv in (
            ["run", "getRecordById", "--input", '{"model": "res.partner", "recordId": 1}'],
            ["run", "listRecords", "--input", '{"model": "res.partner"}'],
            ["check"],
            # an empty list is a real answer of get_available_models (a user who may read nothing)
            *([["picklist", "selectModel", "--input", "{}"]] if body != b"[]" else []),
        ):
            status, _, err = run_cli(argv, api_conn(url), tmp_path)
            assert status == 3, (argv, err)
            assert last_error(err)["type"] == UnsupportedServerError.__name__


# --- 6. trigger state ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored",
    [
        "{}",
        "null",
        "[]",
        '{"version": 1, "model": "res.partner", "cursor": "yesterday", "seen": {}}',
        '{"version": 1, "model": "res.partner", "cursor": "2026-01-01 12:00:00", "seen": {"x": "y"}}',
        "not json",
    ],
)
def test_a_state_the_trigger_did_not_write_is_refused_with_how_to_reset(stored: str, tmp_path: Path) -> None:
    odoo = FakeOdoo()
    state = tmp_path / "state.json"
    state.write_text(stored)
    with serve_transport(odoo) as url:
        conn = {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
        argv = ["poll", "pollChangesTrigger", "--input", '{"model": "res.partner"}', "--state", str(state)]
        status, _, err = run_cli(argv, conn, tmp_path)
        assert status == 2 and "--reset" in last_error(err)["hint"]
        assert state.read_text() == stored  # left as it was
        status, out, _ = run_cli([*argv, "--reset"], conn, tmp_path)
    assert status == 0 and json.loads(out)["polledNoChanges"] is True
    assert json.loads(state.read_text())["version"] == 1  # a new baseline


def test_two_polls_on_one_state_file_do_not_emit_twice(tmp_path: Path) -> None:
    odoo = FakeOdoo()
    state = tmp_path / "state.json"
    with serve_transport(odoo) as url:
        conn = {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
        argv = ["poll", "pollChangesTrigger", "--input", '{"model": "res.partner", "fields": ["name"]}']
        argv += ["--state", str(state)]
        assert run_cli(argv, conn, tmp_path)[0] == 0  # baseline
        odoo.advance(1)
        created = [odoo.create("res.partner", name=f"p{i}") for i in range(3)]
        # every search_read now takes 0.5 s, so the two processes overlap
        odoo.on_call("search_read", lambda: time.sleep(0.5), times=100)
        command = cli_command(argv, conn, tmp_path)
        procs = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    emitted = [r["id"] for out in outs for r in json.loads(out)["data"]["created"]]
    assert sorted(emitted) == created  # each record once, by one of the two


def test_watch_reset_starts_a_new_baseline(tmp_path: Path) -> None:
    odoo = FakeOdoo()
    state = tmp_path / "state.sqlite"
    delivered: list[tuple[list[Any], list[Any]]] = []

    class Sink:
        def deliver(self, created: list[Any], updated: list[Any], stop: threading.Event) -> None:
            delivered.append((created, updated))

        def describe(self) -> str:
            return "list"

        def close(self) -> None:
            pass

    with serve_transport(odoo) as url:
        conn = {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
        options: dict[str, Any] = {
            "interval": 0.1,
            "state_path": state,
            "webhook": None,
            "max_polls": 1,
            "install_signals": False,
            "sink": Sink(),
        }
        inputs = {"model": "res.partner", "fields": ["name"]}
        run_watch("pollChangesTrigger", conn, inputs, **options)  # baseline
        odoo.advance(1)
        odoo.create("res.partner", name="while away")
        run_watch("pollChangesTrigger", conn, inputs, reset=True, **options)
    assert all(created == [] for created, _ in delivered)  # the reset forgot the cursor: new baseline
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM trigger_state").fetchone() == (1,)


# --- 7. scheduler logs ---------------------------------------------------------------------------


def test_scheduler_skip_lines_are_said_once_per_streak() -> None:
    folding = SkipFolding()
    skip = 'Execution of job "poll" skipped: maximum number of running instances reached (1)'

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("apscheduler.scheduler", logging.WARNING, __file__, 1, msg, (), None)

    first = record(skip)
    assert folding.filter(first) and first.levelname == "INFO" and "still running" in first.getMessage()
    assert not folding.filter(record(skip)) and not folding.filter(record(skip))
    assert folding.filter(record("something else"))
    folding.reset()  # a poll ended: the next streak is said again
    assert folding.filter(record(skip))


def test_watch_routes_scheduler_lines_through_the_json_formatter(tmp_path: Path) -> None:
    """A poll slower than the interval: APScheduler skips ticks; stderr has one JSON skip line."""
    odoo = FakeOdoo()
    odoo.on_call("search_read", lambda: time.sleep(1.2), times=100)
    with serve_transport(odoo) as url:
        conn = {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
        argv = ["watch", "pollChangesTrigger", "--input", '{"model": "res.partner"}', "--interval", "0.2"]
        argv += ["--state", str(tmp_path / "s.sqlite"), "--max-polls", "2"]
        status, _, err = run_process(argv, conn, tmp_path)
    lines = [json.loads(line) for line in err.strip().splitlines()]  # every line is JSON
    assert status == 0
    skips = [line for line in lines if "still running" in line["message"]]
    assert 1 <= len(skips) <= 2  # once per slow poll, not once per 0.2 s tick
    assert all(line["logger"].startswith(("apscheduler", "odoo_connector")) for line in lines)

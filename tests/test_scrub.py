"""Re-recording with weak credentials (`admin`, `integration`) gives cassettes that replay.

The scrubber in ``conftest.py`` finds secrets by where they appear (headers, XML-RPC credential
positions, JSON-RPC params, long tokens), never by searching a body for a password. These tests
run it on interactions shaped like real Odoo 19 traffic, recorded with the weakest credentials a
test server has, and check two things of the result: every body still parses as what it is, and
no secret is left (the cassette leak scan of ``test_cassettes.py`` finds nothing).
"""

from __future__ import annotations

import copy
import json
import secrets
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
from vcr.request import Request
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from tests.conftest import (
    ADMIN_USERNAME_PLACEHOLDER,
    API_KEY_PLACEHOLDER,
    PASSWORD_PLACEHOLDER,
    REPLAY_DB,
    REPLAY_URL,
    USERNAME_PLACEHOLDER,
    scrub_request,
    scrub_response,
)
from tests.test_cassettes import all_cassettes, scan_cassette

REAL_URL = "https://erp.acme.example:8443"
REAL_DB = "acme-prod"
# Made per run, shaped like Odoo's keys (40 hex digits): no key-shaped literal is committed, and the
# scrubber is shown to remove whatever key the recording environment holds, not a known string.
API_KEY = secrets.token_hex(20)
ADMIN_API_KEY = secrets.token_hex(20)


@pytest.fixture
def weak_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a test server is often set up with: logins that are passwords that are words."""
    for name, value in {
        "ODOO_URL": REAL_URL,
        "ODOO_DB": REAL_DB,
        "ODOO_API_KEY": API_KEY,
        "ODOO_USERNAME": "integration",
        "ODOO_PASSWORD": "integration",
        "ODOO_ADMIN_API_KEY": ADMIN_API_KEY,
        "ODOO_ADMIN_USERNAME": "admin",
        "ODOO_ADMIN_PASSWORD": "admin",
    }.items():
        monkeypatch.setenv(name, value)


def xmlrpc_call(path: str, method: str, *params: Any) -> Request:
    body = xmlrpc.client.dumps(params, method, allow_none=True).encode()
    return Request("POST", REAL_URL + path, body, {"Content-Type": "text/xml", "Host": "erp.acme.example"})


def json2_call(model: str, method: str, body: dict[str, Any], key: str = API_KEY) -> Request:
    headers = {
        "Authorization": f"bearer {key}",
        "X-Odoo-Database": REAL_DB,
        "Content-Type": "application/json",
        "Cookie": "session_id=0f1e2d3c4b5a",
    }
    return Request("POST", f"{REAL_URL}/json/2/{model}/{method}", json.dumps(body).encode(), headers)


def response(body: bytes, content_type: str, status: int = 200) -> dict[str, Any]:
    return {
        "status": {"code": status, "message": "OK" if status == 200 else "ERROR"},
        "headers": {
            "content-type": [content_type],
            "set-cookie": ["session_id=0f1e2d3c4b5a; HttpOnly; Path=/"],
            "date": ["Tue, 02 Dec 2026 10:00:00 GMT"],
            "server": ["Werkzeug/3.0.1 Python/3.12.3"],
        },
        "body": {"string": body},
    }


def xmlrpc_result(value: Any) -> dict[str, Any]:
    return response(xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True).encode(), "text/xml")


def record(tmp_path: Path, *interactions: tuple[Request, dict[str, Any]]) -> Path:
    """What vcrpy writes: each interaction through the scrubber, serialised as a cassette."""
    requests, responses = [], []
    for request, answer in interactions:
        requests.append(scrub_request(copy.deepcopy(request)))
        responses.append(scrub_response(copy.deepcopy(answer)))
    path = tmp_path / "recorded.yaml"
    path.write_text(serialize({"requests": requests, "responses": responses}, yamlserializer))
    return path


def replay(path: Path) -> tuple[list[Request], list[dict[str, Any]]]:
    requests, responses = deserialize(path.read_text(), yamlserializer)
    return requests, responses


def parsed(body: bytes, content_type: str) -> Any:
    """The body as replay will parse it; raises when it no longer parses."""
    if "json" in content_type:
        return json.loads(body)
    if "xml" in content_type:
        try:
            return xmlrpc.client.loads(body, use_builtin_types=True)[0]
        except xmlrpc.client.Fault as fault:
            return {"faultCode": fault.faultCode, "faultString": fault.faultString}
    return body.decode()


def test_xmlrpc_login_with_weak_passwords_keeps_only_placeholders(weak_env, tmp_path):
    path = record(
        tmp_path,
        (xmlrpc_call("/xmlrpc/2/common", "authenticate", REAL_DB, "admin", "admin", {}), xmlrpc_result(2)),
        (
            xmlrpc_call("/xmlrpc/2/common", "authenticate", REAL_DB, "integration", "integration", {}),
            xmlrpc_result(6),
        ),
    )
    assert scan_cassette(path) == []
    requests, responses = replay(path)
    assert xmlrpc.client.loads(requests[0].body)[0] == (
        REPLAY_DB,
        ADMIN_USERNAME_PLACEHOLDER,
        PASSWORD_PLACEHOLDER,
        {},
    )
    assert xmlrpc.client.loads(requests[1].body)[0] == (
        REPLAY_DB,
        USERNAME_PLACEHOLDER,
        PASSWORD_PLACEHOLDER,
        {},
    )
    assert [parsed(r["body"]["string"], "xml") for r in responses] == [(2,), (6,)]
    assert REAL_DB not in path.read_text() and "erp.acme.example" not in path.read_text()


def test_execute_kw_password_is_replaced_by_position_not_as_a_word(weak_env, tmp_path):
    # the domain searches for the very word that is the password: it must reach the cassette as is
    domain = [["name", "ilike", "admin"], ["comment", "=", "integration"]]
    call = xmlrpc_call(
        "/xmlrpc/2/object", "execute_kw", REAL_DB, 2, "admin", "res.partner", "search_read", [domain], {}
    )
    path = record(tmp_path, (call, xmlrpc_result([{"id": 3, "name": "admin"}])))
    assert scan_cassette(path) == []
    (request,), (answer,) = replay(path)
    assert xmlrpc.client.loads(request.body)[0] == (
        REPLAY_DB,
        2,
        PASSWORD_PLACEHOLDER,
        "res.partner",
        "search_read",
        [domain],
        {},
    )
    assert parsed(answer["body"]["string"], "xml") == ([{"id": 3, "name": "admin"}],)


def test_answers_that_contain_the_weak_passwords_as_words_stay_byte_for_byte(weak_env, tmp_path):
    """Odoo's answers are full of these words; a substring replace made them invalid XML/JSON."""
    access_error = {
        "name": "odoo.exceptions.AccessError",
        "message": "You are not allowed to create 'Contact' (res.partner) records.\n\nThis operation "
        "is allowed for the following groups:\n\t- Contact / Creation\n\nContact your administrator "
        "to request access if necessary.",
        "arguments": ["You are not allowed to create 'Contact' (res.partner) records."],
        "context": {},
        "debug": "<traceback, 41 lines; last: odoo.exceptions.AccessError: You are not allowed>",
    }
    users = [{"id": 2, "login": "admin", "name": "Administrator", "email": "admin@example.com"}]
    fields = {"password": {"type": "char", "string": "Password"}, "login": {"type": "char"}}
    fault = xmlrpc.client.dumps(
        xmlrpc.client.Fault(3, "Access Denied: integration user, contact your administrator"),
        methodresponse=True,
    ).encode()
    answers = [
        response(json.dumps(access_error).encode(), "application/json; charset=utf-8", 403),
        xmlrpc_result(users),
        response(json.dumps(fields).encode(), "application/json; charset=utf-8"),
        response(fault, "text/xml; charset=utf-8"),
        response(b"<p>Ask your admin, or see <a href=/web/login>login</a>.</p>", "text/html"),
    ]
    call = json2_call("res.partner", "create", {"vals_list": [{"name": "admin"}]})
    path = record(tmp_path, *[(call, answer) for answer in answers])
    assert scan_cassette(path) == []
    _, replayed = replay(path)
    for before, after in zip(answers, replayed, strict=True):
        assert after["body"]["string"] == before["body"]["string"]
        content_type = before["headers"]["content-type"][0]
        parsed(after["body"]["string"], content_type)  # still parses
        assert "set-cookie" not in after["headers"]


def test_an_api_key_in_an_answer_is_replaced_and_the_body_still_parses(weak_env, tmp_path):
    shown = {"id": 9, "key": API_KEY, "note": f"use bearer {ADMIN_API_KEY} for the admin"}
    fault = xmlrpc.client.dumps(
        xmlrpc.client.Fault(1, f"Invalid apikey {API_KEY}"), methodresponse=True
    ).encode()
    answers = [
        response(json.dumps(shown).encode(), "application/json"),
        xmlrpc_result([shown]),
        response(fault, "text/xml"),
        response(f"<html><body><code>{API_KEY}</code></body></html>".encode(), "text/html"),
    ]
    call = json2_call("res.users.apikeys.show", "read", {"ids": [9]})
    path = record(tmp_path, *[(call, answer) for answer in answers])
    text = path.read_text()
    assert API_KEY not in text and ADMIN_API_KEY not in text
    assert scan_cassette(path) == []
    _, replayed = replay(path)
    clean = {"id": 9, "key": API_KEY_PLACEHOLDER, "note": f"use bearer {API_KEY_PLACEHOLDER} for the admin"}
    assert parsed(replayed[0]["body"]["string"], "json") == clean
    assert parsed(replayed[1]["body"]["string"], "xml") == ([clean],)
    assert parsed(replayed[2]["body"]["string"], "xml") == {
        "faultCode": 1,
        "faultString": f"Invalid apikey {API_KEY_PLACEHOLDER}",
    }
    assert replayed[3]["body"]["string"] == b"<html><body><code>&lt;API_KEY&gt;</code></body></html>"


def test_json2_headers_and_json_rpc_credentials(weak_env, tmp_path):
    session = Request(
        "POST",
        REAL_URL + "/web/session/authenticate",
        json.dumps(
            {"jsonrpc": "2.0", "params": {"db": REAL_DB, "login": "admin", "password": "admin"}}
        ).encode(),
        {"Content-Type": "application/json"},
    )
    path = record(
        tmp_path,
        (
            json2_call("res.partner", "read", {"ids": [3]}, key=ADMIN_API_KEY),
            response(b"[]", "application/json"),
        ),
        (session, response(b'{"jsonrpc": "2.0", "result": {"uid": 2}}', "application/json")),
    )
    assert scan_cassette(path) == []
    requests, _ = replay(path)
    assert requests[0].uri == f"{REPLAY_URL}/json/2/res.partner/read"
    assert requests[0].headers["Authorization"] == f"bearer {API_KEY_PLACEHOLDER}"
    assert requests[0].headers["X-Odoo-Database"] == REPLAY_DB
    assert "Cookie" not in requests[0].headers
    assert json.loads(requests[1].body)["params"] == {
        "db": REPLAY_DB,
        "login": ADMIN_USERNAME_PLACEHOLDER,
        "password": PASSWORD_PLACEHOLDER,
    }


def _as_recorded_with_weak_credentials(request: Request) -> Request:
    """A committed cassette's request as the recording machine sent it: real host, database,
    key, cookie, and the weak logins and passwords in the credential positions."""
    real = copy.deepcopy(request)
    real.uri = request.uri.replace(REPLAY_URL, REAL_URL)
    if "Authorization" in real.headers:
        real.headers["Authorization"] = f"bearer {API_KEY}"
    if "X-Odoo-Database" in real.headers:
        real.headers["X-Odoo-Database"] = REAL_DB
    real.headers["Cookie"] = "session_id=0f1e2d3c4b5a"
    if "/xmlrpc/" in request.uri and request.body:
        params, method = xmlrpc.client.loads(request.body, use_builtin_types=True)
        values = list(params)
        if method in ("authenticate", "execute_kw") and len(values) >= 3:
            values[0] = REAL_DB
            values[2] = "admin"
        if method == "authenticate":
            values[1] = "admin" if values[1] == ADMIN_USERNAME_PLACEHOLDER else "integration"
            values[2] = values[1]
        real.body = xmlrpc.client.dumps(tuple(values), method, allow_none=True).encode()
    if request.uri.endswith("/jsonrpc") and request.body:
        call = json.loads(request.body)
        args, method = call["params"]["args"], call["params"]["method"]
        if method in ("login", "execute_kw") and len(args) >= 3:
            args[0], args[2] = REAL_DB, "admin"
        if method == "login":
            args[1] = "admin" if args[1] == ADMIN_USERNAME_PLACEHOLDER else "integration"
            args[2] = args[1]
        real.body = json.dumps(call, separators=(",", ":")).encode()
    return real


@pytest.mark.parametrize("cassette", all_cassettes(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_committed_cassette_survives_a_weak_credential_rerecording(weak_env, tmp_path, cassette):
    """Each committed interaction, as a recording with weak credentials would have captured it,
    comes out of the scrubber as the cassette holds it: requests match on replay, every answer is
    byte for byte the same (so it parses), and the leak scan finds nothing."""
    requests, responses = deserialize(cassette.read_text(), yamlserializer)
    for request in requests:
        request.headers.pop("User-Agent", None)
    path = record(
        tmp_path,
        *[
            (_as_recorded_with_weak_credentials(request), response_with_cookie(answer))
            for request, answer in zip(requests, responses, strict=True)
        ],
    )
    assert scan_cassette(path) == []
    new_requests, new_responses = replay(path)
    for old, new in zip(requests, new_requests, strict=True):
        assert new.uri == old.uri
        assert dict(new.headers) == dict(old.headers)
        if "/xmlrpc/" in old.uri and old.body:
            assert xmlrpc.client.loads(new.body) == xmlrpc.client.loads(old.body)
        elif old.uri.endswith("/jsonrpc") and old.body:
            assert json.loads(new.body) == json.loads(old.body)  # vcrpy matches JSON bodies parsed
        else:
            assert new.body == old.body
    for old, new in zip(responses, new_responses, strict=True):
        assert new["body"]["string"] == old["body"]["string"]
        assert "set-cookie" not in {name.lower() for name in new["headers"]}


def response_with_cookie(answer: dict[str, Any]) -> dict[str, Any]:
    answer = copy.deepcopy(answer)
    answer["headers"]["set-cookie"] = ["session_id=0f1e2d3c4b5a; HttpOnly; Path=/"]
    return answer


def test_a_jsonrpc_errors_traceback_is_cut_to_its_last_line():
    """``/jsonrpc`` errors carry the traceback in ``error.data.debug``: kept as its last line, as
    JSON-2's ``debug`` is, and the rest of the answer as it was."""
    from tests.conftest import scrub_response

    debug = (
        'Traceback (most recent call last):\n  File "/odoo/http.py", line 1\nodoo.exceptions.UserError: no'
    )
    data = {"name": "odoo.exceptions.UserError", "message": "no", "debug": debug}
    answer = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": 0, "message": "Odoo Server Error", "data": data},
    }
    recorded = {
        "headers": {"Content-Type": ["application/json"]},
        "body": {"string": json.dumps(answer).encode()},
    }
    body = json.loads(scrub_response(recorded)["body"]["string"])
    assert body["error"]["data"]["debug"] == "<traceback, 3 lines; last: odoo.exceptions.UserError: no>"
    body["error"]["data"]["debug"] = debug
    assert body == answer

"""No cassette holds a secret: every recorded Authorization header, JSON-RPC (or XML-RPC)
password and cookie is a placeholder. The scanner is tested on planted leaks so a broken filter
cannot pass silently."""

from __future__ import annotations

import json
import re
import secrets
import xmlrpc.client
from pathlib import Path

import yaml
from vcr.request import Request

from tests.conftest import (
    API_KEY_PLACEHOLDER,
    PASSWORD_PLACEHOLDER,
    REPLAY_URL,
    scrub_request,
    scrub_response,
)

CASSETTES = Path(__file__).parent / "cassettes"
API_KEY_SHAPE = re.compile(r"\b[0-9a-f]{40}\b")
# Odoo's ir.attachment ``checksum`` is the SHA-1 of a file: 40 hex digits like an API key, but data
CHECKSUM_VALUE = re.compile(r'((?:"checksum":\s*"|<name>checksum</name>\s*<value>\s*<string>))[0-9a-f]{40}\b')


def scan_cassette(path: Path) -> list[str]:
    """What in one cassette could be a secret; empty when clean."""
    text = path.read_text(encoding="utf-8")
    keys = API_KEY_SHAPE.finditer(CHECKSUM_VALUE.sub(r"\1<sha1>", text))
    problems = [f"{path.name}: looks like an API key" for _ in keys]
    data = yaml.safe_load(text) or {}
    for i, interaction in enumerate(data.get("interactions", [])):
        request, response = interaction["request"], interaction["response"]
        for name, values in (request.get("headers") or {}).items():
            if name.lower() == "authorization" and values != [f"bearer {API_KEY_PLACEHOLDER}"]:
                problems.append(f"{path.name}#{i}: Authorization header is not the placeholder")
            if name.lower() == "cookie":
                problems.append(f"{path.name}#{i}: request cookie recorded")
        for name in response.get("headers") or {}:
            if name.lower() == "set-cookie":
                problems.append(f"{path.name}#{i}: Set-Cookie recorded")
        if not request["uri"].startswith(REPLAY_URL):
            problems.append(f"{path.name}#{i}: host not normalised ({request['uri']})")
        body = request.get("body")
        if body and "/xmlrpc/" in request["uri"]:
            params, method = xmlrpc.client.loads(body.encode() if isinstance(body, str) else body)
            if method in ("authenticate", "execute_kw") and params[2] != PASSWORD_PLACEHOLDER:
                problems.append(f"{path.name}#{i}: XML-RPC {method} password is not the placeholder")
        if body and request["uri"].endswith("/jsonrpc"):
            call = json.loads(body)["params"]
            if call.get("method") in ("login", "authenticate", "execute_kw", "execute"):
                args = call.get("args") or []
                if len(args) < 3 or args[2] != PASSWORD_PLACEHOLDER:
                    problems.append(
                        f"{path.name}#{i}: JSON-RPC {call['method']} password is not the placeholder"
                    )
    return problems


def all_cassettes() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


ROOT = Path(__file__).parent.parent
# Where the project's own text lives; vendored bundles (workbench/static) and cassettes are not
# written by hand, and cassettes have their own scan above.
SOURCE_GLOBS = (
    "*.md",
    "*.yaml",
    "*.toml",
    "odoo_connector/**/*.py",
    "tests/**/*.py",
    "bench/**/*.py",
    "schemas/**/*.json",
    "docs/**/*.md",
    "tests/fixtures/**/*.json",
)


def key_shaped_literals(text: str) -> list[str]:
    """40-hex strings that are not an attachment's checksum (data): each could be a real key."""
    return API_KEY_SHAPE.findall(CHECKSUM_VALUE.sub(r"\1<sha1>", text))


def test_no_source_file_holds_a_key_shaped_literal():
    """A key a test needs is made per run (secrets.token_hex), so a real key pasted into a test,
    a doc or a fixture is caught here rather than by whoever reads the repository."""
    files = {f for pattern in SOURCE_GLOBS for f in ROOT.glob(pattern) if "cassettes" not in f.parts}
    found = {str(f.relative_to(ROOT)): key_shaped_literals(f.read_text(encoding="utf-8")) for f in files}
    assert {name: keys for name, keys in found.items() if keys} == {}
    assert key_shaped_literals(f'token = "{secrets.token_hex(20)}"')  # the check itself sees one


def test_cassettes_exist():
    assert len(all_cassettes()) >= 40


def test_no_cassette_holds_a_secret():
    problems = [p for path in all_cassettes() for p in scan_cassette(path)]
    assert problems == []


def _planted(tmp_path: Path, old: str, new: str) -> Path:
    source = next(p for p in all_cassettes() if old in p.read_text())
    target = tmp_path / source.name
    target.write_text(source.read_text().replace(old, new, 1))
    return target


def test_scanner_finds_a_planted_api_key(tmp_path):
    leaked = _planted(tmp_path, f"bearer {API_KEY_PLACEHOLDER}", "bearer " + "ab12" * 10)
    assert any("API key" in p for p in scan_cassette(leaked))
    assert any("Authorization" in p for p in scan_cassette(leaked))


def test_scanner_finds_a_planted_password(tmp_path):
    leaked = _planted(tmp_path, "<PASSWORD>", "hunter2-password")
    assert any("JSON-RPC" in p and "password is not the placeholder" in p for p in scan_cassette(leaked))


def test_scrub_request_replaces_key_password_cookie_and_host(monkeypatch):
    key = secrets.token_hex(20)  # shaped like an Odoo key, made per run
    monkeypatch.setenv("ODOO_ADMIN_USERNAME", "admin")
    json2 = Request(
        "POST",
        "https://erp.example.com:8443/json/2/res.partner/read",
        b"{}",
        {"Authorization": f"bearer {key}", "Cookie": "session_id=abc", "X-Odoo-Database": "prod"},
    )
    scrub_request(json2)
    assert json2.uri == f"{REPLAY_URL}/json/2/res.partner/read"
    assert json2.headers["Authorization"] == f"bearer {API_KEY_PLACEHOLDER}"
    assert "Cookie" not in json2.headers
    body = xmlrpc.client.dumps(
        ("prod", 6, "s3cret!", "res.partner", "read", [[1]], {}), "execute_kw"
    ).encode()
    xml = Request("POST", "http://127.0.0.1:8069/xmlrpc/2/object", body, {})
    scrub_request(xml)
    params, _ = xmlrpc.client.loads(xml.body)
    assert params[2] == PASSWORD_PLACEHOLDER and b"s3cret" not in xml.body
    for method, args in (
        ("execute_kw", ["prod", 6, "s3cret!", "res.partner", "read", [[1]], {}]),
        ("login", ["prod", "admin", "s3cret!"]),
    ):
        call = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": "x", "method": method, "args": args},
        }
        rpc = Request("POST", "http://127.0.0.1:8069/jsonrpc", json.dumps(call).encode(), {})
        scrub_request(rpc)
        sent = json.loads(rpc.body)["params"]["args"]
        assert sent[0] == "odoo19" and sent[2] == PASSWORD_PLACEHOLDER and b"s3cret" not in rpc.body


def test_scrub_response_drops_cookies_and_known_secrets(monkeypatch):
    key = secrets.token_hex(20)  # shaped like an Odoo key, made per run
    monkeypatch.setenv("ODOO_API_KEY", key)
    response = {
        "headers": {"Set-Cookie": ["session_id=x"], "Content-Type": ["text/xml"]},
        "body": {"string": f"<fault>login failed for {key}</fault>".encode()},
    }
    scrubbed = scrub_response(response)
    assert "Set-Cookie" not in scrubbed["headers"]
    assert scrubbed["body"]["string"] == b"<fault>login failed for &lt;API_KEY&gt;</fault>"


def test_every_cassette_has_interactions():
    empty = [p.name for p in all_cassettes() if not (yaml.safe_load(p.read_text()) or {}).get("interactions")]
    assert empty == []

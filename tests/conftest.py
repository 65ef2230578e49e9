"""Test set-up: cassettes (vcrpy via pytest-recording), their secret filters, and the live mode.

One suite, three ways to run it (tests/README.md says more):

* ``pytest``: replays cassettes from ``tests/cassettes/``; nothing reaches the network (a missing
  cassette or a request that differs from the recorded one fails the test).
* ``pytest -m recordable --record-mode=rewrite`` with ``ODOO_*`` set: records them again from a
  real Odoo 19. Secrets are replaced *before* anything is written, by :func:`scrub_request` and
  :func:`scrub_response`.
* ``pytest -m live`` with ``ODOO_*`` set: the same recordable tests against that Odoo, without
  cassettes; skipped, with the reason shown, when the variables are missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import xmlrpc.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from odoo_connector.errors import redact

REPLAY_URL = "http://odoo.test"
REPLAY_DB = "odoo19"
API_KEY_PLACEHOLDER = "<API_KEY>"
PASSWORD_PLACEHOLDER = "<PASSWORD>"
USERNAME_PLACEHOLDER = "integration@example.com"
ADMIN_USERNAME_PLACEHOLDER = "admin@example.com"


def _live_mode(config: pytest.Config) -> bool:
    expr = config.getoption("markexpr", default="") or ""
    return re.search(r"(?<!not )\blive\b", expr) is not None


def _recording(config: pytest.Config) -> bool:
    return (config.getoption("record_mode", default="none") or "none") != "none"


def pytest_configure(config: pytest.Config) -> None:
    if _live_mode(config):
        # Live runs talk to the real server: no cassette is read or written.
        config.option.disable_recording = True


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Runs before the -m selection: every recordable test is also a live test.
    for item in items:
        if item.get_closest_marker("recordable"):
            item.add_marker(pytest.mark.vcr)
            if _live_mode(config):
                item.add_marker(pytest.mark.live)


# --- secrets, filtered at record time -----------------------------------------------------------


def _secret_values() -> list[str]:
    names = ("ODOO_API_KEY", "ODOO_PASSWORD", "ODOO_ADMIN_API_KEY", "ODOO_ADMIN_PASSWORD")
    return [os.environ[n] for n in names if os.environ.get(n)]


def _normalise_uri(uri: str) -> str:
    parts = urlsplit(uri)
    replay = urlsplit(REPLAY_URL)
    return urlunsplit((replay.scheme, replay.netloc, parts.path, parts.query, parts.fragment))


def _scrub_xmlrpc(body: bytes) -> bytes:
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    except Exception:
        return body
    values = list(params)
    if method in ("authenticate", "login") and len(values) >= 3:
        values[0] = REPLAY_DB
        admin = values[1] in (os.environ.get("ODOO_ADMIN_USERNAME"), ADMIN_USERNAME_PLACEHOLDER)
        values[1] = ADMIN_USERNAME_PLACEHOLDER if admin else USERNAME_PLACEHOLDER
        values[2] = PASSWORD_PLACEHOLDER
    elif method in ("execute_kw", "execute") and len(values) >= 3:
        values[0] = REPLAY_DB
        values[2] = PASSWORD_PLACEHOLDER
    return xmlrpc.client.dumps(tuple(values), method, allow_none=True).encode()


def scrub_request(request: Any) -> Any:
    """Applied by vcrpy before a request is recorded *and* before one is matched on replay."""
    request.uri = _normalise_uri(request.uri)
    for name in list(request.headers):
        lowered = name.lower()
        if lowered == "authorization":
            request.headers[name] = f"bearer {API_KEY_PLACEHOLDER}"
        elif lowered == "x-odoo-database":
            request.headers[name] = REPLAY_DB
        elif lowered in ("cookie", "host", "user-agent", "content-length"):
            del request.headers[name]
    body = request.body
    if body and "/xmlrpc/" in request.uri:
        request.body = _scrub_xmlrpc(body if isinstance(body, bytes) else body.encode())
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "date", "server"):
            del headers[name]
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
        clean = _trim_debug(redact(text, _secret_values()))
        if clean != text:
            response["body"]["string"] = clean.encode()
    return response


def _trim_debug(text: str) -> str:
    """Odoo's JSON-2 errors carry the whole server traceback in ``debug``: it says nothing the
    tests need, names server paths, and makes cassettes ten times larger. Keep its last line."""
    if not text.startswith("{") or '"debug"' not in text:
        return text
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict) and isinstance(body.get("debug"), str) and body["debug"]:
        lines = body["debug"].strip().splitlines()
        body["debug"] = f"<traceback, {len(lines)} lines; last: {lines[-1]}>"
        return json.dumps(body)
    return text


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    return {
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "filter_headers": [("authorization", f"bearer {API_KEY_PLACEHOLDER}")],
    }


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    module = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return os.path.join(os.path.dirname(__file__), "cassettes", module)


# --- connections for recordable tests -----------------------------------------------------------


def _env_or_skip(*names: str) -> dict[str, str]:
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"live Odoo not configured: set {', '.join(missing)} to run this against a real Odoo 19")
    return {n: os.environ[n] for n in names}


@pytest.fixture
def real_server(request: pytest.FixtureRequest) -> bool:
    """True when the test talks to a real Odoo (recording or live), False when replaying."""
    return _live_mode(request.config) or _recording(request.config)


def _connection(real: bool, transport: str, *, admin: bool = False) -> dict[str, Any]:
    if real:
        env = _env_or_skip("ODOO_URL", "ODOO_DB")
        base = {"baseUrl": env["ODOO_URL"], "database": env["ODOO_DB"]}
        if transport == "json2":
            key = _env_or_skip("ODOO_ADMIN_API_KEY" if admin else "ODOO_API_KEY")
            return {"type": "odooApiKey", **base, "apiKey": next(iter(key.values()))}
        names = (
            ("ODOO_ADMIN_USERNAME", "ODOO_ADMIN_PASSWORD") if admin else ("ODOO_USERNAME", "ODOO_PASSWORD")
        )
        creds = _env_or_skip(*names)
        user, password = (creds[n] for n in names)
        return {"type": "odooBasicAuth", **base, "username": user, "password": password}
    base = {"baseUrl": REPLAY_URL, "database": REPLAY_DB}
    if transport == "json2":
        return {"type": "odooApiKey", **base, "apiKey": API_KEY_PLACEHOLDER}
    return {
        "type": "odooBasicAuth",
        **base,
        "username": ADMIN_USERNAME_PLACEHOLDER if admin else USERNAME_PLACEHOLDER,
        "password": PASSWORD_PLACEHOLDER,
    }


@pytest.fixture(params=["json2", "xmlrpc"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def conn(real_server: bool, transport: str) -> dict[str, Any]:
    """The ordinary internal user's connection over ``transport``."""
    return _connection(real_server, transport)


@pytest.fixture
def admin_conn(real_server: bool, transport: str) -> dict[str, Any]:
    """An administrator's connection, for what Odoo allows only administrators."""
    return _connection(real_server, transport, admin=True)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """Names of records a test creates: fixed when cassettes are involved (requests must match
    the recording), unique per run on a live server so parallel runs never collide."""
    if _live_mode(request.config):
        return f"oc-live-{secrets.token_hex(4)}"
    return "oc-test"


@pytest.fixture
def cleanup(conn: dict[str, Any]) -> Iterator[list[tuple[str, int]]]:
    """Records a test registers here are deleted after it, even when it fails."""
    from odoo_connector import invoke
    from odoo_connector.errors import NotFoundError

    created: list[tuple[str, int]] = []
    yield created
    for model, record_id in reversed(created):
        # a test may have deleted it already; anything else is a real failure to clean up
        with contextlib.suppress(NotFoundError):
            invoke("deleteRecordById", conn, {"model": model, "recordId": record_id})


@pytest.fixture(autouse=True)
def _restore_connector_logger() -> Iterator[None]:
    """The CLI points the ``odoo_connector`` logger at the stderr of its run; pytest closes that
    stream after each test, so put the logger back as it was."""
    import logging

    logger = logging.getLogger("odoo_connector")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved

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
import html
import json
import os
import re
import secrets
import xmlrpc.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

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


def in_ci() -> bool:
    """``CI`` set to anything but an empty, ``0`` or ``false`` value (.ci/run sets ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI a skipped test is a failed one: a missing browser, extra or server must not let a
    test drop out of the count unseen. Elsewhere a skip stays a skip, with its one-line reason
    (what to install) in the summary."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


# --- secrets, filtered at record time -----------------------------------------------------------
#
# Secrets are found by *where* they appear, never by searching a body for a password: a weak
# password such as ``admin`` or ``integration`` is also a word of Odoo's answers ("Contact your
# administrator") and of the login placeholders, and replacing it there corrupts the XML and JSON
# that replay has to parse. So:
#
# * requests: the ``Authorization`` header; the ``X-Odoo-Database`` header; the ``Cookie``
#   header (dropped); the database, login and password positions of XML-RPC ``authenticate`` /
#   ``login`` and the database and password positions of ``execute_kw`` / ``execute``, in XML-RPC
#   and in ``/jsonrpc``'s ``args`` alike; the ``db``, ``login`` and ``password`` params of a
#   JSON-RPC call (``/web/session/authenticate``);
# * responses: ``Set-Cookie`` (dropped), and an API key (or a password as long as one) wherever it
#   occurs as a whole token, replaced inside the parsed body, which is then written out again so
#   it still parses. A password shorter than that is never searched for in a response body:
#   Odoo does not echo passwords, and a short one would match ordinary words.

# Shorter values are not matched in response bodies (an Odoo API key has 40 characters).
_LONG_SECRET = 16
_Patterns = list[tuple[re.Pattern[str], str]]


def _env_values(*names: str) -> list[str]:
    return [os.environ[n] for n in names if os.environ.get(n)]


def _long_secret_patterns() -> _Patterns:
    """Whole-token patterns of the API keys and long passwords in the environment, longest
    first, each with its placeholder."""
    found: dict[str, str] = {}
    for placeholder, names in (
        (API_KEY_PLACEHOLDER, ("ODOO_API_KEY", "ODOO_ADMIN_API_KEY")),
        (PASSWORD_PLACEHOLDER, ("ODOO_PASSWORD", "ODOO_ADMIN_PASSWORD")),
    ):
        for value in _env_values(*names):
            if len(value) >= _LONG_SECRET:
                found.setdefault(value, placeholder)
    return [(_token(value), found[value]) for value in sorted(found, key=len, reverse=True)]


def _token(value: str) -> re.Pattern[str]:
    """``value`` as a whole token: not inside a longer run of letters and digits."""
    before = r"(?<![A-Za-z0-9])" if value[0].isalnum() else ""
    after = r"(?![A-Za-z0-9])" if value[-1].isalnum() else ""
    return re.compile(before + re.escape(value) + after)


def _replace_tokens(value: Any, patterns: _Patterns) -> Any:
    """``value`` (parsed JSON or XML-RPC data) with every long secret replaced in its strings."""
    if isinstance(value, str):
        for pattern, placeholder in patterns:
            value = pattern.sub(placeholder, value)
        return value
    if isinstance(value, dict):
        return {_replace_tokens(k, patterns): _replace_tokens(v, patterns) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replace_tokens(v, patterns) for v in value)
    return value


def _normalise_uri(uri: str) -> str:
    parts = urlsplit(uri)
    replay = urlsplit(REPLAY_URL)
    return urlunsplit((replay.scheme, replay.netloc, parts.path, parts.query, parts.fragment))


def _login_placeholder(login: Any) -> str:
    admin = login in (os.environ.get("ODOO_ADMIN_USERNAME"), ADMIN_USERNAME_PLACEHOLDER)
    return ADMIN_USERNAME_PLACEHOLDER if admin else USERNAME_PLACEHOLDER


def _scrub_xmlrpc_call(body: bytes) -> bytes:
    """An XML-RPC call with its credentials replaced by position, written out again."""
    patterns = _long_secret_patterns()
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    except Exception:
        # Not XML-RPC after all: nothing has a position to go by; long secrets as whole tokens.
        return _scrub_text(body, patterns, markup=True)
    values = list(params)
    if method in ("authenticate", "login") and len(values) >= 3:
        values[0] = REPLAY_DB
        values[1] = _login_placeholder(values[1])
        values[2] = PASSWORD_PLACEHOLDER
    elif method in ("execute_kw", "execute") and len(values) >= 3:
        values[0] = REPLAY_DB
        values[2] = PASSWORD_PLACEHOLDER
    values = _replace_tokens(values, patterns)
    return xmlrpc.client.dumps(tuple(values), method, allow_none=True).encode()


def _scrub_json_call(body: bytes) -> bytes:
    """A JSON body: the JSON-RPC credential params by name, long secrets as whole tokens. Written
    out again only when something changed (vcrpy compares JSON bodies parsed)."""
    try:
        data = json.loads(body)
    except ValueError:
        return _scrub_text(body, _long_secret_patterns(), markup=False)
    clean = _replace_tokens(data, _long_secret_patterns())
    params = clean.get("params") if isinstance(clean, dict) else None
    if isinstance(params, dict) and isinstance(params.get("args"), list):
        _scrub_jsonrpc_args(params)
    if isinstance(params, dict):
        for name, placeholder in (("db", REPLAY_DB), ("password", PASSWORD_PLACEHOLDER)):
            if name in params:
                params[name] = placeholder
        if "login" in params:
            params["login"] = _login_placeholder(params["login"])
    return body if clean == data else json.dumps(clean).encode()


def _scrub_jsonrpc_args(params: dict[str, Any]) -> None:
    """``/jsonrpc`` (the Basic Auth connection): the credentials by position in ``args``, as
    XML-RPC's: ``common.login``/``authenticate`` ``[db, login, password, …]``, ``object.execute_kw``
    ``[db, uid, password, …]``."""
    args, method = params["args"], params.get("method")
    if method in ("authenticate", "login") and len(args) >= 3:
        args[0], args[1], args[2] = REPLAY_DB, _login_placeholder(args[1]), PASSWORD_PLACEHOLDER
    elif method in ("execute_kw", "execute") and len(args) >= 3:
        args[0], args[2] = REPLAY_DB, PASSWORD_PLACEHOLDER


def _scrub_text(body: bytes, patterns: _Patterns, *, markup: bool) -> bytes:
    """A body with no structure to go by (HTML, plain text): long secrets as whole tokens. In
    markup the placeholder is escaped so the document stays well-formed."""
    if not patterns:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # binary content: an API key is text and cannot hide in it unencoded
    for pattern, placeholder in patterns:
        text = pattern.sub(html.escape(placeholder) if markup else placeholder, text)
    return text.encode()


def scrub_request(request: Any) -> Any:
    """Applied by vcrpy before a request is recorded *and* before one is matched on replay, so
    it must leave a replayed request (placeholders already) as it is."""
    request.uri = scrub_access_tokens(_normalise_uri(request.uri))
    for name in list(request.headers):
        lowered = name.lower()
        if lowered == "authorization":
            request.headers[name] = f"bearer {API_KEY_PLACEHOLDER}"
        elif lowered == "x-odoo-database":
            request.headers[name] = REPLAY_DB
        elif lowered in ("cookie", "host", "user-agent", "content-length"):
            del request.headers[name]
    body = request.body
    if body:
        raw = body if isinstance(body, bytes) else body.encode()
        if "/xmlrpc/" in request.uri:
            request.body = _scrub_xmlrpc_call(raw)
        elif raw.lstrip()[:1] in (b"{", b"["):
            request.body = _scrub_json_call(raw)
        else:
            request.body = _scrub_text(raw, _long_secret_patterns(), markup=False)
        request.body = _scrub_access_token_body(request.body, markup="/xmlrpc/" in request.uri)
        request.body = scrub_webhook_secrets(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Applied by vcrpy before a response is recorded (never on replay)."""
    patterns = _long_secret_patterns()
    headers = response.get("headers", {})
    content_type = ""
    for name in list(headers):
        lowered = name.lower()
        if lowered in ("set-cookie", "date", "server"):
            del headers[name]
            continue
        if lowered == "content-type":
            content_type = " ".join(headers[name]).lower()
        headers[name] = [scrub_access_tokens(_replace_tokens(str(v), patterns)) for v in headers[name]]
    body = response.get("body", {}).get("string")
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes) and body:
        clean = _trim_debug(_scrub_response_body(body, content_type, patterns))
        clean = _scrub_access_token_body(clean, markup="xml" in content_type or "html" in content_type)
        clean = scrub_webhook_secrets(clean)
        if clean != body:
            response["body"]["string"] = clean
    return response


def _scrub_response_body(body: bytes, content_type: str, patterns: _Patterns) -> bytes:
    if not patterns:
        return body
    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return _scrub_text(body, patterns, markup=False)
        clean = _replace_tokens(data, patterns)
        return body if clean == data else json.dumps(clean).encode()
    if "xml" in content_type and b"<methodResponse>" in body:
        try:
            params, _ = xmlrpc.client.loads(body, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            message = _replace_tokens(fault.faultString, patterns)
            if message == fault.faultString:
                return body
            clean_fault = xmlrpc.client.Fault(fault.faultCode, message)
            return xmlrpc.client.dumps(clean_fault, methodresponse=True).encode()
        except Exception:
            return _scrub_text(body, patterns, markup=True)
        clean = _replace_tokens(params, patterns)
        if clean == params:
            return body
        return xmlrpc.client.dumps(clean, methodresponse=True, allow_none=True).encode()
    return _scrub_text(body, patterns, markup="html" in content_type or "xml" in content_type)


def _trim_debug(body: bytes) -> bytes:
    """Odoo's JSON-2 errors carry the whole server traceback in ``debug`` (JSON-RPC's in
    ``error.data.debug``): it says nothing the tests need, names server paths, and makes cassettes
    ten times larger. Keep its last line (once: a trimmed one is left as it is)."""
    if not body.startswith(b"{") or b'"debug"' not in body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    holder = data if isinstance(data, dict) else None
    error = holder.get("error") if holder else None
    if isinstance(error, dict) and isinstance(error.get("data"), dict):
        holder = error["data"]  # /jsonrpc
    debug = holder.get("debug") if holder else None
    if holder is not None and isinstance(debug, str) and debug and not debug.startswith("<traceback, "):
        lines = debug.strip().splitlines()
        holder["debug"] = f"<traceback, {len(lines)} lines; last: {lines[-1]}>"
        return json.dumps(data).encode()
    return body


# --- portal access tokens ---------------------------------------------------------------------
#
# ``get_portal_url`` answers a link with an ``access_token`` that opens the document to anyone
# holding it (getRecordPdf). It is replaced wherever it appears: as the ``access_token=`` query
# parameter (request URIs, answers, Location headers) and as the value of an ``access_token``
# field (JSON ``"access_token": "…"``, an XML-RPC struct member). Every form of the placeholder
# (as is, percent-encoded by the HTTP client on replay, escaped in XML) is left alone, so scrubbing
# twice changes nothing and a replayed request matches the recorded one.

ACCESS_TOKEN_PLACEHOLDER = "<ACCESS_TOKEN>"
_TOKEN_PARAM = re.compile(r"(access_token=)[^&#\"'<>\s\\]+")
_TOKEN_JSON_FIELD = re.compile(r'("access_token"\s*:\s*")(?!<ACCESS_TOKEN>")((?:[^"\\]|\\.)+)(")')
_TOKEN_XML_MEMBER = re.compile(
    r"(<name>access_token</name>\s*<value>(?:<string>)?)(?!&lt;ACCESS_TOKEN&gt;)([^<]+)(<)"
)


def scrub_access_tokens(text: str, *, markup: bool = False) -> str:
    """``text`` with every portal access token replaced by the placeholder (escaped in markup)."""
    placeholder = html.escape(ACCESS_TOKEN_PLACEHOLDER) if markup else ACCESS_TOKEN_PLACEHOLDER
    text = _TOKEN_PARAM.sub(lambda m: m.group(1) + placeholder, text)
    text = _TOKEN_JSON_FIELD.sub(lambda m: m.group(1) + ACCESS_TOKEN_PLACEHOLDER + m.group(3), text)
    return _TOKEN_XML_MEMBER.sub(
        lambda m: m.group(1) + html.escape(ACCESS_TOKEN_PLACEHOLDER) + m.group(3), text
    )


def _scrub_access_token_body(body: Any, *, markup: bool) -> Any:
    if isinstance(body, str):
        return scrub_access_tokens(body, markup=markup) if "access_token" in body else body
    if not isinstance(body, bytes) or b"access_token" not in body:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # binary (a PDF): a token is text and is not in it unencoded
    clean = scrub_access_tokens(text, markup=markup)
    return body if clean == text else clean.encode()


# --- webhook subscription secrets ----------------------------------------------------------------
#
# recordWebhookTrigger puts a random secret in the URL of the rules it creates (``token=ocwh_…``):
# it is in the create request and in every read of the action. It is replaced wherever it
# appears, so a replayed subscribe (with a new random secret) matches the recorded one. The
# placeholder has the secret's alphabet, so JSON and XML stay as they were.

WEBHOOK_SECRET_PLACEHOLDER = "ocwh_WEBHOOK_SECRET"
_WEBHOOK_SECRET = re.compile(rb"ocwh_[A-Za-z0-9_-]{16,}")


def scrub_webhook_secrets(body: Any) -> Any:
    """``body`` (bytes or text) with every subscription secret replaced by the placeholder."""
    if isinstance(body, str):
        return _WEBHOOK_SECRET.sub(WEBHOOK_SECRET_PLACEHOLDER.encode(), body.encode()).decode()
    if isinstance(body, bytes) and b"ocwh_" in body:
        return _WEBHOOK_SECRET.sub(WEBHOOK_SECRET_PLACEHOLDER.encode(), body)
    return body


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


@pytest.fixture(params=["json2", "jsonrpc"])
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


@pytest.fixture(autouse=True)
def _fresh_client_pool() -> Iterator[None]:
    """Each test starts with no pooled client: ``invoke`` reuses clients (and the XML-RPC login)
    within a process, and a cassette recorded by one test must not depend on which tests ran
    before it (the login request would be in one cassette and missing from the next)."""
    from odoo_connector.client.pool import close_pooled_clients

    close_pooled_clients()
    yield
    close_pooled_clients()


@pytest.fixture(autouse=True)
def _own_fields_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The CLI keeps fields_get answers under $XDG_CACHE_HOME between runs: each test gets its own
    (a cassette must not depend on what an earlier test left there), and the store is turned off
    again after a test that ran the CLI in this process."""
    from odoo_connector import fields_store

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    yield
    fields_store.use(None)


@pytest.fixture
def no_odoo_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every ``ODOO_*`` variable removed, for a test that points the CLI at its own server: a shell
    set up for the live suite (a company, a login, a port) must not reach it. Returns the
    monkeypatch, for the test's own variables."""
    for name in [n for n in os.environ if n.startswith("ODOO_")]:
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture(autouse=bool(os.environ.get("MUTANT_UNDER_TEST")))
def _fresh_schema_checks() -> Iterator[None]:
    """Under mutmut only (tests/mutation/run.py): the runtime compiles each unit's input schema once per
    process, and mutmut forks every mutant from a process whose tests compiled them all already, so
    a mutant of the schema translation would never run. Each test starts without them there."""
    from odoo_connector import runtime

    runtime._FAST.clear()
    runtime._WORDING.clear()
    yield

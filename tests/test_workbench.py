"""The workbench (``odoo-connector workbench``): its server's guards, and the page driven in a real
browser against the stateful fake Odoo served on a loopback port.

The browser tests use Playwright with the system's Chromium (``/usr/bin/chromium``; Playwright's
own browser download is not used). The test extra installs Playwright and ``.ci/run`` Debian's
chromium, so in CI (``CI=true``) they always run and a missing browser fails them; elsewhere they
skip with one line naming the package to install (``apt-get install chromium``). They also
take the screenshots shown in the README: ``WORKBENCH_SCREENSHOTS=1 python -m pytest
tests/test_workbench.py`` writes them to ``docs/images/workbench-*.png``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import in_ci
from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, UID, FakeOdoo
from .fakes.server import serve, serve_transport

CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
# The README's screenshots are rewritten only when asked (WORKBENCH_SCREENSHOTS=1): each run
# serves the fake Odoo on another port, which the pictures show, so a plain run would leave the
# committed images changed. Otherwise they go to a temporary directory (the code path still runs).
IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
WRITE_IMAGES = os.environ.get("WORKBENCH_SCREENSHOTS") == "1"
IN_CI = in_ci()


def _needs(what: str, how: str) -> None:
    """In CI a missing part is a failure (the tests are part of the suite); elsewhere a visible skip."""
    if IN_CI:
        pytest.fail(f"{what} is missing in CI; .ci/run should have installed it ({how})")
    pytest.skip(f"{what} is not installed: {how}")


try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError:  # pragma: no cover - depends on the installation
    HAVE_WEB_STACK = False
else:
    HAVE_WEB_STACK = True


@pytest.fixture
def web_stack() -> None:
    if not HAVE_WEB_STACK:
        _needs("The workbench extra", 'python -m pip install -e ".[workbench-test]"')


class WorkbenchOdoo(FakeOdoo):
    """The fake Odoo plus what the pickers of a form call: ``ir.model.get_available_models``
    (selectModel), ``name_search`` (selectRecordById), the user's companies (selectCompany) and
    ``res.lang.get_installed`` (selectLanguage)."""

    def __init__(self) -> None:
        super().__init__()
        self.add_model("ir.model", {"model": "char"})
        self.add_model("res.company", {})
        self.add_model("res.lang", {})
        self.fields["res.users"]["company_ids"] = "many2many"
        self.tables["res.users"][UID]["company_ids"] = [1]
        self.tables["res.company"][1] = {"id": 1, "name": "My Company"}

    def _m_get_installed(self, model: str) -> list[list[str]]:
        return [["en_US", "English (US)"], ["fr_FR", "French / Français"]]

    def _m_get_available_models(self, model: str) -> list[dict[str, Any]]:
        names = {"res.partner": "Contact", "res.users": "User"}
        return [{"model": m, "display_name": names[m]} for m in self.fields if m in names]

    def _m_name_search(
        self, model: str, name: str = "", limit: int | None = None, **_: Any
    ) -> list[list[Any]]:
        rows = [
            r for r in self.tables[model].values() if name.casefold() in str(r.get("name", "")).casefold()
        ]
        return [[r["id"], r.get("name") or False] for r in rows[:limit]]


@pytest.fixture
def odoo() -> Iterator[tuple[WorkbenchOdoo, str]]:
    fake = WorkbenchOdoo()
    fake.create("res.partner", name="Existing Customer", email="existing@example.com")
    with serve_transport(fake) as url:
        yield fake, url


@pytest.fixture
def workbench(web_stack: None) -> Iterator[str]:
    from odoo_connector.manifest import load_manifest
    from odoo_connector.workbench.server import running

    with running(load_manifest()) as url:
        yield url


# -- the server, without a browser ---------------------------------------------------------------


def test_every_request_without_the_token_is_refused(workbench: str) -> None:
    base, token = workbench.split("/?token=")
    for path in ("/", "/static/app.js", "/static/jsonforms.bundle.js", "/api/describe", "/api/connection"):
        assert httpx.get(base + path).status_code == 403, path
        assert httpx.get(base + path, params={"token": "wrong"}).status_code == 403, path
        assert httpx.get(base + path, headers={"X-Workbench-Token": "wrong"}).status_code == 403, path
    refused = httpx.post(base + "/api/run", json={"key": "listRecords", "inputs": {}})
    assert refused.status_code == 403
    assert "token" in refused.text
    assert httpx.get(workbench).status_code == 200
    assert httpx.get(base + "/api/describe", headers={"X-Workbench-Token": token}).status_code == 200


def test_the_page_answers_only_to_loopback_host_names(workbench: str) -> None:
    # a page elsewhere reaching 127.0.0.1 through DNS rebinding sends its own host name
    assert httpx.get(workbench, headers={"Host": "attacker.example"}).status_code == 400
    assert httpx.get(workbench.replace("127.0.0.1", "localhost")).status_code == 200


def test_the_page_is_served_with_a_strict_content_security_policy(workbench: str) -> None:
    response = httpx.get(workbench)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"


def test_saved_secret_is_never_sent_back_and_an_empty_one_keeps_it(workbench: str, odoo: Any) -> None:
    _, url = odoo
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    fields = {"baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
    saved = httpx.post(
        base + "/api/connection", headers=headers, json={"type": "odooApiKey", "fields": fields}
    )
    assert saved.json() == {
        "type": "odooApiKey",
        "fields": {"baseUrl": url, "database": DATABASE},
        "secretsSet": ["apiKey"],
    }
    again = {**fields, "apiKey": "", "timeout": "30"}
    httpx.post(base + "/api/connection", headers=headers, json={"type": "odooApiKey", "fields": again})
    checked = httpx.post(base + "/api/check", headers=headers, json={}).json()
    assert checked["result"]["user"]["login"] == LOGIN
    assert API_KEY not in httpx.get(base + "/api/connection", headers=headers).text


def test_a_login_holding_the_password_as_a_word_is_shown_and_saved_whole(workbench: str) -> None:
    """With the password ``integration``, the login ``integration@example.com`` and a partner
    named "R3 integration partner" reach the page as Odoo holds them; saving the form again with
    the login the page shows keeps a working connection."""
    login, password = "integration@example.com", "integration"
    fake = FakeOdoo(login=login, password=password)
    fake.create("res.partner", name="R3 integration partner", email=login)
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    with serve_transport(fake) as url:
        fields = {"baseUrl": url, "database": DATABASE, "username": login, "password": password}
        saved = httpx.post(
            base + "/api/connection", headers=headers, json={"type": "odooBasicAuth", "fields": fields}
        ).json()
        assert saved["fields"]["username"] == login
        shown = httpx.get(base + "/api/connection", headers=headers).json()["fields"]
        again = httpx.post(  # the form as the page fills it from what it was shown, secret left empty
            base + "/api/connection", headers=headers, json={"type": "odooBasicAuth", "fields": shown}
        ).json()
        assert again["fields"]["username"] == login and again["secretsSet"] == ["password"]
        checked = httpx.post(base + "/api/check", headers=headers, json={}).json()
        ran = httpx.post(
            base + "/api/run",
            headers=headers,
            json={"key": "listRecords", "inputs": {"model": "res.partner", "fields": ["name", "email"]}},
        ).json()
    assert checked["result"]["user"]["login"] == login
    assert [(r["name"], r["email"]) for r in ran["result"]["data"]] == [("R3 integration partner", login)]
    assert "<redacted>" not in json.dumps([saved, shown, again, checked, ran])
    assert json.dumps(password) not in json.dumps([saved, shown, again, checked, ran])


@pytest.mark.parametrize(
    "change",
    [
        {"baseUrl": "OTHER"},
        {"port": "OTHER_PORT"},
        {"database": "other_db"},
        {"username": "someone.else@example.com"},
    ],
    ids=["baseUrl", "port", "database", "username"],
)
def test_a_saved_secret_is_never_sent_to_another_server_database_or_login(
    workbench: str, odoo: Any, change: dict[str, str]
) -> None:
    """Saving again with the secret left empty keeps it only for the same server, port, database
    and login: naming another one asks for the secret again, and nothing reaches the other server."""
    _, url = odoo
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    kind = "odooBasicAuth" if "username" in change else "odooApiKey"
    secret = {"username": LOGIN, "password": PASSWORD} if kind == "odooBasicAuth" else {"apiKey": API_KEY}
    fields = {"baseUrl": url, "database": DATABASE, **secret}
    httpx.post(base + "/api/connection", headers=headers, json={"type": kind, "fields": fields})
    seen: list[Any] = []
    with serve(lambda request: seen.append(request) or (200, {}, b"{}")) as (other, _):
        other_port = other.rsplit(":", 1)[1]
        moved = {k: v.replace("OTHER_PORT", other_port).replace("OTHER", other) for k, v in change.items()}
        if "port" in moved:  # the same host, another port
            moved["baseUrl"] = url.rsplit(":", 1)[0]
        emptied = {k: "" for k in secret if k != "username"}
        answer = httpx.post(
            base + "/api/connection",
            headers=headers,
            json={"type": kind, "fields": {**fields, **emptied, **moved}},
        ).json()
        checked = httpx.post(base + "/api/check", headers=headers, json={}).json()
    secret_key = "password" if kind == "odooBasicAuth" else "apiKey"
    assert answer["error"]["type"] == "ConnectionSettingsError", answer
    assert answer["error"]["path"] == secret_key
    assert "again" in answer["error"]["message"]
    assert seen == []  # the key went nowhere else...
    assert checked["result"]["user"]["login"] == LOGIN  # ...and the saved connection still works
    # the same place written differently (a trailing slash) keeps the secret
    same = httpx.post(
        base + "/api/connection",
        headers=headers,
        json={"type": kind, "fields": {**fields, **emptied, "baseUrl": url + "/"}},
    ).json()
    assert same["secretsSet"] == [secret_key], same


def test_the_json_routes_take_the_token_only_in_a_header(workbench: str) -> None:
    base, token = workbench.split("/?token=")
    assert httpx.get(base + "/api/describe", params={"token": token}).status_code == 403
    assert httpx.post(base + "/api/check", params={"token": token}, json={}).status_code == 403
    assert httpx.get(base + "/api/describe", headers={"X-Workbench-Token": token}).status_code == 200
    # the page and its files still open from the printed URL
    assert httpx.get(workbench).status_code == 200
    assert httpx.get(base + "/static/app.js", params={"token": token}).status_code == 200


def test_a_request_from_another_origin_or_not_json_is_refused(workbench: str) -> None:
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    own = base  # http://127.0.0.1:PORT, the page's own origin
    for origin in ("http://evil.example", "null", own.replace("127.0.0.1", "localhost"), own + "0"):
        refused = httpx.post(base + "/api/check", headers={**headers, "Origin": origin}, json={})
        assert refused.status_code == 403, origin
        assert httpx.get(base + "/api/connection", headers={**headers, "Origin": origin}).status_code == 403
    assert httpx.post(base + "/api/check", headers={**headers, "Origin": own}, json={}).status_code == 200
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None):
        sent = {**headers, "Content-Type": content_type} if content_type else headers
        answer = httpx.post(base + "/api/connection", headers=sent, content=b'{"type": "odooApiKey"}')
        assert answer.status_code == 415, content_type
    charset = {**headers, "Content-Type": "application/json; charset=utf-8"}
    assert httpx.post(base + "/api/check", headers=charset, content=b"{}").status_code == 200


def test_the_token_is_printed_once_on_stdout_and_never_logged(web_stack: None) -> None:
    code = "from odoo_connector.cli import main; main(['workbench', '--port', '0'])"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = json.loads(process.stdout.readline())["url"]
        line = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    token = url.split("?token=")[1]
    assert "workbench at http://127.0.0.1:" in line
    assert token not in line


def test_the_cli_line_of_a_run_names_the_variables_and_elides_the_secret(workbench: str, odoo: Any) -> None:
    _, url = odoo
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    fields = {"baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
    httpx.post(base + "/api/connection", headers=headers, json={"type": "odooApiKey", "fields": fields})
    answer = httpx.post(
        base + "/api/run", headers=headers, json={"key": "listRecords", "inputs": {"model": "res.partner"}}
    ).json()
    assert answer["result"]["data"][0]["name"] == "Existing Customer"
    assert answer["command"] == (
        f"ODOO_URL={url} ODOO_DB={DATABASE} ODOO_API_KEY='<your apiKey>' "
        """odoo-connector run listRecords --input '{"model": "res.partner"}'"""
    )


def test_a_connection_field_the_manifest_does_not_declare_is_refused_and_nothing_is_saved(
    workbench: str,
) -> None:
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    fields = {"baseUrl": "https://acme.odoo.com", "database": "acme", "apiKey": "k", "username": "x"}
    answer = httpx.post(
        base + "/api/connection", headers=headers, json={"type": "odooApiKey", "fields": fields}
    )
    assert answer.json() == {
        "error": {
            "type": "ConnectionSettingsError",
            "message": "odooApiKey has no field 'username'.",
            "path": "username",
        }
    }
    assert httpx.get(base + "/api/connection", headers=headers).json() == {
        "type": None,
        "fields": {},
        "secretsSet": [],
    }


def test_the_trigger_state_is_forgotten_when_the_connection_changes(workbench: str, odoo: Any) -> None:
    fake, url = odoo
    base, token = workbench.split("/?token=")
    headers = {"X-Workbench-Token": token}
    connection = {"type": "odooApiKey", "fields": {"baseUrl": url, "database": DATABASE, "apiKey": API_KEY}}
    poll = {"key": "pollChangesTrigger", "inputs": {"model": "res.partner"}}
    httpx.post(base + "/api/connection", headers=headers, json=connection)
    httpx.post(base + "/api/run", headers=headers, json=poll)  # the baseline
    fake.advance(5)
    fake.create("res.partner", name="After Baseline")
    fake.advance(5)
    httpx.post(base + "/api/connection", headers=headers, json=connection)
    again = httpx.post(base + "/api/run", headers=headers, json=poll).json()
    assert again["result"]["data"] == {"created": [], "updated": []}  # a new baseline, not a stale state
    assert again["command"].endswith(
        """odoo-connector poll pollChangesTrigger --input '{"model": "res.partner"}' """
        "--state workbench-state.json"
    )


def test_a_busy_port_is_a_usage_error_naming_the_port(web_stack: None, capsys: Any) -> None:
    from odoo_connector.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["workbench", "--port", str(port)]) == 2
    error = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["error"]
    assert error == {
        "type": "InputError",
        "message": f"The workbench cannot listen on 127.0.0.1:{port}: Address already in use.",
        "hint": "Choose another port with --port (0 picks a free one).",
        "path": "port",
    }


def test_importing_the_connector_never_imports_the_web_stack() -> None:
    code = "import sys, odoo_connector, odoo_connector.cli, odoo_connector.workbench; " + (
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_workbench_without_the_extra_says_how_to_install_it() -> None:
    # None in sys.modules: Python's way of saying "not installed" to find_spec and import
    code = textwrap.dedent(
        """
        import sys
        sys.modules["starlette"] = sys.modules["uvicorn"] = None
        from odoo_connector.cli import main
        sys.exit(main(["workbench", "--port", "0"]))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 3
    error = json.loads(done.stderr.strip().splitlines()[-1])["error"]
    assert error["type"] == "WorkbenchUnavailableError"
    assert error["message"] == "The workbench needs starlette and uvicorn, which are not installed."
    # an install line that works in a fresh venv: the published name (never PyPI's other
    # odoo-connector) and the checkout's own
    assert 'python -m pip install "odoo-lowcode-connector[workbench]"' in error["hint"]
    assert 'python -m pip install ".[workbench]"' in error["hint"]


# -- in a real browser ---------------------------------------------------------------------------


@pytest.fixture
def browser(web_stack: None) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _needs("Playwright", 'python -m pip install -e ".[workbench-test]"')
    if not CHROMIUM.exists():
        _needs(f"Chromium ({CHROMIUM})", "apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


class Page:
    """A page of the workbench that records every response body it receives."""

    def __init__(self, browser: Any, url: str, images: Path) -> None:
        self.images = IMAGES if WRITE_IMAGES else images
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.responses: list[Any] = []
        self.page.on("response", lambda r: self.responses.append(r))
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]")

    def connect(self, odoo_url: str, api_key: str = API_KEY) -> None:
        page = self.page
        page.select_option("#connection-type", "odooApiKey")
        page.fill("#conn-baseUrl", odoo_url)
        page.fill("#conn-database", DATABASE)
        page.fill("#conn-apiKey", api_key)
        page.click("#connection-save")
        page.wait_for_selector("#connection-result.ok, #connection-result.error")

    def pick_unit(self, key: str) -> None:
        self.page.click(f".unit-button[data-key={key}]")
        self.page.wait_for_selector(f"#unit-title:has-text('({key})')")

    def choose(self, path: str, label: str) -> None:
        picker = self.page.locator(f"select.wb-picker[data-path='{path}']")
        picker.locator("option", has_text=label).wait_for(state="attached")
        picker.select_option(label=label)

    def fill_json(self, path: str, text: str) -> None:
        """An input drawn from a data source (x-dynamicSchema: createRecord's ``parameters`` is the
        model's form) typed as JSON text: once its form is drawn, switch it to "as JSON"."""
        switch = f"fieldset.wb-dynamic[data-path='{path}'] .wb-as-json input"
        if self.page.locator(switch).count():
            self.page.wait_for_selector(f"{switch}:enabled")
            self.page.check(switch)
        self.page.fill(f"textarea[data-path='{path}']", text)

    def run(self) -> None:
        self.page.click("#unit-run")
        self.page.wait_for_selector("#unit-result.ok, #unit-result.error")

    def shot(self, name: str) -> None:
        self.images.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.images / f"workbench-{name}.png"), full_page=True)

    def bodies(self) -> list[str]:
        return [r.body().decode("utf-8", "replace") for r in self.responses]


def test_connection_form_is_drawn_from_the_manifest(browser: Any, workbench: str, tmp_path: Path) -> None:
    from odoo_connector.manifest import load_manifest

    manifest = load_manifest()
    page = Page(browser, workbench, tmp_path).page
    api_key = manifest.connection("odooApiKey")
    for field in api_key.fields:
        row = page.locator(f".conn-field[data-field={field.key}]")
        assert row.locator("label").inner_text().rstrip(" *") == field.label
        assert row.locator(".input-description").inner_text() == " ".join(field.description.split())
    assert page.get_attribute("#conn-apiKey", "type") == "password"
    # the connection's documentation (markdown) is shown as text: lists as lists, no raw markup
    page.click("#connection-doc summary")
    bullets = [line for line in api_key.documentation.splitlines() if line.lstrip().startswith("- ")]
    assert page.locator("#connection-doc li").count() == len(bullets)
    assert page.locator("#connection-doc strong", has_text="Get an API key.").count() == 1
    assert "**" not in page.inner_text("#connection-doc")
    assert page.get_attribute("#conn-baseUrl", "placeholder") == "e.g. https://acme.odoo.com"
    assert page.is_hidden("#connection-deprecated")
    page.select_option("#connection-type", "odooBasicAuth")
    basic = manifest.connection("odooBasicAuth")
    assert page.get_attribute("#conn-password", "type") == "password"
    assert page.inner_text("#connection-deprecated") == "Deprecated: " + " ".join(
        (basic.deprecation_message or "").split()
    )
    assert "(deprecated)" in page.inner_text("#connection-type option[value=odooBasicAuth]")


def test_a_wrong_api_key_shows_the_error_type_message_and_hint(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    _, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    wb.connect(odoo_url, api_key="not-the-key")
    box = wb.page.locator("#connection-result")
    assert box.locator(".error-type").inner_text() == "AuthenticationError"
    assert "Invalid apikey" in box.locator(".error-message").inner_text()
    assert "Add API Key" in box.locator(".error-hint").inner_text()
    # an error with no input path ends with its hint, not with a stray "null" line (D5)
    assert box.inner_text().strip().splitlines()[-1].startswith("Hint: ")
    assert "null" not in box.inner_text()


def test_create_then_read_a_record_through_forms_built_from_the_manifest(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    fake, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    page = wb.page
    wb.shot("connection")

    wb.connect(odoo_url)
    assert page.inner_text("#check-version") == "19.0"
    assert page.inner_text("#check-database") == DATABASE
    assert page.inner_text("#check-user") == f"Bot ({LOGIN}, id 2)"
    assert page.input_value("#conn-apiKey") == ""  # the page keeps no secret once sent
    wb.shot("connected")

    # createRecord: the model from the picklist, the values as JSON, run, see the id
    wb.pick_unit("createRecord")
    wb.choose("model", "Contact (res.partner)")
    wb.fill_json("parameters", '{"name": "Acme Corporation", "email": "info@acme.example"}')
    wb.run()
    created = json.loads(page.inner_text("#unit-output"))
    assert created == {"data": 2}
    assert fake.tables["res.partner"][2]["name"] == "Acme Corporation"
    assert page.inner_text("#unit-command").endswith(
        """odoo-connector run createRecord --input '{"model": "res.partner", """
        """"parameters": {"name": "Acme Corporation", "email": "info@acme.example"}}'"""
    )
    wb.shot("create-record")
    from odoo_connector.manifest import load_manifest

    example = load_manifest().unit("createRecord").example_payload
    assert json.loads(page.inner_text("#unit-example-output")) == example

    # getRecordById: the record picker lists the chosen model's records
    wb.pick_unit("getRecordById")
    note = page.locator(".wb-picker[data-path=recordId] + .wb-picker-note")
    assert note.inner_text() == "Choose Model first."
    wb.choose("model", "Contact (res.partner)")
    wb.choose("recordId", "Acme Corporation")
    assert page.locator("select.wb-picker[data-path=recordId] option").all_inner_texts() == [
        "— choose —",
        "Existing Customer",
        "Acme Corporation",
    ]
    wb.run()
    record = json.loads(page.inner_text("#unit-output"))["data"]
    assert record["id"] == 2
    assert record["name"] == "Acme Corporation"
    assert record["email"] == "info@acme.example"
    wb.shot("get-record")

    # the record picker follows the model: another model, another list
    wb.choose("model", "User (res.users)")
    wb.choose("recordId", "Bot")
    assert page.locator("select.wb-picker[data-path=recordId] option").all_inner_texts() == [
        "— choose —",
        "Bot",
    ]

    # the API key never reached the page after it was saved: not in the DOM, not in any response
    assert API_KEY not in page.content()
    assert all(API_KEY not in body for body in wb.bodies())
    assert wb.console_errors == []


def test_an_input_error_is_shown_next_to_its_field(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    _, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    page = wb.page
    wb.connect(odoo_url)
    wb.pick_unit("createRecord")
    wb.choose("model", "Contact (res.partner)")
    wb.fill_json("parameters", '{"name": "Acme"}')
    external_id = page.locator(".control", has=page.locator("label", has_text="External ID"))
    external_id.locator("input").fill("not an external id")
    wb.run()
    assert page.inner_text("#unit-result .error-type") == "InputError"
    message = page.inner_text("#unit-result .error-message")
    assert message.startswith("The input 'externalId' is not valid")
    assert external_id.locator(".validation").inner_text() == message
    wb.shot("input-error")
    assert API_KEY not in page.content()
    assert all(API_KEY not in body for body in wb.bodies())


def test_the_trigger_polls_against_a_state_kept_for_the_page(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    fake, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    page = wb.page
    wb.connect(odoo_url)
    wb.pick_unit("pollChangesTrigger")
    wb.choose("model", "Contact (res.partner)")
    wb.run()  # the first poll records a baseline
    first = json.loads(page.inner_text("#unit-output"))
    assert first["data"] == {"created": [], "updated": []}
    fake.advance(5)
    fake.create("res.partner", name="New Lead Co")
    fake.advance(5)
    wb.run()
    second = json.loads(page.inner_text("#unit-output"))
    assert [r["name"] for r in second["data"]["created"]] == ["New Lead Co"]
    assert page.inner_text("#unit-command").endswith("--state workbench-state.json")
    wb.shot("trigger")


def test_the_webhook_trigger_says_it_runs_with_watch_instead_of_a_poll_that_fails(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    """D7: recordWebhookTrigger needs a subscription and a listener Odoo reaches; the page offers
    no "Poll once" (which always failed) and shows the watch command instead."""
    _, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    page = wb.page
    wb.connect(odoo_url)
    wb.pick_unit("recordWebhookTrigger")
    assert not page.is_visible("#unit-run") and not page.is_visible("#unit-reset")
    assert page.is_visible("#unit-pushed")
    command = page.inner_text("#unit-pushed-command")
    assert command.startswith("odoo-connector watch recordWebhookTrigger --input '{")
    assert "--listen 127.0.0.1:8099 --public-url " in command
    # a polling trigger still polls from the page
    wb.pick_unit("pollChangesTrigger")
    assert page.is_visible("#unit-run") and not page.is_visible("#unit-pushed")


def test_a_stopped_batch_run_shows_the_ids_it_wrote_before_the_error(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    fake, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    page = wb.page
    wb.connect(odoo_url)
    wb.pick_unit("createRecords")
    page.click("#unit-example")  # Acme (name, email), then Globex (name, is_company): two batches
    fake.fail_on("load", nth=2, kind="access")  # Odoo refuses the second
    wb.run()
    assert page.inner_text("#unit-result .error-type") == "AccessDeniedError"
    report = json.loads(page.inner_text("#error-report"))
    acme = next(i for i, r in fake.tables["res.partner"].items() if r["name"] == "Acme")
    assert report["rows"][0] == {"index": 0, "id": acme, "created": True}
    assert report["rows"][1]["error"]["type"] == "NotWritten"
    assert (report["written"], report["failed"]) == (1, 1)


def test_the_deprecated_basic_auth_connection_runs_units_too(
    browser: Any, workbench: str, odoo: Any, tmp_path: Path
) -> None:
    _, odoo_url = odoo
    wb = Page(browser, workbench, tmp_path)
    page = wb.page
    page.select_option("#connection-type", "odooBasicAuth")
    page.fill("#conn-baseUrl", odoo_url)
    page.fill("#conn-database", DATABASE)
    page.fill("#conn-username", LOGIN)
    page.fill("#conn-password", PASSWORD)
    page.click("#connection-save")
    page.wait_for_selector("#connection-result.ok, #connection-result.error")
    assert page.inner_text("#check-user") == f"Bot ({LOGIN}, id 2)"
    wb.pick_unit("listRecords")
    wb.choose("model", "Contact (res.partner)")
    wb.run()
    records = json.loads(page.inner_text("#unit-output"))["data"]
    assert [r["name"] for r in records] == ["Existing Customer"]
    assert page.inner_text("#unit-command").startswith(
        f"ODOO_URL={odoo_url} ODOO_DB={DATABASE} ODOO_USERNAME={LOGIN} ODOO_PASSWORD='<your password>' "
    )
    assert PASSWORD not in page.content()
    assert all(PASSWORD not in body for body in wb.bodies())


# -- a dynamic schema (x-dynamicSchema): the model's own form for `parameters` ------------------

_TYPES = {"char": "string", "boolean": "boolean", "integer": "integer"}


def model_form(client: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """A stand-in for the field-aware issue's ``modelForm`` data source: the chosen model's
    writable fields, from Odoo's ``fields_get``, as ``{schema, uischema}``."""
    fields = client.call(inputs["model"], "fields_get", attributes=["string", "type"])
    names = [n for n, f in fields.items() if f["type"] in _TYPES and n not in ("id", "display_name")]
    return {
        "schema": {
            "type": "object",
            "properties": {
                n: {"type": _TYPES[fields[n]["type"]], "title": fields[n]["string"]} for n in names
            },
            "required": ["name"],
        },
        "uischema": {
            "type": "VerticalLayout",
            "elements": [{"type": "Control", "scope": f"#/properties/{n}"} for n in names],
        },
    }


@pytest.fixture
def dynamic_manifest(tmp_path: Path) -> Path:
    """The project's manifest, with createRecord's ``parameters`` described by a ``modelForm``
    data source as the field-aware issue declares it."""
    import shutil

    import yaml

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "schemas", tmp_path / "schemas")
    raw = yaml.safe_load((root / "connector.yaml").read_text(encoding="utf-8"))
    group = tmp_path / "schemas" / "dataSources"
    input_schema = {
        "title": "Model form inputs",
        "description": "The model whose form to draw.",
        "type": "object",
        "properties": {"model": {"type": "string", "title": "Model", "description": "The model."}},
        "required": ["model"],
    }
    (group / "modelForm.input.json").write_text(json.dumps(input_schema))
    (group / "modelForm.output.json").write_text(json.dumps({"type": "object"}))
    (group / "modelForm.example.json").write_text(json.dumps({"data": {"schema": {}, "uischema": {}}}))
    # the stand-in replaces the real modelForm, so the form drawn is the one this test knows
    raw["dataSources"] = [unit for unit in raw["dataSources"] if unit["key"] != "modelForm"]
    raw["dataSources"].append(
        {
            "key": "modelForm",
            "label": "Model form",
            "description": "The chosen model's form.",
            "handler": "tests.test_workbench:model_form",
            "connections": ["odooApiKey", "odooBasicAuth"],
            "readOnly": True,
            "destructive": False,
            "idempotent": True,
            "groups": [],
            "inputs": "schemas/dataSources/modelForm.input.json",
            "output": "schemas/dataSources/modelForm.output.json",
            "example": "schemas/dataSources/modelForm.example.json",
        }
    )
    create = tmp_path / "schemas" / "actions" / "createRecord.input.json"
    schema = json.loads(create.read_text(encoding="utf-8"))
    schema["properties"]["parameters"]["x-dynamicSchema"] = {
        "dataSource": "modelForm",
        "dependsOn": ["model"],
    }
    create.write_text(json.dumps(schema))
    (tmp_path / "connector.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return tmp_path / "connector.yaml"


def test_a_dynamic_schema_becomes_the_chosen_models_form(
    browser: Any, odoo: Any, dynamic_manifest: Path, tmp_path: Path
) -> None:
    from odoo_connector.manifest import load_manifest
    from odoo_connector.workbench.server import running

    fake, odoo_url = odoo
    with running(load_manifest(str(dynamic_manifest))) as url:
        wb = Page(browser, url, tmp_path)
        page = wb.page
        wb.connect(odoo_url)
        wb.pick_unit("createRecord")
        form = page.locator("fieldset.wb-dynamic[data-path=parameters]")
        assert form.locator(".wb-picker-note").inner_text() == "Choose Model first."
        wb.choose("model", "Contact (res.partner)")
        form.locator("label", has_text="Is Company").wait_for()
        assert form.locator(".control > label").all_inner_texts() == ["Name*", "Email", "Is Company"]
        form.locator(".control", has=page.locator("label", has_text="Name")).locator("input").fill("Initech")
        form.locator(".control", has=page.locator("label", has_text="Email")).locator("input").fill(
            "hi@initech.example"
        )
        form.locator(".wb-as-json input").check()  # the same value as JSON text, and back
        assert json.loads(form.locator("textarea").input_value()) == {
            "name": "Initech",
            "email": "hi@initech.example",
        }
        form.locator(".wb-as-json input").uncheck()
        wb.run()
        assert json.loads(page.inner_text("#unit-output")) == {"data": 2}
        assert fake.tables["res.partner"][2]["name"] == "Initech"
        assert fake.tables["res.partner"][2]["email"] == "hi@initech.example"
        wb.shot("model-form")


# -- the real modelForm's answer, drawn by the browser ---------------------------------------------

_PARTNER_FORM = Path(__file__).parent / "fixtures" / "model_form_res_partner.json"


def recorded_partner_form(client: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """What modelForm answered for res.partner (create) on the real Odoo 19, as the ordinary user
    (tests/fixtures/model_form_res_partner.json): the browser must draw Odoo's own form from it."""
    form: dict[str, Any] = json.loads(_PARTNER_FORM.read_text(encoding="utf-8"))
    return form


def test_the_real_partner_form_is_drawn_in_the_form_views_order_with_pickers_and_an_advanced_group(
    browser: Any, odoo: Any, dynamic_manifest: Path, tmp_path: Path
) -> None:
    import yaml

    from odoo_connector.manifest import load_manifest
    from odoo_connector.workbench.server import running

    raw = yaml.safe_load(dynamic_manifest.read_text(encoding="utf-8"))
    for unit in raw["dataSources"]:
        if unit["key"] == "modelForm":
            unit["handler"] = "tests.test_workbench:recorded_partner_form"
    dynamic_manifest.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    recorded = recorded_partner_form(None, {})
    titles = {name: prop["title"] for name, prop in recorded["schema"]["properties"].items()}
    *controls, advanced = recorded["uischema"]["elements"]
    props = recorded["schema"]["properties"]
    names = [c["scope"].removeprefix("#/properties/") for c in controls]
    # lists (tags, contacts) are drawn as tables with their own header, not as a labelled control
    main = [titles[n] for n in names if props[n]["type"] != "array"]
    first_advanced = next(
        titles[n]
        for c in advanced["elements"]
        if props[n := c["scope"].removeprefix("#/properties/")]["type"] != "array"
    )

    fake, odoo_url = odoo
    with running(load_manifest(str(dynamic_manifest))) as url:
        wb = Page(browser, url, tmp_path)
        page = wb.page
        wb.connect(odoo_url)
        wb.pick_unit("createRecord")
        wb.choose("model", "Contact (res.partner)")
        form = page.locator("fieldset.wb-dynamic[data-path=parameters]")
        form.locator("label", has_text="Related Company").first.wait_for()
        labels = form.locator(".control > label").all_inner_texts()
        # the form view's fields, in its order, before the Advanced group's
        assert [label.rstrip("*") for label in labels[: len(main)]] == main
        assert form.locator("legend", has_text="Advanced").count() == 1
        assert labels[len(main)] == first_advanced
        # a many2one is a record picker over the related model; a selection offers Odoo's labels
        country = form.locator("select.wb-picker[data-path='parameters.country_id']")
        assert country.get_attribute("data-datasource") == "selectRecordById"
        address_type = form.locator(".control", has=page.locator("label", has_text="Address Type")).locator(
            "select"
        )
        options = address_type.locator("option").evaluate_all("os => os.map(o => o.label)")
        assert options[-4:] == ["Contact", "Invoice", "Delivery", "Other"]
        form.locator(".control", has=page.locator("label", has_text="Name")).first.locator("input").fill(
            "Initech"
        )
        wb.run()
        created = json.loads(page.inner_text("#unit-output"))["data"]
        assert fake.tables["res.partner"][created]["name"] == "Initech"
        wb.shot("model-form-res-partner")

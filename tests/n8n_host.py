"""A real n8n for the tests: installed once from npm into the user cache (outside the repository),
started headless with the package ``odoo-connector export n8n`` writes.

Which n8n and how it installs here (docs/n8n.md): n8n 1.123.x, the last line that accepts
Debian's Node 20 (2.x needs Node 24). A plain ``npm install`` fails twice on these machines, so:
``xlsx`` is overridden with the registry's 0.18.5 (n8n's own pin points at a CDN), scripts are not
run (``isolated-vm`` does not compile against Node 20's headers) and ``sqlite3``, n8n's database
driver, is built with node-gyp afterwards; n8n then runs with ``N8N_EXPRESSION_ENGINE=legacy``
(no isolated-vm) and without task runners. npm's cache lives inside the install folder, so a CI
cache of that one folder makes the next install offline.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

VERSION = "1.123.81"
# Read at import: conftest gives each test its own $XDG_CACHE_HOME, which would install it each time.
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "odoo-connector-tests"
INSTALL_TIMEOUT = 1800


def install() -> Path:
    """n8n's folder, installed on first use (12 minutes here, on 2 busy cores); the seconds it took are
    kept in ``install-seconds.json`` beside it."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("needs node and npm (apt-get install nodejs npm) to run a real n8n")
    prefix = CACHE / f"n8n-{VERSION}"
    done = prefix / "installed"
    if done.is_file():
        return prefix
    if not (shutil.which("make") and shutil.which("g++")):
        pytest.skip("needs make and g++ (apt-get install make g++) to build n8n's sqlite3 driver")
    prefix.mkdir(parents=True, exist_ok=True)
    package = {"private": True, "dependencies": {"n8n": VERSION}, "overrides": {"xlsx": "0.18.5"}}
    (prefix / "package.json").write_text(json.dumps(package))
    cache = str(prefix / "npm-cache")
    started = time.monotonic()
    steps = [
        (prefix, ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--cache", cache]),
        (prefix / "node_modules" / "sqlite3", ["npx", "--yes", "--cache", cache, "node-gyp", "rebuild"]),
    ]
    seconds = []
    for folder, command in steps:
        step = time.monotonic()
        run = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed in {folder}:\n{run.stderr[-3000:]}")
        seconds.append(round(time.monotonic() - step, 1))
    (prefix / "install-seconds.json").write_text(
        json.dumps(
            {
                "npm install": seconds[0],
                "sqlite3 build": seconds[1],
                "total": round(time.monotonic() - started, 1),
            }
        )
    )
    done.write_text(VERSION)
    return prefix


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class N8n:
    """One n8n instance: its own user folder (database, settings), the package loaded from
    ``extensions`` and the connector service named by ``service``."""

    def __init__(self, prefix: Path, home: Path, extensions: Path, service: Mapping[str, str]) -> None:
        self.binary = prefix / "node_modules" / ".bin" / "n8n"
        self.home = home
        self.port = free_port()
        self.env = {
            **os.environ,
            "N8N_USER_FOLDER": str(home),
            "N8N_ENCRYPTION_KEY": "odoo-connector-tests-" + secrets.token_hex(8),
            "N8N_EXPRESSION_ENGINE": "legacy",
            "N8N_RUNNERS_ENABLED": "false",
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
            "N8N_CUSTOM_EXTENSIONS": str(extensions),
            "N8N_PORT": str(self.port),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_SECURE_COOKIE": "false",
            "DB_SQLITE_POOL_SIZE": "0",
            **service,
        }
        self.timings: dict[str, list[float]] = {}

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        run = subprocess.run(
            [str(self.binary), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        self.timings.setdefault(args[0], []).append(round(time.monotonic() - started, 2))
        return run

    def import_credentials(self, credentials: list[dict[str, Any]]) -> None:
        path = self.home / "credentials.json"
        path.write_text(json.dumps(credentials))
        run = self.cli("import:credentials", f"--input={path}")
        assert run.returncode == 0, run.stdout + run.stderr
        path.unlink()  # it holds the secrets in clear

    def import_workflow(self, workflow: dict[str, Any], *, active: bool = False) -> None:
        path = self.home / f"workflow-{workflow['id']}.json"
        path.write_text(json.dumps(workflow))
        run = self.cli("import:workflow", f"--input={path}")
        assert run.returncode == 0, run.stdout + run.stderr
        if active:
            run = self.cli("update:workflow", f"--id={workflow['id']}", "--active=true")
            assert run.returncode == 0, run.stdout + run.stderr

    def execute(self, workflow_id: str) -> dict[str, Any]:
        """``n8n execute --rawOutput``: the run's data, or an AssertionError with n8n's words."""
        run = self.cli("execute", f"--id={workflow_id}", "--rawOutput")
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
        start = run.stdout.index("{")
        return json.loads(run.stdout[start:])  # type: ignore[no-any-return]

    @contextmanager
    def started(self) -> Iterator[httpx.Client]:
        """``n8n start`` (the editor's server, with active workflows polling), until the block
        ends; yields a REST client signed in as the owner."""
        log = (self.home / "start.log").open("a")
        began = time.monotonic()
        process = subprocess.Popen(
            [str(self.binary), "start"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{self.port}"
        client = httpx.Client(base_url=base, timeout=60, headers={"browser-id": "odoo-connector-tests"})
        try:
            deadline = time.monotonic() + 180
            while True:
                assert process.poll() is None, (self.home / "start.log").read_text()[-4000:]
                try:
                    # readiness says the database is migrated; the REST routes come a little later
                    # (until then every path answers 200 "n8n is starting up", or 404)
                    ready = client.get("/healthz/readiness").status_code == 200
                    settings = client.get("/rest/settings") if ready else None
                    if settings is not None and settings.headers.get("content-type", "").startswith(
                        "application/json"
                    ):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "n8n did not start in 180 s"
                time.sleep(0.5)
            self.timings.setdefault("start", []).append(round(time.monotonic() - began, 2))
            owner = {
                "email": "owner@example.com",
                "firstName": "Test",
                "lastName": "Owner",
                "password": "Passw0rd-tests",
            }
            answer = client.post("/rest/owner/setup", json=owner)
            if answer.status_code >= 400:  # set up by an earlier start: sign in instead
                answer = client.post(
                    "/rest/login", json={"emailOrLdapLoginId": owner["email"], "password": owner["password"]}
                )
            assert answer.status_code == 200, answer.text
            yield client
        finally:
            client.close()
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()

    def static_data(self, workflow_id: str) -> Any:
        """The workflow's static data as n8n stored it (a trigger's state lives there)."""
        with sqlite3.connect(self.home / ".n8n" / "database.sqlite") as db:
            [(data,)] = db.execute("SELECT staticData FROM workflow_entity WHERE id = ?", (workflow_id,))
        return json.loads(data) if data else None

    def executions(self, workflow_id: str) -> list[dict[str, Any]]:
        """The runs n8n stored for a workflow, oldest first, with their data (read from n8n's
        SQLite database: the CLI has no command that lists executions)."""
        database = self.home / ".n8n" / "database.sqlite"
        with sqlite3.connect(database) as db:
            rows = db.execute(
                "SELECT e.id, e.status, e.mode, d.data FROM execution_entity e "
                "JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? ORDER BY e.id",
                (workflow_id,),
            ).fetchall()
        return [{"id": r[0], "status": r[1], "mode": r[2], "data": r[3]} for r in rows]


def unflatten(text: str) -> Any:
    """n8n stores a run's data with the ``flatted`` format (JSON that may hold cycles): a list
    whose first entry is the value, where every string inside an object or a list is the index
    of its entry in that list."""
    table = json.loads(text)
    done: dict[int, Any] = {}

    def entry(index: int) -> Any:
        if index in done:
            return done[index]
        raw = table[index]
        if isinstance(raw, list):
            done[index] = out = []
            out.extend(value(v) for v in raw)
            return out
        if isinstance(raw, dict):
            done[index] = obj = {}
            obj.update({k: value(v) for k, v in raw.items()})
            return obj
        return raw

    def value(v: Any) -> Any:
        return entry(int(v)) if isinstance(v, str) else v

    return entry(0)


def node_output(run_data: Mapping[str, Any], node: str) -> list[list[dict[str, Any]]]:
    """A node's items by output, from an execution's ``resultData.runData`` (its last run)."""
    runs = run_data["resultData"]["runData"][node]
    return [[item["json"] for item in (output or [])] for output in runs[-1]["data"]["main"]]


@contextmanager
def connector_service(log: list[str], env: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """``odoo-connector serve`` on a free loopback port with a fresh token; yields the variables
    n8n's process needs to reach it (ODOO_CONNECTOR_URL, ODOO_CONNECTOR_TOKEN). Its log lines
    are appended to ``log``."""
    import sys

    token = secrets.token_hex(24)
    process = subprocess.Popen(
        [sys.executable, "-m", "odoo_connector.cli", "serve", "--port", "0"],
        env={
            **os.environ,
            **(env or {}),
            "ODOO_CONNECTOR_TOKEN": token,
            "ODOO_CONNECTOR_FIELDS_CACHE": "off",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            try:
                url = json.loads(line).get("serve", {}).get("url")
            except ValueError:
                continue
        assert url, f"odoo-connector serve did not start (exit {process.poll()})"
        # its log lines are read as they come, so a full pipe never stalls the service
        threading.Thread(target=lambda: log.extend(process.stderr or []), daemon=True).start()
        yield {"ODOO_CONNECTOR_URL": url, "ODOO_CONNECTOR_TOKEN": token}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

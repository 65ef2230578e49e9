"""User mistakes are configuration errors, never bugs (issue 24): every command, given a manifest
path that names no file or run without an optional extra it needs, exits 3 with one JSON error
line saying what to do (the path it looked at, or the install line). Never exit 1, "a bug".

The commands come from the CLI's own parser, so a command added later is covered without a line
here; a test fails if one has no arguments below.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo_connector.cli import _parser, main

from .fakes.server import Request, serve

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port: exit 5 when reached

# The modules each extra brings: "missing" means the import finds nothing.
EXTRAS = {
    "webhook": ("starlette", "uvicorn"),
    "workbench": ("starlette", "uvicorn"),
    "runner-pg": ("procrastinate", "psycopg"),
    "mcp": ("mcp",),
}


def commands() -> list[str]:
    sub = next(a for a in _parser()._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[union-attr]


def argv_for(command: str, tmp: Path) -> list[str]:
    """Arguments that get ``command`` past its own parsing, each against no reachable Odoo."""
    sqlite_config = tmp / "runner.yaml"
    sqlite_config.write_text(
        "version: 1\nconnections:\n  a: {url: " + UNREACHABLE + ", database: odoo19, kind: apiKey, "
        "apiKey: {env: TEST_KEY}}\ntriggers:\n  - {id: t, trigger: pollChangesTrigger, connection: a, "
        "inputs: {model: res.partner}, interval: 60, sink: stdout}\n"
    )
    pg_config = tmp / "runner-pg.yaml"
    pg_config.write_text(
        sqlite_config.read_text().replace(
            "version: 1\n", "version: 1\nsettings:\n  state:\n    postgres: {env: TEST_DSN}\n"
        )
    )
    return {
        "validate": ["validate"],
        "describe": ["describe"],
        "check": ["check"],
        "run": ["run", "listModels"],
        "picklist": ["picklist", "selectModel"],
        "poll": [
            "poll",
            "pollChangesTrigger",
            "--input",
            '{"model": "res.partner"}',
            "--state",
            str(tmp / "s.json"),
        ],
        "watch": [
            "watch",
            "recordWebhookTrigger",
            "--input",
            '{"model": "res.partner"}',
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "http://127.0.0.1:9/hook",
            "--state",
            str(tmp / "w.sqlite"),
            "--max-polls",
            "1",
        ],
        "runner": ["runner", "--config", str(pg_config)],
        "validate-config": ["validate-config", "--config", str(sqlite_config)],
        "workbench": ["workbench", "--port", "0"],
        "mcp": ["mcp", "--http", "--port", "0"],
    }[command]


# Commands that run until stopped when all they need is there: only their failing runs are tried.
RUNS_UNTIL_STOPPED = {"runner": "runner-pg", "workbench": "workbench", "mcp": "mcp"}
NEEDS = {"watch": "webhook", **RUNS_UNTIL_STOPPED}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, no_odoo_env: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ODOO_URL", UNREACHABLE)
    monkeypatch.setenv("ODOO_DB", "odoo19")
    monkeypatch.setenv("ODOO_API_KEY", "k" * 40)
    monkeypatch.setenv("ODOO_TIMEOUT", "2")
    monkeypatch.setenv("TEST_KEY", "k" * 40)
    monkeypatch.setenv("TEST_DSN", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.delenv("ODOO_CONNECTOR_MANIFEST", raising=False)
    return tmp_path


def last_error(err: str) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(err.strip().splitlines()[-1])["error"]
    return error


def test_every_command_has_arguments_here(tmp_path: Path) -> None:
    for command in commands():
        assert argv_for(command, tmp_path)


@pytest.mark.parametrize("command", commands())
@pytest.mark.parametrize("how", ["--manifest", "variable"])
def test_a_manifest_path_that_names_no_file_is_a_configuration_error(
    command: str, how: str, env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(env / "nowhere" / "connector.yaml")
    argv = argv_for(command, env)
    if how == "--manifest":
        argv = [*argv, "--manifest", missing]
    else:
        monkeypatch.setenv("ODOO_CONNECTOR_MANIFEST", missing)
    assert main(argv) == 3
    error = last_error(capsys.readouterr().err)
    assert error["type"] == "ManifestError" and missing in error["message"], error
    assert "--manifest" in error["hint"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(commands()),
    missing=st.sets(st.sampled_from(sorted(EXTRAS)), min_size=1),
)
def test_a_missing_extra_is_a_configuration_error_with_the_install_line(
    command: str,
    missing: set[str],
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    needed = NEEDS.get(command)
    if command in RUNS_UNTIL_STOPPED and needed not in missing:
        return  # with its extra there it would serve until stopped: nothing to check here
    with monkeypatch.context() as patch:
        for extra in missing:
            for module in EXTRAS[extra]:
                patch.setitem(sys.modules, module, None)  # import finds nothing, as without the extra
        status = main(argv_for(command, env))
    err = capsys.readouterr().err
    assert status in (0, 2, 3, 4, 5), err  # never 1
    if needed in missing:
        assert status == 3, err
        error = last_error(err)
        assert error["type"] in ("MissingExtraError", "WorkbenchUnavailableError"), error
        assert f'python -m pip install "odoo-lowcode-connector[{needed}]"' in error["hint"]
        assert f'python -m pip install ".[{needed}]"' in error["hint"]


# --- a server that is not Odoo: every command answers as `check` does -----------------------


def not_odoo(request: Request) -> tuple[int, dict[str, str], bytes]:
    """A static file server: GETs find nothing, POSTs are not implemented (python -m http.server)."""
    if request.method == "GET":
        return 404, {"Content-Type": "text/html"}, b"<title>Not Found</title>"
    return 501, {"Content-Type": "text/html"}, b"<title>Error response</title>Unsupported method ('POST')"


@pytest.mark.parametrize(
    "credentials", [{"ODOO_API_KEY": "k" * 40}, {"ODOO_USERNAME": "u@x.com", "ODOO_PASSWORD": "pw"}]
)
@pytest.mark.parametrize("argv", [["check"], ["run", "listModels"], ["picklist", "selectModel"]])
def test_a_server_that_is_not_odoo_is_a_configuration_error_on_every_command(
    argv: list[str],
    credentials: dict[str, str],
    no_odoo_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve(not_odoo) as (url, requests):
        no_odoo_env.setenv("ODOO_URL", url)
        no_odoo_env.setenv("ODOO_DB", "odoo19")
        for name, value in credentials.items():
            no_odoo_env.setenv(name, value)
        assert main(argv) == 3
    error = last_error(capsys.readouterr().err)
    assert error["type"] == "UnsupportedServerError", error
    assert "Odoo server" in error["message"] and "base URL" in error["hint"]
    assert len(requests) <= 4  # the call, then at most the two version questions: no retries


def test_help_lists_every_variable_the_connector_reads(capsys: pytest.CaptureFixture[str]) -> None:
    """Every ``ODOO_*`` variable read anywhere in the package is named in ``--help`` (issue 24:
    it listed only some)."""
    import re

    import odoo_connector

    package = Path(odoo_connector.__file__).parent
    read = set()
    for path in package.rglob("*.py"):
        read |= set(re.findall(r"\bODOO_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    missing = sorted(name for name in read if name not in shown)
    assert not missing, f"--help does not name {missing}"

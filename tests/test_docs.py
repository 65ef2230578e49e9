"""What README.md and docs/ say is what happens.

* Every ``sh`` code block that needs no Odoo server runs, as written, and must succeed.
* A block marked ``<!-- docs-test: needs-odoo -->`` cannot run here: it must be valid shell (or
  Python), use only commands, options and keys that ``--help`` and the manifest know, and its
  ``--input`` must be valid for the key's input schema.
* A block marked ``<!-- docs-test: run-by-ci -->`` is the test command itself: ``.ci/run`` must
  run it verbatim.
* Links between the documents lead somewhere; the connection text in docs/connections.md is the
  manifest's; Odoo's pre-19 menu and group names are gone; every input property has a description
  and an example.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from odoo_connector.manifest import load_manifest, validate_manifest

ROOT = Path(__file__).parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"<!--\s*docs-test:\s*([a-z-]+)\s*-->")
FENCE = re.compile(r"^```([A-Za-z]*)\n(.*?)^```\n", re.S | re.M)
COMMANDS = {
    "validate",
    "describe",
    "check",
    "run",
    "picklist",
    "poll",
    "watch",
    "workbench",
    "runner",
    "validate-config",
    "mcp",
}
KIND_OF = {"run": "action", "picklist": "dataSource", "poll": "trigger", "watch": "trigger"}
TAKES_VALUE = {
    "--allow-keys",
    "--allow-models",
    "--token-env",
    "--manifest",
    "--connection",
    "--input",
    "--state",
    "--interval",
    "--webhook",
    "--max-polls",
    "--port",
    "--output",
    "--input-jsonl",
    "--listen",
    "--public-url",
    "--reconcile-interval",
    "--config",
    "--lag-log",
}


@dataclass
class Block:
    document: Path
    line: int
    language: str
    code: str
    marker: str | None

    @property
    def id(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.search(before)
            found.append(
                Block(
                    document,
                    text.count("\n", 0, match.start()) + 1,
                    match.group(1),
                    match.group(2),
                    marker.group(1) if marker else None,
                )
            )
    return found


ALL = blocks()
RUNNABLE = [b for b in ALL if b.language == "sh" and b.marker is None]
NEEDS_ODOO = [b for b in ALL if b.marker == "needs-odoo"]


def shell_env() -> dict[str, str]:
    """This interpreter's scripts first on PATH; no ODOO_* variable, so nothing can reach a
    server by accident."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def test_the_documents_have_blocks_of_each_kind():
    assert RUNNABLE and NEEDS_ODOO
    assert {b.marker for b in ALL} <= {None, "needs-odoo", "run-by-ci"}
    assert [b.id for b in ALL if b.language == "python" and b.marker is None] == []


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_a_block_that_needs_no_server_runs(block: Block):
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.code],
        cwd=ROOT,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{block.id} failed:\n{block.code}\n{result.stderr}"
    assert '"error"' not in result.stderr


@pytest.mark.parametrize("block", [b for b in ALL if b.marker == "run-by-ci"], ids=lambda b: b.id)
def test_the_test_command_is_what_ci_runs(block: Block):
    ci = (ROOT / ".ci" / "run").read_text()
    for line in block.code.strip().splitlines():
        assert line in ci.splitlines(), f"{block.id}: .ci/run does not run {line!r}"


@functools.cache
def help_text(command: str) -> str:
    result = subprocess.run(
        ["odoo-connector", command, "--help"], env=shell_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def connector_commands(code: str) -> list[list[str]]:
    commands = []
    for line in code.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part)
            if words and words[0] == "odoo-connector":
                commands.append(words[1:])
    return commands


@pytest.mark.parametrize("block", NEEDS_ODOO, ids=lambda b: b.id)
def test_a_block_that_needs_a_server_says_only_what_exists(block: Block):
    if block.language == "python":
        compile(block.code, block.id, "exec")
        return
    assert block.language == "sh", f"{block.id}: mark only sh or python blocks"
    syntax = subprocess.run(["bash", "-n", "-c", block.code], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    manifest = load_manifest()
    for words in connector_commands(block.code):
        rest = list(words)
        while rest and rest[0].startswith("--"):  # global options before the command
            rest = rest[2:] if rest[0] in TAKES_VALUE else rest[1:]
        command = rest[0]
        assert command in COMMANDS, f"{block.id}: unknown command {command!r}"
        options = [w.split("=", 1)[0] for w in words if w.startswith("--")]
        known = set(re.findall(r"--[a-z][a-z-]*", help_text(command)))
        for option in options:
            assert option in known, f"{block.id}: {command} has no option {option}"
        if command in KIND_OF:
            unit = manifest.unit(rest[1])
            assert unit.kind == KIND_OF[command], f"{block.id}: {rest[1]} is not run by {command}"
            if "--input" in words:
                inputs = json.loads(words[words.index("--input") + 1])
                errors = [e.message for e in Draft202012Validator(unit.input_schema).iter_errors(inputs)]
                assert errors == [], f"{block.id}: --input for {unit.key}: {errors}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("document", [*DOCUMENTS, ROOT / "tests" / "README.md"], ids=lambda p: p.name)
def test_links_between_the_documents_lead_somewhere(document: Path):
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", document.read_text(encoding="utf-8")))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        assert linked.is_file(), f"{document.name}: link to missing {target}"
        if anchor:
            assert anchor in _anchors(linked), f"{document.name}: no heading for #{anchor} in {path}"


def test_the_connection_text_in_the_docs_is_the_manifests():
    text = (ROOT / "docs" / "connections.md").read_text(encoding="utf-8")
    for conn in load_manifest().connections:
        match = re.search(
            rf"<!-- manifest: {conn.key} documentation -->\n(.*?)\n<!-- /manifest -->", text, re.S
        )
        assert match, f"docs/connections.md does not show the documentation of {conn.key}"
        assert match.group(1).strip() == conn.documentation.strip()


# Names from Odoo before 19 (and from its portal pages) that a newcomer would look for in vain.
STALE = [
    "Account Security",
    "New API Key",
    "Administration / Access Rights",
    "Internal User",
    "Sales / All Documents",
]
NAMED = [
    ROOT / "README.md",
    ROOT / "connector.yaml",
    ROOT / "tests" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "schemas").rglob("*.json")),
]


@pytest.mark.parametrize("path", NAMED, ids=lambda p: str(p.relative_to(ROOT)))
def test_menus_and_groups_are_named_as_odoo_19_names_them(path: Path):
    text = path.read_text(encoding="utf-8")
    # docs/odoo-setup.md names the old labels once, to say they are not Odoo 19's
    text = re.sub(r"\(\"Account Security\" and \"New API Key\" are .*?\)", "", text, flags=re.S)
    assert [name for name in STALE if name in text] == []


def test_every_input_property_has_a_description_and_an_example():
    manifest = load_manifest()
    missing = [
        f"{unit.inputs}: {name}"
        for unit in manifest.units()
        for name, prop in unit.input_schema["properties"].items()
        if not prop.get("description") or not prop.get("examples")
    ]
    assert missing == []
    assert validate_manifest(manifest) == []

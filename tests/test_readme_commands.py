"""The README's two commands are the whole set-up (issue 24): .ci/run must run the test command
exactly as the README prints it, and install nothing beforehand but the one system package the
README names. A CI that pre-installed extras or a database would pass where a new user fails."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_command(heading: str) -> str:
    """The one command in the ```sh block that follows ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(heading) :]
    block = re.search(r"```sh\n(.*?)\n```", after, re.S)
    assert block is not None, f"no command block after {heading!r}"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 1, f"the README's {heading} is one command line, not {lines}"
    return lines[0]


def ci_lines() -> list[str]:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    command = readme_command("**Install and run the tests**")
    assert command in ci_lines(), f".ci/run does not run the README's test command: {command}"


def test_ci_installs_nothing_before_the_readme_command_but_the_named_system_parts() -> None:
    """Only Debian packages the README names (chromium, nodejs, npm), never a Python package."""
    command = readme_command("**Install and run the tests**")
    lines = ci_lines()
    before = lines[: lines.index(command)]
    assert not [line for line in before if re.search(r"\bpip\b", line)], "CI pre-installs a Python package"
    assert not [line for line in before if re.search(r"\bnpm\s+(i|install)\b", line)], (
        "CI pre-installs npm packages"
    )
    installs = [line for line in before if re.search(r"\bapt-get\b.*\binstall\b", line)]
    assert len(installs) == 1, installs
    named = set(re.findall(r'missing="([^"]*)"', "\n".join(before)))
    packages = {word for text in named for word in text.replace("$missing", "").split()}
    assert packages == {"chromium", "nodejs", "npm"}, packages
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "apt-get install chromium" in readme and "apt-get install nodejs npm" in readme


def test_the_readme_commands_make_their_own_virtual_environment() -> None:
    for heading in ("**Install and run the main job**", "**Install and run the tests**"):
        command = readme_command(heading)
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && "), command


def test_no_install_line_names_the_other_projects_distribution() -> None:
    """PyPI's odoo-connector is someone else's (2018, Python 2): no README, doc or hint may tell a
    user to install it."""
    places = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "odoo_connector").rglob("*.py")]
    for path in places:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"odoo-connector\[|install\s+[\"']?odoo-connector\b", text), path

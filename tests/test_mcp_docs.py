"""docs/mcp.md's tool table is the manifest's, so it cannot drift: the test renders it from
``load_manifest()`` and compares. After changing the manifest, rewrite the table with
``python tests/test_mcp_docs.py``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
if __name__ == "__main__":  # run as a script: import the package from this checkout
    sys.path.insert(0, str(ROOT))

from odoo_connector.hosts.tools import Toolbox  # noqa: E402
from odoo_connector.manifest import load_manifest  # noqa: E402

DOC = ROOT / "docs" / "mcp.md"
BLOCK = re.compile(r"(<!-- mcp-tools:start -->\n)(.*?)(<!-- mcp-tools:end -->)", re.S)


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def table() -> str:
    """One row per tool the server offers with no policy, in the manifest's order."""
    toolbox = Toolbox(load_manifest(), connection=None)
    rows = [
        "| tool | kind | title | read-only | destructive | idempotent | Odoo groups |",
        "|---|---|---|---|---|---|---|",
    ]
    for tool in toolbox.tools.values():
        unit = tool.unit
        kind = {"action": "action", "dataSource": "picklist", "trigger": "trigger"}[unit.kind]
        rows.append(
            f"| `{unit.key}` | {kind} | {unit.label} | {_yes(unit.read_only)} | {_yes(unit.destructive)} "
            f"| {_yes(unit.idempotent)} | {', '.join(unit.groups)} |"
        )
    return "\n".join(rows) + "\n"


def test_the_tool_table_is_the_manifests():
    found = BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/mcp.md lost its <!-- mcp-tools:start --> … <!-- mcp-tools:end --> markers"
    assert found.group(2) == table(), "docs/mcp.md's tool table is stale: run python tests/test_mcp_docs.py"


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(BLOCK.sub(lambda m: m.group(1) + table() + m.group(3), text), encoding="utf-8")

"""Start-up: wall time of a fresh ``odoo-connector`` process, the cost every CLI call pays.

Each command runs N times as a new process (the interpreter, site-packages and the connector's
imports each time; the OS file cache is warm, as it is for any command run twice). The median is
the figure; min and max show the spread. Targets: ``--help`` under 0.3 s, ``describe`` under
0.5 s. ``python -c pass`` is the floor no Python CLI can go under on this machine.

Then ``-X importtime`` of ``describe`` names the imports that cost the most, which is where lazy
imports would help.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import emit_json, median, print_table

CLI = Path(sys.executable).with_name("odoo-connector")
TARGETS = {"--help": 0.3, "describe": 0.5}


def time_command(argv: list[str], runs: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO_")}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
        times.append(time.perf_counter() - start)
    return times


def top_imports(argv_code: str, count: int = 8) -> list[tuple[str, float]]:
    """The costliest imports (cumulative ms) among those the command itself triggers."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", argv_code],
                          capture_output=True, text=True, check=True)
    entries = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            depth = len(match.group(3)) // 2
            entries.append((depth, match.group(4), int(match.group(2)) / 1000.0))
    # depth 1 under odoo_connector: the third-party packages the connector pulls in, and its modules
    shallow = [(name, ms) for depth, name, ms in entries if depth <= 2 and name not in ("site", "encodings")]
    return sorted(shallow, key=lambda e: -e[1])[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 runs per command instead of 15")
    args = parser.parse_args()
    if not CLI.exists():
        raise SystemExit(f"{CLI} not found: install the package (pip install -e .) first")
    runs = 5 if args.quick else 15
    commands: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--version": [str(CLI), "--version"],
        "--help": [str(CLI), "--help"],
        "describe": [str(CLI), "describe"],
        "validate": [str(CLI), "validate"],
    }
    results: dict[str, Any] = {}
    rows = []
    for name, argv in commands.items():
        times = time_command(argv, runs)
        med = median(times)
        target = TARGETS.get(name)
        verdict = "-" if target is None else ("met" if med < target else "MISSED")
        results[name] = {"median_s": med, "min_s": min(times), "max_s": max(times), "target_s": target,
                         "met": None if target is None else med < target}
        rows.append([f"odoo-connector {name}" if name.startswith(("-", "d", "v")) else name,
                     f"{med:.3f}", f"{min(times):.3f}", f"{max(times):.3f}",
                     "-" if target is None else f"< {target}", verdict])
    print_table(f"Cold start, {runs} runs each (seconds)", ["command", "median", "min", "max", "target", ""],
                rows)
    imports = top_imports("from odoo_connector.cli import main; main(['describe'])")
    print_table("Costliest imports of `describe` (cumulative ms, -X importtime)", ["module", "ms"],
                [[name, f"{ms:.1f}"] for name, ms in imports])
    emit_json("startup", {"runs": runs, "commands": results, "describe_imports_ms": dict(imports)})


if __name__ == "__main__":
    main()

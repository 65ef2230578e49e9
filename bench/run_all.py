"""Runs every benchmark in turn (``--quick`` passed on) and ends with their JSON lines together.

One command for the figures RESULTS.md records; each script also runs on its own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["overhead.py", "fetchall_memory.py", "xmlrpc_path.py", "startup.py", "poll_cost.py",
           "mcp_overhead.py", "calls_per_job.py", "readme_path.py"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="pass --quick on (under 1 minute each)")
    args = parser.parse_args()
    json_lines: list[str] = []
    failed: list[str] = []
    for script in SCRIPTS:
        argv = [sys.executable, str(HERE / script)] + (["--quick"] if args.quick else [])
        print(f"\n=== {script} ===", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=False)
        for line in proc.stdout.splitlines():
            if line.startswith("JSON: "):
                json_lines.append(line)
            else:
                print(line)
        print(f"({script}: {time.perf_counter() - start:.1f} s, exit status {proc.returncode})", flush=True)
        if proc.returncode != 0:
            failed.append(script)
    print()
    for line in json_lines:
        print(line)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

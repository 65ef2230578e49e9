"""Mutation testing of the core: run mutmut on one module's mutants (or each module's in turn)
and print its score, with the equivalent mutants of tests/mutation/modules.toml left out.

    python tests/mutation/run.py dedupe           # one module (names: tests/mutation/modules.toml)
    python tests/mutation/run.py all              # every module, one after the other
    python tests/mutation/run.py write --full     # a sampled module, every mutant
    python tests/mutation/run.py --report dedupe  # the score of the last run, without running

Why a script around ``mutmut run``: mutmut's own configuration ([tool.mutmut] in pyproject.toml)
says which files are mutated and which tests may run, and mutmut picks each mutant's tests from
the functions those tests call (its stats, collected once into mutants/). What it has no place
for is per module: the runtime's input-check functions only, a deterministic sample of the big
modules, and the equivalent mutants with their reasons. This script turns module names into
mutmut's mutant-name patterns, runs mutmut once for all of them (two workers: the machines are
small and shared), then reads mutmut's result files and prints each module's score.

The sample is the mutants whose number ends in one of the module's ``sample`` digits: fixed by
the source, the same on every machine, and spread over every function of the module.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/mutation/run.py
CONFIG = ROOT / "tests" / "mutation" / "modules.toml"

# mutmut's exit codes of a mutant's test run (mutmut/stats.py): what counts as killed.
KILLED = {1, 3, 24, -24, 152, 255, 36, 37, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Module:
    name: str
    file: str
    functions: list[str] = field(default_factory=list)
    sample: str = ""

    @property
    def dotted(self) -> str:
        return self.file.removesuffix(".py").replace("/", ".")

    def patterns(self, *, full: bool) -> list[str]:
        """mutmut's mutant-name patterns for this module (fnmatch, as ``mutmut run`` takes them)."""
        tail = f"[{self.sample}]" if self.sample and not full else ""
        functions = self.functions or ["*"]
        return [f"{self.dotted}.{function}__mutmut_*{tail}" for function in functions]


@dataclass
class Equivalent:
    mutant: str
    change: str
    reason: str


def load() -> tuple[dict[str, Module], dict[str, Equivalent]]:
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    modules = {name: Module(name=name, **spec) for name, spec in data["modules"].items()}
    equivalents = {e["mutant"]: Equivalent(**e) for e in data.get("equivalent", [])}
    return modules, equivalents


def mutmut() -> str:
    """The ``mutmut`` command beside this Python (mutmut warns when run as ``python -m``)."""
    beside = Path(sys.executable).parent / "mutmut"
    found = str(beside) if beside.exists() else shutil.which("mutmut")
    if not found:
        sys.exit("mutmut is not installed: python -m pip install -e '.[dev]'")
    return found


def run_mutmut(modules: list[Module], *, full: bool, jobs: int) -> int:
    """One ``mutmut run`` for all the named modules' mutants: mutmut runs the whole clean suite
    before the mutants on every run (about 5 minutes here), so modules run together pay it once."""
    patterns = [pattern for module in modules for pattern in module.patterns(full=full)]
    command = [mutmut(), "run", "--max-children", str(jobs), *patterns]
    print("$ mutmut", " ".join(command[1:]), flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def results(module: Module) -> dict[str, int | None]:
    """Each mutant's exit code from mutmut's result file (None: not run)."""
    meta = ROOT / "mutants" / f"{module.file}.meta"
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return codes


def diff(mutant: str) -> str:
    shown = subprocess.run([mutmut(), "show", mutant], cwd=ROOT, capture_output=True, text=True, check=False)
    return shown.stdout


def changed_lines(text: str) -> list[str]:
    return [
        line[1:].strip() for line in text.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]


def report(
    module: Module, equivalents: dict[str, Equivalent], *, full: bool, show: bool
) -> dict[str, object]:
    patterns = module.patterns(full=full)
    codes = {k: v for k, v in results(module).items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
    run = {k: v for k, v in codes.items() if v is not None}
    equivalent: list[str] = []
    stale: list[str] = []
    for name in sorted(run):
        entry = equivalents.get(name)
        if entry is None:
            continue
        if any(entry.change in line for line in changed_lines(diff(name))):
            equivalent.append(name)
        else:
            stale.append(name)
    counted = {k: v for k, v in run.items() if k not in equivalent}
    killed = sorted(k for k, v in counted.items() if v in KILLED)
    survived = sorted(k for k, v in counted.items() if v not in KILLED)
    score = 100.0 * len(killed) / len(counted) if counted else 0.0
    kind = "sample" if module.sample and not full else "full"
    print(
        f"\n{module.name} ({module.file}, {kind}): {len(killed)} killed of {len(counted)} "
        f"non-equivalent mutants run = {score:.1f}%  "
        f"[{len(codes)} selected, {len(codes) - len(run)} not run, {len(equivalent)} equivalent]"
    )
    for name in equivalent:
        print(f"  equivalent {name}: {equivalents[name].reason}")
    for name in stale:
        print(
            f"  WARNING: {name} is listed as equivalent, but its change is no longer "
            f"{equivalents[name].change!r}"
        )
    for name in survived:
        status = "no tests" if counted[name] in NO_TESTS else "survived"
        print(f"  {status} {name}")
        if show:
            print("\n".join("      " + line for line in diff(name).splitlines()[3:]))
    return {
        "module": module.name,
        "kind": kind,
        "killed": len(killed),
        "counted": len(counted),
        "equivalent": len(equivalent),
        "score": round(score, 1),
        "survivors": survived,
    }


def commit() -> str:
    """The commit the tests and sources are at, ``-dirty`` when either has uncommitted changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "odoo_connector", "tests", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    modules, equivalents = load()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="+", help=f"all, or any of: {', '.join(modules)}")
    parser.add_argument("--full", action="store_true", help="every mutant, also of the sampled modules")
    parser.add_argument("--jobs", type=int, default=2, help="mutmut workers (default 2)")
    parser.add_argument("--report", action="store_true", help="print the last run's score, run nothing")
    parser.add_argument("--show", action="store_true", help="print each survivor's change")
    args = parser.parse_args(argv)
    names = list(modules) if args.modules == ["all"] else args.modules
    unknown = [n for n in names if n not in modules]
    if unknown:
        parser.error(f"no module {unknown[0]!r} in {CONFIG.relative_to(ROOT)}; known: {', '.join(modules)}")
    at = commit()
    if not args.report:
        failed = run_mutmut([modules[name] for name in names], full=args.full, jobs=args.jobs)
        if failed:
            # the clean run of the tests failed, or mutmut did: no score is better than a stale one
            print(f"\n{', '.join(names)}: mutmut stopped with exit status {failed} (see above); no score.")
            return failed
    for name in names:
        report(modules[name], equivalents, full=args.full, show=args.show)
        if not args.report:
            print(f"  (run at commit {at})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: grade the hostile suite once and print how long each case took.

The cases are laid out as tests/test_hostile.py lays them out (the ones that cannot
live in the repository are made in the temporary copy) and graded in one run; each
case's time is the sum of its checks' seconds, printed beside its bound. Run it with
`nox -s benchmark -- hostile [CASE ...]`, e.g. `hostile 09 13` for two cases. It
asserts nothing: it measures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_hostile import HOSTILE, SETUPS  # noqa: E402


def lay_out(cases: list[Path], tree: Path) -> None:
    """Copy each case into `tree/exercises/` and make what cannot be a file."""
    for case in cases:
        target = tree / "exercises" / case.name
        shutil.copytree(case, target, ignore=shutil.ignore_patterns("expect.yaml"))
        if case.name in SETUPS:
            SETUPS[case.name](target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cases", nargs="*", help="case numbers or names (all when none), e.g. 09 13"
    )
    args = parser.parse_args()
    cases = sorted(
        path
        for path in HOSTILE.iterdir()
        if (path / "expect.yaml").exists()
        and (not args.cases or any(path.name.startswith(c) for c in args.cases))
    )
    if not cases:
        print(f"no hostile case matches {args.cases}; see {HOSTILE}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="brickyard-hostile-") as scratch:
        tree = Path(scratch) / "tree"
        lay_out(cases, tree)
        report_path = Path(scratch) / "report.json"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "grader.cli", "grade", "--root", str(tree),
             "--quiet", "--json", str(report_path)],
            cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wall = time.monotonic() - started
        if not report_path.exists():
            print(f"grading failed (exit status {done.returncode})", file=sys.stderr)
            return 1
        report = json.loads(report_path.read_text())

    exercises = {exercise["id"]: exercise for exercise in report["exercises"]}
    print(f"{'case':<26} {'seconds':>8} {'bound':>6}")
    for case in cases:
        bound = yaml.safe_load((case / "expect.yaml").read_text())["max_seconds"]
        exercise = exercises.get(case.name)
        seconds = sum(c["seconds"] for c in exercise["checks"]) if exercise else 0.0
        mark = "" if seconds <= bound else "  over its bound"
        print(f"{case.name:<26} {seconds:8.1f} {bound:6}{mark}")
    print(f"\n{len(cases)} cases graded in one run: {wall:.1f} s wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())

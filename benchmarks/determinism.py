"""Benchmark: grade every solution N times and count results that differ between runs.

Run it with `nox -s benchmark` (or `python benchmarks/determinism.py --runs 10`). It
prints, per run, the wall time and the score, then every check whose verdict or
points differed between runs; the goal is zero. It asserts nothing: it measures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def grade_once(selectors: list[str]) -> tuple[float, dict]:
    """Grade the solutions once through the CLI; return seconds and the JSON report."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "grader.cli", "grade", "--solutions", "--quiet",
             "--json", str(report), *selectors],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return time.monotonic() - started, json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("selectors", nargs="*", help="exercises to grade (all if none)")
    args = parser.parse_args()

    verdicts: dict[str, set[tuple[bool, int]]] = defaultdict(set)
    for run in range(1, args.runs + 1):
        seconds, report = grade_once(args.selectors)
        score = f"{report['score']}/{report['max_score']}"
        print(f"run {run:>2}: {seconds:6.1f} s  score {score}")
        for exercise in report["exercises"]:
            for check in exercise["checks"]:
                key = f"{exercise['id']}::{check['id']}"
                verdicts[key].add((check["passed"], check["score"]))

    differing = sorted(key for key, seen in verdicts.items() if len(seen) > 1)
    print(f"\n{len(verdicts)} checks graded {args.runs} times;"
          f" {len(differing)} gave different results between runs")  # fmt: skip
    for key in differing:
        print(f"  {key}: {sorted(verdicts[key])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: grade every solution N times and count results that differ between runs.

Run it with `nox -s benchmark -- determinism` (or `python benchmarks/determinism.py
--runs 10`). It prints, per run, the wall time and the score, then every check whose
verdict or points differed between runs; the goal is zero. An exercise that could
not be graded in some runs but not others counts as a difference, and so does a
check missing from some runs; a run that fails altogether is counted, not fatal. It
asserts nothing: it measures.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def grade_once(selectors: list[str]) -> tuple[float, dict[str, Any] | None, str]:
    """Grade the solutions once through the CLI; return seconds, report and problem."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "grader.cli", "grade", "--solutions", "--quiet",
             "--json", str(report), *selectors],
            cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        seconds = time.monotonic() - started
        try:
            return seconds, json.loads(report.read_text()), ""
        except (OSError, ValueError):
            first = (done.stderr.strip().splitlines() or ["(no output)"])[0]
            return seconds, None, f"exit status {done.returncode}: {first}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("selectors", nargs="*", help="exercises to grade (all if none)")
    args = parser.parse_args()

    verdicts: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    failed_runs = 0
    for run in range(1, args.runs + 1):
        seconds, report, problem = grade_once(args.selectors)
        if report is None:
            failed_runs += 1
            print(f"run {run:>2}: {seconds:6.1f} s  FAILED ({problem})")
            continue
        score = f"{report['score']}/{report['max_score']}"
        print(f"run {run:>2}: {seconds:6.1f} s  score {score}")
        for exercise in report["exercises"]:
            verdicts[f"{exercise['id']}::(graded)"].append((not exercise["error"],))
            for check in exercise["checks"]:
                key = f"{exercise['id']}::{check['id']}"
                verdicts[key].append((check["passed"], check["score"]))

    graded_runs = args.runs - failed_runs
    # A check absent from some runs (its exercise errored there) differs too.
    differing = sorted(
        key
        for key, seen in verdicts.items()
        if len(set(seen)) > 1 or len(seen) < graded_runs
    )
    print(f"\n{len(verdicts)} checks and exercises graded in {graded_runs} of"
          f" {args.runs} runs ({failed_runs} runs failed);"
          f" {len(differing)} gave different results between runs")  # fmt: skip
    for key in differing:
        seen = verdicts[key]
        print(f"  {key}: {sorted(set(seen))} in {len(seen)} of {graded_runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

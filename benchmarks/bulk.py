"""Benchmark: bulk-grade a small class with -j 1 and -j 2; print time per submission.

The class is the one the bulk tests grade (tests/teacher_trees.py): four
submissions, full marks, starters, a tampered one and a broken one, of exercises 01
and 03 by default. Each job count grades the whole class afresh. Run it with
`nox -s benchmark -- bulk [--jobs 1 2] [--exercises 01-first-image ...]`. It
asserts nothing: it measures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.teacher_trees import make_class  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--exercises", nargs="+", default=["01-first-image", "03-dockerignore"]
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="brickyard-bulk-") as scratch:
        template, submissions = make_class(Path(scratch) / "class", args.exercises)
        count = sum(1 for path in submissions.iterdir() if path.is_dir())
        print(f"{count} submissions of {', '.join(args.exercises)}")
        for jobs in args.jobs:
            out = Path(scratch) / f"grades-j{jobs}"
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "grader.cli", "bulk", str(submissions),
                 "--template", str(template), "-j", str(jobs), "--out", str(out)],
                cwd=ROOT, check=False, capture_output=True, text=True,
            )  # fmt: skip
            seconds = time.monotonic() - started
            if done.returncode != 0:
                print(f"-j {jobs}: bulk failed (exit status {done.returncode}):")
                print(done.stderr.strip())
                continue
            summary = next(
                (line for line in done.stdout.splitlines() if " graded, " in line), ""
            )
            print(
                f"-j {jobs}: {seconds:6.1f} s for the class,"
                f" {seconds / count:5.1f} s per submission ({summary.strip()})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

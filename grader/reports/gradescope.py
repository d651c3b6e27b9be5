"""Gradescope's autograder `results.json` (`--gradescope FILE`).

One test per check, named `<exercise> · <title>`, with `score`, `max_score`, `status`
(`passed`/`failed`), `output` (feedback and hint) and `visibility`, which Gradescope
honours itself (`hidden`, `after_due_date`, `visible`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.reports.model import (
    GradingReport,
    full_feedback,
    hidden_points,
    points,
    shown_score,
)


def gradescope_results(report: GradingReport) -> dict[str, Any]:
    """Return the results.json content for `report`."""
    tests: list[dict[str, Any]] = []
    for exercise in report.exercises:
        if exercise.error:
            tests.append(
                {
                    "name": f"{exercise.id} · exercise.yaml",
                    "score": 0,
                    "max_score": 0,
                    "status": "failed",
                    "output": exercise.error,
                    "visibility": "visible",
                }
            )
        for check in exercise.checks:
            tests.append(
                {
                    "name": f"{exercise.id} · {check.title or check.id}",
                    "number": f"{exercise.id[:2]}.{check.id}",
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if check.passed else "failed",
                    # Gradescope hides the whole test as asked, so the full text
                    # can go in: the teacher sees it, the student when allowed.
                    "output": full_feedback(check),
                    "visibility": check.visibility,
                }
            )
    return {
        "score": report.score,
        "execution_time": round(report.seconds),
        # The top-level output is always shown, so it counts visible checks only.
        "output": summary_line(report),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def summary_line(report: GradingReport) -> str:
    """The run's total as the student may see it: hidden points told apart."""
    # Gradescope applies each test's own visibility, so after_due_date checks count
    # as hidden here whatever the run was told (the model's default).
    hidden = sum(hidden_points(exercise.checks) for exercise in report.exercises)
    scored = sum(shown_score(exercise) for exercise in report.exercises)
    line = (
        f"brickyard graded {len(report.exercises)} exercise(s):"
        f" {scored}/{report.max_score - hidden} points"
    )
    if hidden:
        line += f", and {points(hidden)} in checks shown later"
    return line + "."


def write_gradescope(report: GradingReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(gradescope_results(report), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")

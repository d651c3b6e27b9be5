"""GitHub Classroom's autograding reporter format, one runner per exercise.

The reporter action (`classroom-resources/autograding-grading-reporter`) reads, for
each runner id it is given, an environment variable `<ID>_RESULTS` holding base64 of
JSON: `version`, `status` (`pass`, `fail` or `error`), `max_score` and `tests`, each
with `name`, `status`, `score`, `message`. A workflow grades once, then one step per
exercise prints `result=<base64>` for its step output (see
.github/workflows/classroom.yml). Points are integers, as Classroom requires.

Hidden checks never appear one by one. They are folded into one entry, named by how
many points they are worth, always `pass` and with no message, so nothing tells
which of them failed. Its score is the points they earned: Classroom's grade is the
sum of the tests' scores, so leaving them out would grade every student without
them. A student who subtracts can tell how many hidden points an exercise earned,
never which check earned them. The runner's own `status` is decided by the visible
checks alone, for the same reason.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.plugin import ExerciseResult
from grader.reports.model import is_hidden, points, shown_feedback

#: Classroom's statuses for brickyard's check statuses.
_STATUS = {"passed": "pass", "failed": "fail"}


def runner_results(
    exercise: ExerciseResult, after_due_date: bool = False
) -> dict[str, Any]:
    """Return one exercise's results in the reporter's format."""
    tests: list[dict[str, Any]] = []
    hidden_score, hidden_max = 0, 0
    visible_passed = True
    for check in exercise.checks:
        if is_hidden(check.visibility, after_due_date):
            hidden_score += int(check.score)
            hidden_max += int(check.max_score)
            continue
        visible_passed = visible_passed and check.passed
        tests.append(
            {
                "name": check.title or check.id,
                "status": _STATUS.get(check.status, "error"),
                "score": int(check.score),
                "message": "" if check.passed else shown_feedback(check),
                "execution_time": f"{check.seconds:.1f}s",
            }
        )
    if hidden_max:
        tests.append(
            {
                "name": f"hidden checks worth {points(hidden_max)},"
                " shown after grading closes",
                "status": "pass",
                "score": hidden_score,
                "message": "",
            }
        )
    if exercise.error:
        status = "error"
        tests.append(
            {
                "name": "exercise.yaml",
                "status": "error",
                "score": 0,
                "message": exercise.error,
            }
        )
    else:
        status = "pass" if visible_passed else "fail"
    return {
        "version": 1,
        "status": status,
        "max_score": int(exercise.max_score),
        "tests": tests,
    }


def error_results(name: str, max_score: int, message: str) -> dict[str, Any]:
    """Return a runner that says grading did not run: status error, no points."""
    return {
        "version": 1,
        "status": "error",
        "max_score": int(max_score),
        "tests": [
            {"name": name, "status": "error", "score": 0, "message": message},
        ],
    }


def encode_results(results: dict[str, Any]) -> str:
    """Return the `result=...` line a workflow step appends to $GITHUB_OUTPUT."""
    payload = json.dumps(results, separators=(",", ":"))
    return "result=" + base64.b64encode(payload.encode()).decode()


def step_output(exercise: ExerciseResult, after_due_date: bool = False) -> str:
    """Return one exercise's `result=...` line for its workflow step."""
    return encode_results(runner_results(exercise, after_due_date))

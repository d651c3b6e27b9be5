"""GitHub Classroom's autograding reporter format, one runner per exercise.

The reporter action (`classroom-resources/autograding-grading-reporter`) reads, for
each runner id it is given, an environment variable `<ID>_RESULTS` holding base64 of
JSON: `version`, `status` (`pass`, `fail` or `error`), `max_score` and `tests`, each
with `name`, `status`, `score`, `message`. A workflow grades once, then one step per
exercise prints `result=<base64>` for its step output (see
.github/workflows/classroom.yml). Points are integers, as Classroom requires. Hidden
checks count their points under a neutral name, with no message.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.plugin import ExerciseResult
from grader.reports.model import shown_feedback


def runner_results(exercise: ExerciseResult) -> dict[str, Any]:
    """Return one exercise's results in the reporter's format."""
    tests = []
    for index, check in enumerate(exercise.checks, start=1):
        hidden = check.visibility != "visible"
        tests.append(
            {
                "name": f"hidden check {index}" if hidden else check.title or check.id,
                "status": {"passed": "pass", "failed": "fail"}.get(
                    check.status, "error"
                ),
                "score": int(check.score),
                "message": "" if hidden or check.passed else shown_feedback(check),
                "execution_time": f"{check.seconds:.1f}s",
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
        status = "pass" if exercise.score == exercise.max_score else "fail"
    return {
        "version": 1,
        "status": status,
        "max_score": int(exercise.max_score),
        "tests": tests,
    }


def step_output(exercise: ExerciseResult) -> str:
    """Return the `result=...` line a workflow step appends to $GITHUB_OUTPUT."""
    payload = json.dumps(runner_results(exercise), separators=(",", ":"))
    return "result=" + base64.b64encode(payload.encode()).decode()

"""The whole run's results, the one object every report format is written from."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from grader import __version__
from grader.checks.result import CheckResult
from grader.plugin import ExerciseResult

#: Set (to anything but empty) once grading has closed: `after_due_date` checks are
#: then shown like visible ones. `brickyard grade --after-due-date` does the same.
AFTER_DUE_DATE_VARIABLE = "BRICKYARD_AFTER_DUE_DATE"

#: A terminal escape sequence (colours, cursor moves, titles), as a whole.
_ESCAPE = re.compile(
    # CSI (`ESC [ ... m`), OSC (`ESC ] ... BEL`), or a two-character sequence.
    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-_]?)"
)
#: Control characters other than newline and tab, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def after_due_date_from_env() -> bool:
    """Whether the environment says grading has closed (`BRICKYARD_AFTER_DUE_DATE`)."""
    return bool(os.environ.get(AFTER_DUE_DATE_VARIABLE, "").strip())


def is_hidden(visibility: str, after_due_date: bool = False) -> bool:
    """Whether a check with `visibility` is kept from the student now.

    `hidden` checks always are; `after_due_date` ones until grading has closed.
    """
    return visibility == "hidden" or (
        visibility == "after_due_date" and not after_due_date
    )


def clean_text(text: str) -> str:
    """Drop terminal control characters from text the engine or a build echoed.

    A binary Dockerfile or a build log can carry raw escape sequences; shown as they
    are they would move the cursor or recolour a terminal, and they make JUnit XML
    invalid. Newlines and tabs stay; carriage returns become newlines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", _ESCAPE.sub("", text))


def clean_value(value: Any) -> Any:
    """`clean_text` through the strings of an evidence value, whatever its shape."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(item) for item in value]
    return value


def clean_check(check: CheckResult) -> CheckResult:
    """Clean the feedback, hint and evidence of `check` in place; return it."""
    check.feedback = clean_text(check.feedback)
    check.hint = clean_text(check.hint)
    check.evidence = clean_value(check.evidence)
    return check


@dataclass
class GradingReport:
    """Every exercise graded in one run, in the order they were selected."""

    exercises: list[ExerciseResult]
    run_id: str
    seconds: float = 0.0
    engine: str = ""
    notes: list[str] = field(default_factory=list)
    #: Grading has closed: `after_due_date` checks are shown like visible ones.
    after_due_date: bool = False

    def __post_init__(self) -> None:
        # Every report format is written from here, so text is cleaned once.
        for exercise in self.exercises:
            for check in exercise.checks:
                clean_check(check)
            if exercise.error:
                exercise.error = clean_text(exercise.error)
            # Layer instructions are the student's RUN lines, as the engine keeps them.
            exercise.images = clean_value(exercise.images)

    @property
    def score(self) -> int:
        return sum(exercise.score for exercise in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(exercise.max_score for exercise in self.exercises)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradingReport:
        """Read a report back from its JSON form (`--json`)."""
        exercises = [
            ExerciseResult(
                id=item["id"],
                title=item.get("title", ""),
                checks=[CheckResult.from_dict(check) for check in item["checks"]],
                error=item.get("error"),
                max_score_declared=item.get("max_score", 0),
                images=item.get("images", []),
            )
            for item in data["exercises"]
        ]
        return cls(
            exercises,
            data.get("run_id", ""),
            data.get("seconds", 0.0),
            data.get("engine", ""),
            after_due_date=bool(data.get("after_due_date", False)),
        )

    def hidden_points(self) -> int:
        """The points of checks whose results the student does not see yet."""
        return sum(
            hidden_points(exercise.checks, self.after_due_date)
            for exercise in self.exercises
        )

    def shown_score(self) -> int:
        """The points scored in the checks the student sees."""
        return sum(
            shown_score(exercise, self.after_due_date) for exercise in self.exercises
        )

    def shown_max(self) -> int:
        """The points the checks the student sees are worth."""
        return self.max_score - self.hidden_points()

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: the contract CI and teachers' tools read."""
        return {
            "brickyard": __version__,
            "run_id": self.run_id,
            "engine": self.engine,
            "seconds": round(self.seconds, 1),
            "score": self.score,
            "max_score": self.max_score,
            "after_due_date": self.after_due_date,
            "exercises": [
                {
                    "id": exercise.id,
                    "title": exercise.title,
                    "score": exercise.score,
                    "max_score": exercise.max_score,
                    "error": exercise.error,
                    "checks": [check.to_dict() for check in exercise.checks],
                    # Layer sizes and wasted bytes of each image, for the HTML
                    # report; empty unless the run measured them.
                    "images": exercise.images,
                }
                for exercise in self.exercises
            ],
        }


def full_feedback(check: CheckResult) -> str:
    """The feedback, the hint and the evidence of a check, as plain text."""
    parts = [check.feedback]
    if check.hint:
        parts.append(f"Try: {check.hint}")
    for name, value in check.evidence.items():
        parts.append(f"{name}: {value}")
    return "\n".join(part for part in parts if part)


def shown_feedback(check: CheckResult, after_due_date: bool = False) -> str:
    """What a student may see of a check: all of it, or nothing when it is hidden."""
    if is_hidden(check.visibility, after_due_date):
        return "This check is hidden; its result is shown later."
    return full_feedback(check)


def hidden_points(checks: list[CheckResult], after_due_date: bool = False) -> int:
    """The points of the checks in `checks` the student does not see yet."""
    return sum(
        check.max_score
        for check in checks
        if is_hidden(check.visibility, after_due_date)
    )


def shown_score(exercise: ExerciseResult, after_due_date: bool = False) -> int:
    """The points `exercise` scored in the checks the student sees."""
    return sum(
        check.score
        for check in exercise.checks
        if not is_hidden(check.visibility, after_due_date)
    )


def shown_max(exercise: ExerciseResult, after_due_date: bool = False) -> int:
    """The points the checks of `exercise` the student sees are worth."""
    return exercise.max_score - hidden_points(exercise.checks, after_due_date)


def points(count: int) -> str:
    """`1 point`, `3 points`."""
    return f"{count} point" if count == 1 else f"{count} points"

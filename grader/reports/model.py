"""The whole run's results, the one object every report format is written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader import __version__
from grader.checks.result import CheckResult
from grader.plugin import ExerciseResult


@dataclass
class GradingReport:
    """Every exercise graded in one run, in the order they were selected."""

    exercises: list[ExerciseResult]
    run_id: str
    seconds: float = 0.0
    engine: str = ""
    notes: list[str] = field(default_factory=list)

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
        )

    def hidden_points(self) -> int:
        """The points of checks whose results the student does not see yet."""
        return sum(
            check.max_score
            for exercise in self.exercises
            for check in exercise.checks
            if check.visibility != "visible"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: the contract CI and teachers' tools read."""
        return {
            "brickyard": __version__,
            "run_id": self.run_id,
            "engine": self.engine,
            "seconds": round(self.seconds, 1),
            "score": self.score,
            "max_score": self.max_score,
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


def shown_feedback(check: CheckResult) -> str:
    """What a student may see of a check: all of it, or nothing when it is hidden."""
    if check.visibility != "visible":
        return "This check is hidden; its result is shown later."
    return full_feedback(check)

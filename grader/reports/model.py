"""The whole run's results, the one object every report format is written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader import __version__
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
                }
                for exercise in self.exercises
            ],
        }

"""Authoring errors in `exercise.yaml`: file, field, what is wrong, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of a spec."""

    field: str
    problem: str
    fix: str

    def describe(self) -> str:
        return f"{self.field}: {self.problem}\n    fix: {self.fix}"


class SpecError(Exception):
    """An `exercise.yaml` is not valid; every problem found is listed."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem.describe()}" for problem in problems)
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"{path}: {count} in this exercise spec:\n{listing}")

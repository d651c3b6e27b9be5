"""What a student reads at the terminal: live checks, feedback, hints, the total."""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Any, TextIO

from grader.checks.result import CheckResult
from grader.plugin import ExerciseResult
from grader.reports.model import GradingReport

_GREEN, _RED, _YELLOW, _DIM, _BOLD, _RESET = (
    "\033[32m",
    "\033[31m",
    "\033[33m",
    "\033[2m",
    "\033[1m",
    "\033[0m",
)


class TerminalReport:
    """Prints each check as it finishes, then each exercise's score and the total."""

    def __init__(
        self, stream: TextIO | None = None, verbose: bool = False, quiet: bool = False
    ) -> None:
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.quiet = quiet
        self.color = self.stream.isatty() and "NO_COLOR" not in os.environ
        self.current: str | None = None

    def paint(self, text: str, color: str) -> str:
        return f"{color}{text}{_RESET}" if self.color else text

    def write(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def heading(self, exercise_id: str, title: str = "") -> None:
        if exercise_id != self.current:
            self.current = exercise_id
            self.write()
            self.write(self.paint(f"{exercise_id}  {title}".rstrip(), _BOLD))

    def listen(self, event: str, data: Any) -> None:
        """Receive the grading plugin's events as they happen."""
        if event == "check_done":
            self.check_line(data)
        elif event == "exercise_error":
            self.exercise_error(data)

    def exercise_error(self, exercise: ExerciseResult) -> None:
        self.heading(exercise.id, exercise.title)
        self.write(self.paint("  cannot be graded:", _RED))
        self.write(textwrap.indent(exercise.error or "", "    "))

    def check_line(self, check: CheckResult) -> None:
        self.heading(check.exercise)
        if self.quiet and check.passed:
            return
        mark = {
            "passed": self.paint("PASS", _GREEN),
            "failed": self.paint("FAIL", _RED),
        }.get(check.status, self.paint("ERROR", _YELLOW))
        points = f"{check.score}/{check.max_score}"
        self.write(
            f"  {mark}  {points:>5}  {check.title or check.id} "
            f" {self.paint(f'[{check.id}]', _DIM)}"
        )
        if not check.passed or self.verbose:
            self.write(textwrap.indent(check.feedback, "         "))
            if check.hint:
                self.write(textwrap.indent("Try: " + check.hint, "         "))
            if check.evidence and (self.verbose or not check.passed):
                for name, value in check.evidence.items():
                    shown = str(value)
                    if "\n" in shown:
                        self.write(self.paint(f"         {name}:", _DIM))
                        self.write(
                            self.paint(textwrap.indent(shown, "           | "), _DIM)
                        )
                    else:
                        self.write(self.paint(f"         {name}: {shown}", _DIM))

    def summary(self, report: GradingReport) -> None:
        """Print the score of every exercise and the total."""
        self.write()
        self.write(self.paint("Scores", _BOLD))
        for exercise in report.exercises:
            state = (
                "error"
                if exercise.error
                else ("full marks" if exercise.score == exercise.max_score else "")
            )
            self.write(
                f"  {exercise.id:<28} {exercise.score:>3}/{exercise.max_score:<3}"
                f" {state}"
            )
        self.write(
            self.paint(
                f"  {'Total':<28} {report.score:>3}/{report.max_score:<3}", _BOLD
            )
            + f"  ({report.seconds:.1f} s)"
        )

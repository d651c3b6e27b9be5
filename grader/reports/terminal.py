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
        if check.visibility != "visible":
            # A hidden check's verdict is the teacher's; only its points are told.
            return
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
        """Print the score of every exercise and the total; hidden points apart."""
        self.write()
        self.write(self.paint("Scores", _BOLD))
        total, total_max = 0, 0
        for exercise in report.exercises:
            shown = [
                check for check in exercise.checks if check.visibility == "visible"
            ]
            score = sum(check.score for check in shown)
            most = exercise.max_score - hidden_points(exercise.checks)
            total, total_max = total + score, total_max + most
            state = (
                "error" if exercise.error else ("full marks" if score == most else "")
            )
            self.write(f"  {exercise.id:<28} {score:>3}/{most:<3} {state}")
        line = f"  {'Total':<28} {total:>3}/{total_max:<3}"
        self.write(self.paint(line, _BOLD) + f"  ({report.seconds:.1f} s)")
        hidden = report.hidden_points()
        if hidden:
            self.write(
                f"  and {hidden} points in hidden checks, shown after grading closes"
            )


def hidden_points(checks: list[CheckResult]) -> int:
    return sum(check.max_score for check in checks if check.visibility != "visible")

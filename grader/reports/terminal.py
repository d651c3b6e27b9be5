"""What a student reads at the terminal: live checks, feedback, hints, the total.

On a terminal a status line under the results says what grading is doing (the build
step, the check running) and is redrawn in place. Where it cannot be erased (output
to a file or a pipe, `NO_COLOR`, or `--verbose`, whose log lines would land inside it)
the build steps are printed as plain lines instead, so CI logs read top to bottom.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import threading
import time
from typing import Any, TextIO

from grader.checks.result import CheckResult
from grader.engine.progress import ProgressNote
from grader.plugin import ExerciseResult
from grader.reports.model import (
    GradingReport,
    clean_check,
    clean_text,
    is_hidden,
    points,
    shown_max,
    shown_score,
)
from grader.spec import Exercise

#: Erase the current line and return to its start.
_ERASE = "\r\033[2K"
#: Plain characters: a terminal that cannot show braille still spins.
_SPINNER = "|/-\\"
#: Seconds between redraws of the status line while nothing else happens.
_TICK = 0.25

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
        self,
        stream: TextIO | None = None,
        verbose: bool = False,
        quiet: bool = False,
        after_due_date: bool = False,
    ) -> None:
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.quiet = quiet
        #: Grading has closed: `after_due_date` checks are shown like visible ones.
        self.after_due_date = after_due_date
        # no-color.org: only a NO_COLOR that is set and not empty turns colour off.
        self.color = self.stream.isatty() and not os.environ.get("NO_COLOR")
        self.live = self.color and not verbose
        self.current: str | None = None
        #: The reader of the stream went away (a pipe into `head`).
        self.closed = False
        self.status = Status(after_due_date)
        # The build's stream is read in another thread, and the ticker redraws.
        self.lock = threading.RLock()
        self.status_shown = False
        self.ticker: threading.Thread | None = None
        self.stopped = threading.Event()

    def emit(self, text: str) -> None:
        """Write `text`; once the reader has gone (`| head`), write nothing more."""
        if self.closed:
            return
        try:
            self.stream.write(text)
        except BrokenPipeError:
            self.close_quietly()

    def flush(self) -> None:
        if self.closed:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.close_quietly()

    def close_quietly(self) -> None:
        """Stop writing to a pipe whose reader has gone; grading goes on.

        The stream is pointed at /dev/null, so the flush at exit cannot fail again.
        """
        self.closed = True
        silence(self.stream)

    def paint(self, text: str, color: str) -> str:
        return f"{color}{text}{_RESET}" if self.color else text

    def write(self, text: str = "") -> None:
        # The status line comes back at the end of the event, or at the next tick.
        with self.lock:
            self.erase_status()
            self.emit(text + "\n")
            self.flush()

    def heading(self, exercise_id: str, title: str = "") -> None:
        if exercise_id != self.current:
            self.current = exercise_id
            self.write()
            self.write(self.paint(f"{exercise_id}  {title}".rstrip(), _BOLD))

    def listen(self, event: str, data: Any) -> None:
        """Receive the grading plugin's events as they happen."""
        with self.lock:
            if event == "check_done":
                self.status.finish_check()
                self.check_line(data)
            elif event == "exercise_error":
                self.exercise_error(data)
            elif event == "exercise_start" and isinstance(data, Exercise):
                self.heading(data.id, data.title)
                self.status.start_exercise(data)
                self.start_ticker()
            elif event == "check_start":
                self.status.start_check(str(data).rsplit("::", 1)[-1])
            elif event == "progress" and isinstance(data, ProgressNote):
                self.note(data)
            elif event == "exercise_done":
                self.status.clear()
            elif event == "run_done":
                self.stop()
            else:
                return
            self.redraw()

    def note(self, note: ProgressNote) -> None:
        """Show a build step or a slow phase: in the status line, or as a line."""
        step = note.build_step
        if step is not None:
            # A build step is the student's Dockerfile echoed back: any bytes at all.
            step = clean_text(step).replace("\n", " ")
            self.status.detail(step)
            if not self.live and not self.quiet:
                if step.startswith("Step 1/"):
                    # A log read top to bottom says which check each build is for:
                    # the cache checks build again after their edit.
                    self.write(self.paint(f"      {self.status.building()}:", _DIM))
                self.write(self.paint(f"        {step}", _DIM))
        elif note.kind == "phase":
            self.status.detail(clean_text(note.text), phase=True)

    def status_line(self) -> str:
        """The status line as drawn now, cut to the terminal's width."""
        text = self.status.describe(time.monotonic())
        if not text:
            return ""
        spin = _SPINNER[int(time.monotonic() / _TICK) % len(_SPINNER)]
        width = shutil.get_terminal_size((80, 24)).columns - 1
        line = f"{spin} {text}"
        if len(line) > width:
            line = line[: max(width - 3, 0)] + "..."
        return self.paint(line, _DIM)

    def erase_status(self) -> None:
        if self.status_shown:
            self.emit(_ERASE)
            self.status_shown = False

    def draw_status(self) -> None:
        if not self.live:
            return
        line = self.status_line()
        if line:
            self.emit(line)
            self.status_shown = True

    def redraw(self) -> None:
        if not self.live:
            return
        with self.lock:
            self.erase_status()
            self.draw_status()
            self.flush()

    def start_ticker(self) -> None:
        """Redraw the status line a few times a second, so its clock moves."""
        if not self.live or self.ticker is not None:
            return
        # Each ticker has its own event, so one stopped late never outlives its run.
        self.stopped = threading.Event()
        self.ticker = threading.Thread(
            target=self.tick, args=(self.stopped,), name="brickyard status", daemon=True
        )
        self.ticker.start()

    def tick(self, stopped: threading.Event) -> None:
        while not stopped.wait(_TICK):
            self.redraw()

    def stop(self) -> None:
        """Stop redrawing and erase the status line (grading is over)."""
        # The ticker ends at its next tick; with the status cleared under the lock,
        # it draws nothing more until then.
        self.stopped.set()
        self.ticker = None
        with self.lock:
            self.status.clear()
            self.erase_status()
            self.flush()

    def exercise_error(self, exercise: ExerciseResult) -> None:
        self.heading(exercise.id, exercise.title)
        self.write(self.paint("  cannot be graded:", _RED))
        self.write(textwrap.indent(clean_text(exercise.error or ""), "    "))

    def check_line(self, check: CheckResult) -> None:
        self.heading(check.exercise)
        if is_hidden(check.visibility, self.after_due_date):
            # A hidden check's verdict is the teacher's; only its points are told.
            return
        if self.quiet and check.passed:
            return
        clean_check(check)
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
        self.stop()
        self.write()
        self.write(self.paint("Scores", _BOLD))
        after = report.after_due_date or self.after_due_date
        total, total_max = 0, 0
        for exercise in report.exercises:
            shown = [
                check
                for check in exercise.checks
                if not is_hidden(check.visibility, after)
            ]
            score, most = shown_score(exercise, after), shown_max(exercise, after)
            total, total_max = total + score, total_max + most
            state = (
                "error"
                if exercise.error
                # A failing check worth 0 points (a changed teacher file) is no
                # full mark either.
                else (
                    "full marks"
                    if score == most and all(check.passed for check in shown)
                    else ""
                )
            )
            self.write(f"  {exercise.id:<28} {score:>3}/{most:<3} {state}")
        line = f"  {'Total':<28} {total:>3}/{total_max:<3}"
        self.write(self.paint(line, _BOLD) + f"  ({report.seconds:.1f} s)")
        hidden = report.max_score - total_max
        if hidden:
            self.write(
                f"  and {points(hidden)} in hidden checks, shown after grading closes"
            )


def silence(stream: TextIO) -> None:
    """Point `stream`'s file at /dev/null, when it has one."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


class Status:
    """What grading is doing now: the exercise, the check and the step running."""

    def __init__(self, after_due_date: bool = False) -> None:
        self.after_due_date = after_due_date
        self.exercise: str | None = None
        self.titles: dict[str, str] = {}
        self.total = 0
        self.done = 0
        self.check: str | None = None
        self.doing: str | None = None
        self.since = time.monotonic()

    def start_exercise(self, exercise: Exercise) -> None:
        self.exercise = exercise.id
        # A hidden check's title is the teacher's, like its verdict.
        self.titles = {
            check.id: (
                "hidden check"
                if is_hidden(check.visibility, self.after_due_date)
                else check.title
            )
            for check in exercise.checks
        }
        # pytest announces the first check before it sets its exercise up, so the
        # check already started stays.
        self.total, self.done = len(exercise.checks), 0
        self.doing = None

    def building(self) -> str:
        """Say what a build that starts now is for, in a log's words."""
        title = self.titles.get(self.check or "")
        return f"building for: {title}" if title else "building"

    def start_check(self, check_id: str) -> None:
        self.check = check_id
        self.doing = None
        self.since = time.monotonic()

    def finish_check(self) -> None:
        self.done += 1
        self.check, self.doing = None, None

    def detail(self, text: str, phase: bool = False) -> None:
        # A phase outside any check (cleaning up) starts its own clock.
        if phase and self.check is None:
            self.since = time.monotonic()
        self.doing = text

    def clear(self) -> None:
        self.exercise, self.check, self.doing = None, None, None

    def describe(self, now: float) -> str:
        """One line: `01-first-image [2/5] The image builds: Step 3/7 : ... 4s`."""
        if self.exercise is None and self.doing is None:
            return ""
        doing = []
        if self.check is not None:
            number = min(self.done + 1, self.total)
            title = self.titles.get(self.check, self.check)
            doing.append(f"[{number}/{self.total}] {title}")
        if self.doing:
            doing.append(self.doing)
        parts = [self.exercise or "", ": ".join(doing), f"{now - self.since:.0f}s"]
        return "  ".join(part for part in parts if part)

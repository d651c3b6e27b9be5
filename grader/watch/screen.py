"""What `brickyard watch` shows: the current exercise's checks, progress and keys.

`Attempt` is one grade of one exercise as its events arrive from the worker; `render`
turns it, with the run's progress, into the lines of one screen. The most useful
lines come last (score, progress bar, keys), so a long screen that scrolls keeps
them in sight.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from grader.checks.result import CheckResult

Phase = Literal["starting", "static", "engine", "done", "failed"]

_GREEN, _RED, _YELLOW, _DIM, _BOLD, _RESET = (
    "\033[32m",
    "\033[31m",
    "\033[33m",
    "\033[2m",
    "\033[1m",
    "\033[0m",
)
#: Clear the screen and put the cursor at its top left.
CLEAR = "\033[H\033[2J"
HIDE_CURSOR, SHOW_CURSOR = "\033[?25l", "\033[?25h"
#: The last lines of a long piece of evidence (a build log) that the screen shows.
EVIDENCE_LINES = 12
BAR_WIDTH = 30


@dataclass(frozen=True)
class CheckRow:
    """A check as the screen lists it, before and after it runs."""

    id: str
    title: str
    points: int
    visibility: str = "visible"
    static: bool = False

    @property
    def hidden(self) -> bool:
        return self.visibility != "visible"


@dataclass
class Attempt:
    """One grade of one exercise, filled in as the worker's events arrive."""

    exercise: str
    title: str = ""
    checks: list[CheckRow] = field(default_factory=list)
    results: dict[str, CheckResult] = field(default_factory=dict)
    running: str | None = None
    doing: str | None = None
    since: float = field(default_factory=time.monotonic)
    phase: Phase = "starting"
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None

    def apply(self, event: dict[str, Any]) -> None:
        """Fold one worker event into the attempt."""
        kind = event.get("event")
        if self.phase == "starting" and kind in ("exercise_start", "check_start"):
            self.phase = "static"
        if kind == "exercise_start":
            self.title = str(event.get("title", ""))
            self.checks = [CheckRow(**check) for check in event.get("checks", [])]
        elif kind == "check_start":
            self.running, self.doing = str(event["check"]), None
            self.since = time.monotonic()
        elif kind == "check_done":
            result = CheckResult.from_dict(event["result"])
            self.results[result.id] = result
            self.running, self.doing = None, None
        elif kind == "progress":
            self.doing = str(event.get("text", ""))
            if event.get("kind") == "phase" and self.running is None:
                self.since = time.monotonic()
        elif kind == "exercise_error":
            self.error = str(event.get("error", ""))
        elif kind == "fatal":
            self.error = str(event.get("message", ""))
            self.phase = "failed"
        elif kind == "phase_done":
            self.phase = "engine" if event.get("phase") == "static" else "done"
            self.running, self.doing = None, None
            if self.phase == "done":
                self.seconds = time.monotonic() - self.started

    @property
    def static_done(self) -> bool:
        return self.phase in ("engine", "done")

    def visible_results(self) -> list[CheckResult]:
        return [r for r in self.results.values() if r.visibility == "visible"]

    def score(self) -> tuple[int, int]:
        """Points of the visible checks: earned so far, and possible."""
        earned = sum(result.score for result in self.visible_results())
        possible = sum(check.points for check in self.checks if not check.hidden)
        return earned, possible

    def full_marks(self) -> bool:
        earned, possible = self.score()
        return self.phase == "done" and not self.error and earned == possible > 0


@dataclass
class View:
    """Everything one screen shows."""

    attempt: Attempt
    position: int
    count: int
    folder: str
    done: int
    hints: list[str] | None = None
    notice: str = ""


class Painter:
    """Colours text when the terminal takes colour."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text


def render(view: View, width: int = 80, color: bool = True) -> list[str]:
    """Return the lines of the screen for `view`, fitted to `width` columns."""
    paint = Painter(color)
    attempt = view.attempt
    width = max(width, 40)
    lines = [
        paint(f"brickyard watch: {attempt.exercise}  {attempt.title}".rstrip(), _BOLD)
        + f"  (exercise {view.position} of {view.count})",
        f"Edit the files in {view.folder} and save: each save grades them again.",
        "",
    ]
    for check in attempt.checks:
        lines += check_lines(attempt, check, width, paint)
    if attempt.error:
        lines += ["", paint("  The grader could not grade this exercise:", _RED)]
        lines += wrap(attempt.error, width, "    ")
    if view.hints is not None:
        lines += ["", paint("Hints", _BOLD), *view.hints]
    lines += ["", *status_lines(view, paint)]
    return lines


def check_lines(
    attempt: Attempt, check: CheckRow, width: int, paint: Painter
) -> list[str]:
    """The line of one check, with feedback and evidence under a failure."""
    result = attempt.results.get(check.id)
    if check.hidden:
        state = "done" if result else "...."
        return [
            paint(
                f"  {state:<4}  {'':>5}  hidden check ({check.points} points,"
                " result shown later)",
                _DIM,
            )
        ]
    if result is None:
        if attempt.running == check.id:
            seconds = time.monotonic() - attempt.since
            doing = f": {attempt.doing}" if attempt.doing else ""
            text = f"  >>>>  {'-':>3}/{check.points:<1}  {check.title}{doing}"
            text = cut(text, width - 6) + f"  {seconds:.0f}s"
            return [paint(text, _YELLOW)]
        waiting = "(waits for the image)" if not check.static else ""
        text = f"  ....  {'-':>3}/{check.points:<1}  {check.title}  {waiting}"
        return [paint(cut(text.rstrip(), width), _DIM)]
    mark = {
        "passed": paint("PASS", _GREEN),
        "failed": paint("FAIL", _RED),
    }.get(result.status, paint("ERR ", _YELLOW))
    lines = [f"  {mark}  {result.score:>3}/{result.max_score:<1}  {check.title}"]
    if not result.passed:
        lines += wrap(result.feedback, width, " " * 14)
        for name, value in result.evidence.items():
            shown = str(value).rstrip()
            if "\n" in shown:
                tail = shown.splitlines()[-EVIDENCE_LINES:]
                lines.append(paint(f"              {name}:", _DIM))
                lines += [
                    paint(cut(f"              | {row}", width), _DIM) for row in tail
                ]
            else:
                lines.append(paint(cut(f"              {name}: {shown}", width), _DIM))
    return lines


def status_lines(view: View, paint: Painter) -> list[str]:
    """The score, what is going on, the progress bar and the keys."""
    attempt = view.attempt
    earned, possible = attempt.score()
    if attempt.phase == "done":
        seconds = f" in {attempt.seconds:.1f} s" if attempt.seconds else ""
        score = f"Score {earned}/{possible}, graded{seconds}."
    elif attempt.phase == "failed":
        score = "Not graded."
    elif attempt.phase == "starting":
        score = "Starting to grade..."
    elif attempt.phase == "static":
        score = f"Score so far {earned}/{possible}: checking the files..."
    else:
        score = (
            f"Score so far {earned}/{possible}: building and running your work on"
            " Docker..."
        )
    lines = [paint(score, _BOLD)]
    if attempt.full_marks():
        lines.append(
            paint(
                f"Full marks for {attempt.exercise}! Press n for the next exercise.",
                _GREEN,
            )
        )
    if view.notice:
        lines.append(view.notice)
    filled = round(BAR_WIDTH * view.done / view.count) if view.count else 0
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    lines.append(f"Progress [{bar}] {view.done}/{view.count} exercises at full marks")
    lines.append("")
    hint = "h hide hints" if view.hints is not None else "h hint"
    lines.append(paint(f"{hint}   n next exercise   r grade again   q quit", _DIM))
    return lines


def wrap(text: str, width: int, indent: str) -> list[str]:
    """Wrap each paragraph of `text` to `width`, indented."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph,
            width=width,
            initial_indent=indent,
            subsequent_indent=indent,
        ) or [indent.rstrip()]
    return lines


def cut(text: str, width: int) -> str:
    """Cut `text` to `width` characters, marking the cut."""
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."

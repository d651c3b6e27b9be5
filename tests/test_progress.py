"""Live progress at the terminal: a status line redrawn in place, or plain lines."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import sys
from pathlib import Path

import docker
import pytest

from grader.checks.result import CheckResult
from grader.engine.build import tell
from grader.engine.progress import ProgressNote
from grader.reports.terminal import TerminalReport
from grader.spec import Exercise, load_exercise
from tests.conftest import CASES, REPO, run_brickyard
from tests.ptyshell import Terminal, plain

CASE = CASES / "reports" / "01-wasteful-image"
ERASE = "\r\x1b[2K"


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def exercise() -> Exercise:
    return load_exercise(CASE)


def result(check_id: str, passed: bool = True) -> CheckResult:
    return CheckResult(
        CASE.name,
        check_id,
        check_id,
        "image_builds",
        "passed" if passed else "failed",
        2 if passed else 0,
        2,
        "measured" if passed else "The build failed.",
    )


def grade_events(report: TerminalReport, exercise: Exercise) -> None:
    """The events a grade of one exercise sends, as the grading plugin sends them."""
    report.listen("check_start", f"exercise.yaml::{exercise.checks[1].id}")
    report.listen("exercise_start", exercise)
    for line in ("Step 1/3 : FROM debian:bookworm-slim", " ---> 1234567890ab"):
        report.listen("progress", ProgressNote(exercise.id, line, "build"))
    report.listen(
        "progress",
        ProgressNote(exercise.id, "Step 3/3 : LABEL brickyard.run=abc", "build"),
    )
    report.listen("check_done", result(exercise.checks[1].id))
    report.listen("progress", ProgressNote(exercise.id, "removing what it made"))
    report.listen("exercise_done", exercise.id)
    report.listen("run_done", None)


def test_on_a_terminal_the_status_line_is_redrawn_in_place(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    stream = FakeTerminal()
    report = TerminalReport(stream)

    grade_events(report, exercise)

    text = stream.getvalue()
    assert "[1/3] The image builds: Step 1/3 : FROM debian:bookworm-slim" in text
    assert ERASE in text
    # What stays on the screen: the heading and the check's line, no build steps.
    kept = [line for line in plain(text).splitlines() if "Step" not in line]
    assert any("PASS" in line and "builds" in line for line in kept)
    # The grader's own label steps are not shown, and the line ends erased.
    assert "LABEL brickyard" not in text
    assert text.endswith(ERASE)


def test_the_status_line_fits_the_terminal(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "40")
    stream = FakeTerminal()

    grade_events(TerminalReport(stream), exercise)

    drawn = [part for part in plain(stream.getvalue()).split("\n") if "[1/3]" in part]
    assert drawn and all(len(part) <= 39 for part in drawn)
    assert all(part.endswith("...") for part in drawn if "Step" in part)


def test_no_color_gives_plain_lines_without_redrawing(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream = FakeTerminal()

    grade_events(TerminalReport(stream), exercise)

    text = stream.getvalue()
    assert "\x1b" not in text and "\r" not in text
    assert "        Step 1/3 : FROM debian:bookworm-slim\n" in text
    assert " ---> 1234567890ab" not in text
    # Each build in the log says which check it is for, just before its first step.
    title = exercise.checks[1].title
    assert f"      building for: {title}:\n        Step 1/3" in text


def test_an_empty_no_color_keeps_the_colours(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no-color.org: NO_COLOR counts only when it is set to something.
    monkeypatch.setenv("NO_COLOR", "")
    stream = FakeTerminal()

    grade_events(TerminalReport(stream), exercise)

    assert "\x1b[" in stream.getvalue()


def test_a_pipe_gets_plain_lines_and_quiet_gets_none(exercise: Exercise) -> None:
    piped, quiet = io.StringIO(), io.StringIO()

    grade_events(TerminalReport(piped), exercise)
    grade_events(TerminalReport(quiet, quiet=True), exercise)

    assert "Step 1/3" in piped.getvalue() and "\x1b" not in piped.getvalue()
    assert "Step" not in quiet.getvalue()


def test_a_hidden_checks_title_stays_out_of_the_status_line(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    secret = dataclasses.replace(exercise.checks[1], visibility="hidden")
    changed = dataclasses.replace(exercise, checks=(exercise.checks[0], secret))
    stream = FakeTerminal()
    report = TerminalReport(stream)

    report.listen("exercise_start", changed)
    report.listen("check_start", f"exercise.yaml::{secret.id}")
    report.stop()

    assert "hidden check" in stream.getvalue()
    assert secret.title not in stream.getvalue()


def test_a_slow_phase_inside_a_check_keeps_the_checks_title(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    stream = FakeTerminal()
    report = TerminalReport(stream)

    report.listen("exercise_start", exercise)
    report.listen("check_start", f"exercise.yaml::{exercise.checks[1].id}")
    report.listen("progress", ProgressNote(exercise.id, "starting the stack"))
    report.stop()

    assert "[1/3] The image builds: starting the stack" in stream.getvalue()


def test_a_failing_progress_callback_does_not_fail_the_build() -> None:
    seen: list[str] = []

    def broken(line: str) -> None:
        seen.append(line)
        raise RuntimeError("the display broke")

    tell(broken, ["Step 1/2 : FROM x", "Step 2/2 : RUN y"])

    assert seen == ["Step 1/2 : FROM x"]


def lay_out(tmp_path: Path) -> Path:
    target = tmp_path / "tree" / "exercises" / CASE.name
    shutil.copytree(CASE, target)
    (target / "blob.bin").write_bytes(b"brick" * 1000)
    return tmp_path / "tree"


@pytest.mark.engine
def test_grading_in_a_terminal_shows_the_build_step_live(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    root = lay_out(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}

    terminal = Terminal(
        [sys.executable, "-m", "grader.cli", "grade", "--root", str(root)], REPO, env
    )
    status = terminal.finish(timeout=300)

    raw = terminal.output
    assert status == 0, plain(raw)
    assert "Traceback" not in raw
    assert ERASE in raw
    # A status line names the exercise, the check and the build step it is on.
    assert "01-wasteful-image  [2/3] The image builds: Step 1/" in raw
    screen = plain(raw)
    assert "Scores" in screen and "3/4" in screen


@pytest.mark.engine
def test_grading_with_no_color_in_a_terminal_prints_plain_steps(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    root = lay_out(tmp_path)
    env = {**os.environ, "NO_COLOR": "1"}

    terminal = Terminal(
        [sys.executable, "-m", "grader.cli", "grade", "--root", str(root)], REPO, env
    )
    status = terminal.finish(timeout=300)

    raw = terminal.output
    assert status == 0, raw
    assert "\x1b[" not in raw
    lines = raw.replace("\r\n", "\n").splitlines()
    assert any(
        re.fullmatch(r" {8}Step 1/\d+ : FROM debian:bookworm-slim", x) for x in lines
    )
    assert "\r" not in raw.replace("\r\n", "\n")


@pytest.mark.engine
def test_grading_to_a_pipe_keeps_the_log_plain(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    graded = run_brickyard("grade", "--root", str(lay_out(tmp_path)))

    assert graded.returncode == 0, graded.stderr
    assert "\x1b" not in graded.stdout and "\r" not in graded.stdout
    step = re.compile(r" {8}Step 2/\d+ : COPY blob.bin /opt/blob.bin")
    assert any(step.fullmatch(line) for line in graded.stdout.splitlines())

"""`brickyard watch` and `brickyard hint`: saved progress, the screen, and a real run
through a pseudo-terminal (start, read the screen, press keys, edit, quit)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import docker
import pytest
import yaml

from grader.checks.result import CheckResult
from grader.engine.labels import EXERCISE
from grader.spec import load_exercise
from grader.watch.command import fingerprint
from grader.watch.hint import hint_lines
from grader.watch.screen import Attempt, View, render
from grader.watch.state import STATE_FILE, ExerciseProgress, Progress
from grader.workspace import discover
from tests.conftest import REPO, run_brickyard
from tests.ptyshell import CLEAR, Terminal, plain

FIRST = REPO / "exercises" / "01-first-image"


def result(check_id: str, passed: bool, points: int = 1) -> CheckResult:
    return CheckResult(
        "01-first-image",
        check_id,
        check_id,
        "image_config",
        "passed" if passed else "failed",
        points if passed else 0,
        points,
        "ok" if passed else f"{check_id} does not hold",
    )


def make_tree(tmp_path: Path, names: list[str]) -> Path:
    """Copies of exercise 01 under new ids, so the test's objects are its own."""
    for name in names:
        target = tmp_path / "exercises" / name
        shutil.copytree(FIRST, target)
        spec = target / "exercise.yaml"
        data = yaml.safe_load(spec.read_text())
        data["id"] = name
        spec.write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


def test_progress_survives_a_round_trip_and_ignores_a_damaged_file(
    tmp_path: Path,
) -> None:
    progress = Progress.load(tmp_path)
    progress.record("01-a", [result("x", True), result("y", False)])
    progress.record("02-b", [result("x", True)])
    progress.save()

    again = Progress.load(tmp_path)
    assert again.exercises["01-a"].failed == ["y"]
    assert again.done("02-b") and not again.done("01-a")
    data = json.loads((tmp_path / STATE_FILE).read_text())
    assert data["version"] == 1 and set(data["exercises"]) == {"01-a", "02-b"}

    (tmp_path / STATE_FILE).write_text("{not json")
    assert Progress.load(tmp_path).exercises == {}


def test_hidden_checks_do_not_count_towards_full_marks(tmp_path: Path) -> None:
    hidden = result("secret", False)
    hidden.visibility = "hidden"

    graded = ExerciseProgress.from_results([result("x", True), hidden])

    assert graded.done and graded.failed == []


def test_watch_starts_at_the_first_exercise_not_at_full_marks(tmp_path: Path) -> None:
    folders = discover(make_tree(tmp_path, ["01-a", "02-b", "03-c"]))
    progress = Progress.load(tmp_path)
    progress.record("01-a", [result("x", True)])
    progress.record("02-b", [result("x", False)])

    assert progress.first_unfinished(folders) == folders[1]
    assert progress.next_unfinished(folders, folders[1]) == folders[2]
    progress.record("03-c", [result("x", True)])
    # Only the current one is left: `n` moves on anyway.
    assert progress.next_unfinished(folders, folders[1]) == folders[2]
    progress.record("02-b", [result("x", True)])
    assert progress.first_unfinished(folders) is None


def test_hints_come_failing_first_and_hidden_ones_stay_hidden() -> None:
    exercise = load_exercise(FIRST)
    last = ExerciseProgress(3, 9, ["serves", "exposes-port"], "2026-01-02T03:04:05")

    lines = hint_lines(exercise, last)

    titled = [line for line in lines if "  [" in line]
    assert "[exposes-port, 1 point]" in titled[0]
    assert "[serves, 3 points]" in titled[1]
    assert titled[0].lstrip().startswith("FAIL")
    assert titled[2].lstrip().startswith("pass")
    assert "Last graded 2026-01-02 03:04 UTC: 3/9 points" in lines[0]
    assert any("Try: Add `EXPOSE 8000`" in line for line in lines)


def test_hints_without_a_grade_follow_the_exercise_order() -> None:
    exercise = load_exercise(FIRST)

    lines = hint_lines(exercise, None)

    titled = [line.split("[")[1].split(",")[0] for line in lines if "  [" in line]
    assert titled == [check.id for check in exercise.checks]


def test_a_save_changes_the_fingerprint_and_editor_scratch_files_do_not(
    tmp_path: Path,
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    before = fingerprint(tmp_path)

    (tmp_path / ".Dockerfile.swp").write_text("scratch")
    (tmp_path / "Dockerfile~").write_text("backup")
    assert fingerprint(tmp_path) == before

    (tmp_path / ".dockerignore").write_text(".env\n")
    assert fingerprint(tmp_path) != before


def test_the_screen_shows_checks_score_progress_and_keys() -> None:
    attempt = Attempt("01-first-image")
    exercise = load_exercise(FIRST)
    checks = [
        {
            "id": check.id,
            "title": check.title,
            "points": check.points,
            "visibility": "hidden" if check.id == "stops-promptly" else "visible",
            "static": check.id == "pinned-base",
        }
        for check in exercise.checks
    ]
    events = [
        {"event": "check_start", "check": "pinned-base"},
        {"event": "exercise_start", "title": exercise.title, "checks": checks},
        {"event": "check_done", "result": result("pinned-base", True).to_dict()},
        {"event": "phase_done", "phase": "static"},
        {"event": "check_start", "check": "builds"},
        {"event": "progress", "text": "Step 2/6 : COPY app.py .", "kind": "build"},
    ]
    for event in events:
        attempt.apply(event)

    running = "\n".join(render(View(attempt, 1, 9, "exercises/01/", 2), 100, False))

    assert "PASS    1/1  The base image has a pinned tag" in running
    assert ">>>>" in running and "The image builds: Step 2/6 : COPY app.py ." in running
    assert "(waits for the image)" in running
    assert "hidden check (2 points, result shown later)" in running
    assert "docker stop stops" not in running
    assert "Progress [#######-----------------------] 2/9" in running
    assert "h hint   n next exercise   r grade again   q quit" in running

    points = {check.id: check.points for check in exercise.checks}
    for check_id in ("builds", "exposes-port", "serves"):
        done_event = result(check_id, True, points[check_id]).to_dict()
        attempt.apply({"event": "check_done", "result": done_event})
    attempt.apply({"event": "phase_done", "phase": "engine"})
    done = "\n".join(render(View(attempt, 1, 9, "exercises/01/", 3), 100, False))
    assert "Full marks for 01-first-image! Press n for the next exercise." in done
    assert "\x1b" not in done


def test_a_grade_that_cannot_start_says_why() -> None:
    attempt = Attempt("01-first-image")

    attempt.apply({"event": "fatal", "message": "No Docker engine answered at X"})

    screen = "\n".join(render(View(attempt, 1, 1, "exercises/01/", 0), 80, False))
    assert "The grader could not grade this exercise:" in screen
    assert "No Docker engine answered at X" in screen
    assert "Not graded." in screen


def screen_line(screen: str, start: str) -> str:
    return next((line for line in screen.splitlines() if line.startswith(start)), "")


@pytest.mark.engine
def test_watch_regrades_on_save_and_answers_its_keys(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    names = ["01-watch-probe", "02-watch-next"]
    root = make_tree(tmp_path / "tree", names)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    command = [sys.executable, "-m", "grader.cli", "watch", "--root", str(root)]
    terminal = Terminal(command, REPO, env)
    try:
        first = terminal.wait_for(
            lambda s: "Score 3/9, graded" in s, 240, "the starter's grade"
        )
        assert first.startswith("brickyard watch: 01-watch-probe")
        # The static check answered before the image was built.
        screens = [plain(part) for part in terminal.output.split(CLEAR)]
        assert any(
            "PASS    1/1  The base image has a pinned tag" in screen
            and "(waits for the image)" in screen
            for screen in screens
        )
        assert "0/2 exercises at full marks" in first
        assert "FAIL    0/1  The image declares port 8000" in first

        terminal.press("h")
        hints = terminal.wait_for(
            lambda s: "Hints" in s and "q quit" in s, 30, "the hints"
        )
        after = hints.split("Hints", 1)[1]
        assert re.search(r"FAIL  The image declares port 8000", after)
        assert after.index("FAIL") < after.index("pass")

        started = time.monotonic()
        shutil.copy(
            REPO / "solutions" / "01-first-image" / "Dockerfile",
            root / "exercises" / names[0] / "Dockerfile",
        )
        solved = terminal.wait_for(
            lambda s: "Full marks for 01-watch-probe" in s, 240, "the edited grade"
        )
        print(f"re-graded after the save in {time.monotonic() - started:.1f} s")
        assert "Score 9/9, graded" in solved
        assert "1/2 exercises at full marks" in solved
        saved = json.loads((root / STATE_FILE).read_text())
        assert saved["exercises"]["01-watch-probe"]["score"] == 9

        terminal.press("n")
        terminal.wait_for(
            lambda s: (
                s.startswith("brickyard watch: 02-watch-next")
                and screen_line(s, "Score so far") != ""
            ),
            120,
            "the next exercise's grade to start",
        )
        # Quit in the middle of that grade: it is stopped and cleaned up.
        terminal.press("q")
        status = terminal.finish(timeout=180)
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()

    assert status == 0
    assert "Your progress is saved in" in terminal.screen()
    assert "Traceback" not in terminal.output
    for name in names:
        selector = {"label": f"{EXERCISE}={name}"}
        assert engine.containers.list(all=True, filters=selector) == []
        assert engine.networks.list(filters=selector) == []
        assert engine.images.list(all=True, filters=selector) == []

    hint = run_brickyard("hint", "02", "--root", str(root))
    assert hint.returncode == 0
    assert "Not graded by `brickyard watch` yet" in hint.stdout
    hint = run_brickyard("hint", "01", "--root", str(root))
    assert "9/9 points; full marks" in hint.stdout


def test_hint_names_the_valid_exercises_for_a_wrong_one(tmp_path: Path) -> None:
    root = make_tree(tmp_path, ["01-a"])

    done = run_brickyard("hint", "7", "--root", str(root))

    assert done.returncode == 2
    assert "01  01-a" in done.stderr
    assert "Traceback" not in done.stderr

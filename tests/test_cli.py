"""The command line's contract: selection, bad input, exit statuses, the JSON report."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.watch.state import STATE_FILE
from tests.conftest import REPO, lay_out_case, run_brickyard


def test_unknown_selector_lists_the_valid_ones() -> None:
    graded = run_brickyard("grade", "99")

    assert graded.returncode == 2
    assert "No exercise matches '99'" in graded.stderr
    assert "01  01-first-image" in graded.stderr


def test_no_engine_gives_one_message_naming_the_host() -> None:
    graded = run_brickyard(
        "grade", "01", env={"DOCKER_HOST": "unix:///tmp/brickyard-no-engine.sock"}
    )

    assert graded.returncode == 3
    assert "unix:///tmp/brickyard-no-engine.sock" in graded.stderr
    assert "Next step" in graded.stderr
    assert "Traceback" not in graded.stderr + graded.stdout


def test_empty_tree_says_where_it_looked(tmp_path: Path) -> None:
    graded = run_brickyard("grade", "--root", str(tmp_path))

    assert graded.returncode == 2
    assert str(tmp_path / "exercises") in graded.stderr


@pytest.mark.engine
def test_bad_spec_is_an_authoring_error_and_grading_goes_on(
    engine: object, tmp_path: Path
) -> None:
    root = lay_out_case(tmp_path, "01-first-image", None)
    spec_path = root / "exercises" / "01-first-image" / "exercise.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["checks"][0]["points"] = "two"
    spec["checks"][1]["kind"] = "image_build"
    spec_path.write_text(yaml.safe_dump(spec))

    graded = run_brickyard("grade", "--root", str(root))

    assert graded.returncode == 0
    exercise = graded.exercise("01-first-image")
    text = exercise["error"] or " ".join(
        check["feedback"] for check in exercise["checks"]
    )
    assert "exercise.yaml" in text
    assert "checks[0].points" in text and "'two'" in text
    assert "checks[1].kind" in text and "did you mean `image_builds`?" in text
    assert "Traceback" not in graded.stdout


@pytest.mark.engine
def test_json_report_has_the_contract_fields(engine: object) -> None:
    graded = run_brickyard("grade", "01")

    report = graded.report
    assert report is not None
    assert {"score", "max_score", "exercises"} <= report.keys()
    exercise = report["exercises"][0]
    assert {"id", "score", "max_score", "checks"} <= exercise.keys()
    for check in exercise["checks"]:
        assert {"id", "passed", "score", "max_score", "feedback"} <= check.keys()
        assert check["score"] in (0, check["max_score"])
    assert exercise["score"] == sum(check["score"] for check in exercise["checks"])


def test_readme_names_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()

    assert "nox -s grade" in readme and "nox -s tests" in readme


def classroom_runner(stdout: str) -> dict[str, Any]:
    """Decode the `result=<base64>` line `brickyard classroom` prints."""
    lines = [line for line in stdout.splitlines() if line.startswith("result=")]
    assert len(lines) == 1, stdout
    decoded: dict[str, Any] = json.loads(base64.b64decode(lines[0][len("result=") :]))
    return decoded


@pytest.fixture(scope="module")
def every_format(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Grade exercise 01's starter once, writing every report format.

    One check is hidden and one shown after the due date, so that every format's
    handling of them is read from the same run.
    """
    tmp_path = tmp_path_factory.mktemp("every-format")
    root = lay_out_case(tmp_path / "tree", "01-first-image", None)
    spec_path = root / "exercises" / "01-first-image" / "exercise.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    visibility = {"stops-promptly": "hidden", "exposes-port": "after_due_date"}
    for check in spec["checks"]:
        check["visibility"] = visibility.get(check["id"], "visible")
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "out"
    paths = {
        "json": out / "results.json",
        "junit": out / "junit.xml",
        "gradescope": out / "gradescope" / "results.json",
        "markdown": out / "summary.md",
        "html": out / "report.html",
    }
    options = [part for name, path in paths.items() for part in (f"--{name}", path)]

    graded = run_brickyard(
        "grade", "--root", str(root), *map(str, options), env={"NO_COLOR": "1"}
    )

    assert graded.returncode == 0, graded.stderr
    # run_brickyard reads the JSON report and removes it; `classroom` reads it too.
    paths["json"].write_text(json.dumps(graded.report))
    return {"graded": graded, "paths": paths, "root": root}


@pytest.mark.engine
def test_one_run_writes_every_format_and_they_agree(
    engine: object, every_format: dict[str, Any]
) -> None:
    paths: dict[str, Path] = every_format["paths"]
    report = json.loads(paths["json"].read_text())
    exercise = report["exercises"][0]
    checks = {check["id"]: check for check in exercise["checks"]}
    assert checks["stops-promptly"]["visibility"] == "hidden"
    shown = [c for c in exercise["checks"] if c["visibility"] == "visible"]
    visible_score = sum(check["score"] for check in shown)
    visible_max = sum(check["max_score"] for check in shown)
    assert (visible_score, visible_max) == (3, 6)

    gradescope = json.loads(paths["gradescope"].read_text())
    assert gradescope["score"] == report["score"]
    assert isinstance(gradescope["execution_time"], int | float)
    assert len(gradescope["tests"]) == len(exercise["checks"])
    for test, check in zip(gradescope["tests"], exercise["checks"], strict=True):
        assert test["score"] == check["score"]
        assert test["max_score"] == check["max_score"]
        assert test["status"] == ("passed" if check["passed"] else "failed")
        assert test["visibility"] == check["visibility"]
        assert isinstance(test["name"], str) and isinstance(test["output"], str)

    junit = ET.parse(paths["junit"]).getroot()
    cases = junit.findall("./testsuite/testcase")
    assert len(cases) == len(exercise["checks"])
    names = [case.get("name") for case in cases]
    assert names == [
        "pinned-base",
        "builds",
        "hidden check 1",
        "serves",
        "hidden check 2",
    ]
    assert junit.get("failures") == "1"
    junit_text = paths["junit"].read_text()
    assert checks["stops-promptly"]["title"] not in junit_text

    markdown = paths["markdown"].read_text()
    assert f"## brickyard: {visible_score}/{visible_max} points" in markdown
    assert "_And 3 points in hidden checks" in markdown
    assert checks["exposes-port"]["title"] not in markdown

    html = paths["html"].read_text()
    assert f'<span class="score">{visible_score}</span>' in html

    classroom = run_brickyard("classroom", "01", "--report", str(paths["json"]), env={})
    assert classroom.returncode == 0, classroom.stderr
    runner = classroom_runner(classroom.stdout)
    assert runner["max_score"] == exercise["max_score"]
    assert sum(test["score"] for test in runner["tests"]) == exercise["score"]
    assert [test["name"] for test in runner["tests"]] == [
        checks["pinned-base"]["title"],
        checks["builds"]["title"],
        checks["serves"]["title"],
        "hidden checks worth 3 points, shown after grading closes",
    ]
    assert runner["status"] == "fail"

    late = run_brickyard(
        "classroom", "01", "--report", str(paths["json"]), "--after-due-date"
    )
    titles = [test["name"] for test in classroom_runner(late.stdout)["tests"]]
    assert checks["exposes-port"]["title"] in titles
    assert checks["stops-promptly"]["title"] not in titles


@pytest.mark.engine
def test_grade_records_progress_as_watch_does(
    engine: object, every_format: dict[str, Any]
) -> None:
    saved = json.loads((every_format["root"] / STATE_FILE).read_text())

    # Visible checks only, as watch counts them.
    assert saved["exercises"]["01-first-image"]["score"] == 3
    assert saved["exercises"]["01-first-image"]["failed"] == ["serves"]


def test_classroom_without_a_report_prints_an_error_runner(tmp_path: Path) -> None:
    missing = tmp_path / "brickyard-results.json"

    done = run_brickyard("classroom", "01", "--report", str(missing))

    assert done.returncode == 4
    runner = classroom_runner(done.stdout)
    spec = yaml.safe_load(
        (REPO / "exercises" / "01-first-image" / "exercise.yaml").read_text()
    )
    assert runner["status"] == "error"
    assert runner["max_score"] == sum(check["points"] for check in spec["checks"])
    assert [test["score"] for test in runner["tests"]] == [0]
    message = runner["tests"][0]["message"]
    assert "Grading did not run to the end" in message and str(missing) in message
    assert "Traceback" not in done.stderr

    missing.write_text("{not json")
    damaged = run_brickyard("classroom", "01", "--report", str(missing))
    assert classroom_runner(damaged.stdout)["status"] == "error"


def test_reports_that_cannot_be_written_are_named_and_the_others_written(
    tmp_path: Path,
) -> None:
    summary = tmp_path / "summary.md"

    # Not run_brickyard: it would read the folder given to --json as the report.
    graded = subprocess.run(
        [
            *(sys.executable, "-m", "grader.cli", "grade", "quiz"),
            *("--json", str(tmp_path), "--junit", "/proc/nope/x.xml"),
            *("--markdown", str(summary)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert graded.returncode == 6, graded.stderr
    assert "Traceback" not in graded.stderr + graded.stdout
    assert f"cannot write the JSON report to {tmp_path}: it is a folder" in (
        graded.stderr
    )
    assert str(tmp_path / "results.json") in graded.stderr
    assert "cannot write the JUnit XML to /proc/nope/x.xml" in graded.stderr
    assert "brickyard:" in summary.read_text()


def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)
    report = tmp_path / "results.json"

    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader.cli",
                "grade",
                "quiz",
                "--json",
                str(report),
            ],
            cwd=REPO,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    # Grading went on to the end: the report is written.
    assert json.loads(report.read_text())["exercises"][0]["id"] == "quiz"


def test_quiet_and_verbose_exclude_each_other() -> None:
    done = run_brickyard("grade", "-q", "-v", "quiz")

    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr


@pytest.mark.engine
def test_quiet_hides_passing_checks_and_verbose_shows_their_evidence(
    engine: object,
) -> None:
    quiet = run_brickyard("grade", "01", "--solutions", "-q")
    verbose = run_brickyard("grade", "01", "--solutions", "-v")

    assert quiet.returncode == 0 and verbose.returncode == 0
    assert "PASS" not in quiet.stdout and "9/9" in quiet.stdout
    assert "PASS" in verbose.stdout and "build seconds:" in verbose.stdout
    assert "urllib3" not in verbose.stderr + verbose.stdout
    assert "docker.utils" not in verbose.stderr


@pytest.mark.engine
def test_a_binary_dockerfile_echoed_by_the_engine_reaches_no_report_raw(
    engine: object, tmp_path: Path
) -> None:
    root = lay_out_case(tmp_path / "tree", "01-first-image", None)
    # The engine quotes the bad line back: escapes that clear the screen and set
    # the window title, NUL bytes (which make XML invalid) and a stray C1 byte.
    (root / "exercises" / "01-first-image" / "Dockerfile").write_bytes(
        b"FROM python:3.11-slim-bookworm\n\x7fELF\x02\x01\x1b[2J\x1b]0;owned\x07"
        b"\x00\x00\x9b31m\n"
    )
    junit = tmp_path / "junit.xml"

    graded = run_brickyard("grade", "--root", str(root), "--junit", str(junit))

    builds = next(
        check
        for check in graded.exercise("01-first-image")["checks"]
        if check["id"] == "builds"
    )
    assert "unknown instruction" in builds["feedback"]
    for text in (graded.stdout, builds["feedback"], junit.read_text()):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), repr(text)
    ET.parse(junit)


def test_readme_lists_every_exit_status() -> None:
    from grader import cli

    readme = (REPO / "README.md").read_text()
    statuses = [value for name, value in vars(cli).items() if name.startswith("EXIT_")]

    assert len(statuses) == 7
    for status in statuses:
        assert f"\n| {status} | " in readme, status


@pytest.mark.engine
def test_solutions_of_an_exercise_without_one_are_an_error_not_the_starter(
    engine: object, tmp_path: Path
) -> None:
    root = lay_out_case(tmp_path, "01-first-image", None)

    graded = run_brickyard("grade", "--solutions", "--root", str(root))

    assert graded.returncode == 0, graded.stderr
    exercise = graded.exercise("01-first-image")
    assert exercise["checks"] == []
    assert "There is no solution folder" in exercise["error"]
    assert "solutions/01-first-image/" in exercise["error"]
    assert exercise["max_score"] > 0 and exercise["score"] == 0
    assert "There is no solution folder" in graded.stdout

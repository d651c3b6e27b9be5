"""The command line's contract: selection, bad input, exit statuses, the JSON report."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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

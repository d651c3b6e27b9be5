"""Exercise 01 graded end to end on the real engine, through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grader.spec import load_exercise
from tests.conftest import (
    CASES,
    REPO,
    lay_out_case,
    read_expectation,
    run_brickyard,
    unmet_need,
)

EXERCISE = "01-first-image"
pytestmark = pytest.mark.engine


def test_solution_scores_full_marks(engine: object) -> None:
    graded = run_brickyard("grade", "--solutions", "01")

    assert graded.returncode == 0, graded.stderr
    assert graded.report is not None
    exercise = graded.exercise(EXERCISE)
    assert exercise["score"] == exercise["max_score"] > 0, graded.stdout
    assert graded.report["score"] == graded.report["max_score"]


def test_solutions_run_leaves_working_tree_untouched(engine: object) -> None:
    starter = (REPO / "exercises" / EXERCISE / "Dockerfile").read_text()

    run_brickyard("grade", "--solutions", "first-image")

    assert (REPO / "exercises" / EXERCISE / "Dockerfile").read_text() == starter


def test_starter_fails_exactly_the_checks_it_gets_wrong(engine: object) -> None:
    expected = set(load_exercise(REPO / "exercises" / EXERCISE).starter_fails)

    graded = run_brickyard("grade", "01")

    exercise = graded.exercise(EXERCISE)
    assert graded.failed(EXERCISE) == expected, graded.stdout
    assert exercise["score"] < exercise["max_score"]


CASE_FOLDERS = sorted(
    path for path in (CASES / EXERCISE).iterdir() if (path / "expect.yaml").exists()
)


@pytest.mark.parametrize("case", CASE_FOLDERS, ids=[path.name for path in CASE_FOLDERS])
def test_scenario_is_graded_as_expected(
    engine: object, tmp_path: Path, case: Path
) -> None:
    expectation = read_expectation(case)
    if reason := unmet_need(expectation):
        pytest.skip(f"{case.name}: {reason}")
    root = lay_out_case(tmp_path, EXERCISE, case)

    graded = run_brickyard("grade", "--root", str(root))

    assert graded.returncode == 0, graded.stderr
    assert graded.failed(EXERCISE) == set(expectation["fails"]), (
        expectation["about"],
        graded.stdout,
    )


def test_build_error_is_quoted_and_other_exercises_are_still_graded(
    engine: object, tmp_path: Path
) -> None:
    root = lay_out_case(tmp_path, EXERCISE, CASES / EXERCISE / "wrong-network-install")
    second = root / "exercises" / "02-copy"
    shutil.copytree(REPO / "solutions" / EXERCISE, second)
    shutil.copy(REPO / "exercises" / EXERCISE / "app.py", second)
    spec = yaml.safe_load((REPO / "exercises" / EXERCISE / "exercise.yaml").read_text())
    spec["id"] = "02-copy"
    (second / "exercise.yaml").write_text(yaml.safe_dump(spec))

    graded = run_brickyard("grade", "--root", str(root))

    builds = next(
        check
        for check in graded.exercise(EXERCISE)["checks"]
        if check["id"] == "builds"
    )
    assert "pip install" in builds["evidence"]["build log (last lines)"]
    assert "did not build" in builds["feedback"]
    copy = graded.exercise("02-copy")
    assert copy["score"] == copy["max_score"], graded.stdout


def test_missing_dockerfile_is_explained(engine: object, tmp_path: Path) -> None:
    root = lay_out_case(tmp_path, EXERCISE, None)
    (root / "exercises" / EXERCISE / "Dockerfile").unlink()

    graded = run_brickyard("grade", "--root", str(root))

    assert graded.returncode == 0
    checks = {check["id"]: check for check in graded.exercise(EXERCISE)["checks"]}
    assert "There is no Dockerfile" in checks["builds"]["feedback"]
    assert "There is no Dockerfile" in checks["pinned-base"]["feedback"]
    assert all(not check["passed"] for check in checks.values())


def test_unavailable_base_image_is_explained_once(
    engine: object, tmp_path: Path
) -> None:
    case = CASES / EXERCISE / "wrong-unavailable-base"
    if reason := unmet_need(read_expectation(case)):
        pytest.skip(reason)
    root = lay_out_case(tmp_path, EXERCISE, case)

    graded = run_brickyard("grade", "--root", str(root))

    checks = {check["id"]: check for check in graded.exercise(EXERCISE)["checks"]}
    builds = checks["builds"]["feedback"]
    assert "python:3.12-slim is not on this Docker engine" in builds
    assert "no registry answers" in builds
    assert "python:3.11-slim-bookworm" in builds and "nox -s images" in builds
    for name in ("exposes-port", "serves", "stops-promptly"):
        feedback = checks[name]["feedback"]
        assert "python:3.12-slim is not on this Docker engine" in feedback, feedback
        assert "nox -s images" not in feedback and "registry-1" not in feedback
        assert "build log (last lines)" not in checks[name]["evidence"]

"""`nox -s new`: a scaffolded exercise is valid, proven, and refuses bad names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grader.spec import load_exercise
from grader.teacher.scaffold import ScaffoldError, scaffold_exercise
from tests.conftest import read_expectation, run_brickyard

NAME = "04-compose-networks"


def make_repository(root: Path) -> Path:
    (root / "exercises" / "01-first").mkdir(parents=True)
    (root / "exercises" / "01-first" / "exercise.yaml").write_text("id: 01-first\n")
    (root / "tests" / "cases").mkdir(parents=True)
    (root / "noxfile.py").write_text("import nox\n")
    return root


def test_a_scaffold_loads_and_its_prompt_has_a_grading_table(tmp_path: Path) -> None:
    root = make_repository(tmp_path)

    made = scaffold_exercise(root, NAME, "Networks in Compose")

    folder = root / "exercises" / NAME
    exercise = load_exercise(folder)
    assert exercise.title == "Networks in Compose"
    assert set(exercise.starter_fails) <= {check.id for check in exercise.checks}
    prompt = (folder / "README.md").read_text()
    assert "# 04 · Networks in Compose" in prompt
    assert f"Total: {exercise.max_score} points" in prompt
    assert (root / "solutions" / NAME / "Dockerfile").is_file()
    cases = root / "tests" / "cases" / NAME
    assert {path.name for path in cases.iterdir()} == {
        "alt-entrypoint",
        "wrong-shell-form",
    }
    assert len(made.files) == 9


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("4-networks", "not of the form NN-slug"),
        ("04_networks", "not of the form NN-slug"),
        ("04-Networks", "not of the form NN-slug"),
        ("00-networks", "00 is reserved"),
        ("01-networks", "number 01 is taken by 01-first; the next free number is 02"),
    ],
)
def test_bad_names_are_refused_with_the_fix(
    tmp_path: Path, name: str, message: str
) -> None:
    root = make_repository(tmp_path)

    with pytest.raises(ScaffoldError, match=message):
        scaffold_exercise(root, name)

    assert not (root / "solutions").exists()


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    (root / "solutions" / NAME).mkdir(parents=True)
    (root / "solutions" / NAME / "Dockerfile").write_text("FROM mine\n")

    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold_exercise(root, NAME)

    assert (root / "solutions" / NAME / "Dockerfile").read_text() == "FROM mine\n"
    assert not (root / "exercises" / NAME).exists()


def test_new_refuses_a_folder_that_is_no_brickyard_repository(tmp_path: Path) -> None:
    template = make_repository(tmp_path / "template")
    (template / "brickyard.lock").write_text("{}\n")
    (tmp_path / "elsewhere").mkdir()

    outside = run_brickyard("new", NAME, "--root", str(tmp_path / "elsewhere"))
    exported = run_brickyard("new", NAME, "--root", str(template))

    assert outside.returncode == 2
    assert "is not a brickyard repository" in outside.stderr
    assert exported.returncode == 2
    assert "is a student template" in exported.stderr
    assert not (template / "exercises" / NAME).exists()
    assert not (tmp_path / "elsewhere" / "exercises").exists()


def test_the_command_line_says_what_it_wrote(tmp_path: Path) -> None:
    root = make_repository(tmp_path)

    done = run_brickyard("new", NAME, "--root", str(root))
    again = run_brickyard("new", NAME, "--root", str(root))

    assert done.returncode == 0, done.stderr
    assert f"exercises/{NAME}/exercise.yaml" in done.stdout
    assert "nox -s validate -- 04" in done.stdout
    assert again.returncode == 2
    assert "already exists" in again.stderr


@pytest.mark.engine
def test_a_scaffold_passes_validate_and_its_cases_grade_as_they_say(
    engine: object, tmp_path: Path
) -> None:
    root = tmp_path / "repository"
    (root / "tests" / "cases").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "noxfile.py").write_text("import nox\n")
    scaffold_exercise(root, NAME)

    validated = run_brickyard("validate", "--root", str(root))

    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert f"{NAME}" in validated.stdout and ": ok" in validated.stdout

    # Each scenario answer is laid over the starter as an exercise of its own.
    cases = tmp_path / "cases"
    expected = {}
    for case in sorted((root / "tests" / "cases" / NAME).iterdir()):
        case_id = f"{NAME}-{case.name}"
        target = shutil.copytree(
            root / "exercises" / NAME, cases / "exercises" / case_id
        )
        shutil.copytree(case, target, dirs_exist_ok=True)
        (target / "expect.yaml").unlink()
        spec = yaml.safe_load((target / "exercise.yaml").read_text())
        spec["id"] = case_id
        (target / "exercise.yaml").write_text(yaml.safe_dump(spec))
        expected[case_id] = set(read_expectation(case)["fails"])

    graded = run_brickyard("grade", "--root", str(cases))

    assert graded.returncode == 0, graded.stderr
    assert {case_id: graded.failed(case_id) for case_id in expected} == expected

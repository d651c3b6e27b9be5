"""A tampered submission is graded with the teacher's specs, and the change is shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grader.spec import load_exercise
from grader.teacher.export import export_template
from grader.teacher.integrity import DIGEST_ENV, read_lock
from grader.teacher.specs import graded_tree, load_reference
from tests.conftest import run_brickyard
from tests.teacher_trees import lay_solutions, snapshot_repository

EXERCISES = ["01-first-image", "03-dockerignore"]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The teacher's template, and a student's copy with every kind of tampering."""
    base = tmp_path_factory.mktemp("tamper")
    source = snapshot_repository(base / "teacher", EXERCISES)
    template = base / "template"
    export_template(source, template)
    student = lay_solutions(template, source, base / "student")

    # Exercise 01 is solved; its spec is rewritten to give 50 points for a tag.
    spec_01 = student / "exercises/01-first-image/exercise.yaml"
    spec = yaml.safe_load(spec_01.read_text())
    spec["checks"] = [check for check in spec["checks"] if check["id"] != "serves"]
    spec["checks"][0]["points"] = 50
    spec_01.write_text(yaml.safe_dump(spec))
    # Exercise 03 is the starter again, with every check it fails deleted.
    shutil.rmtree(student / "exercises/03-dockerignore")
    shutil.copytree(
        template / "exercises/03-dockerignore", student / "exercises/03-dockerignore"
    )
    spec_03 = student / "exercises/03-dockerignore/exercise.yaml"
    starter = yaml.safe_load(spec_03.read_text())
    starter["checks"] = [
        check
        for check in starter["checks"]
        if check["id"] not in starter["starter_fails"]
    ]
    starter["starter_fails"] = []
    spec_03.write_text(yaml.safe_dump(starter))
    # The app exercise 01 gives is edited (harmlessly; a teacher would want to know).
    app = student / "exercises/01-first-image/app.py"
    app.write_text(app.read_text() + "\n# my own app now\n")
    # The grader is changed to pass every build, and a kind is added.
    image = student / "grader/checks/image.py"
    image.write_text(image.read_text().replace("if result.ok:", "if True:"))
    (student / "grader/checks/free_points.py").write_text("# a kind of my own\n")
    return template, student


def by_id(graded: object, exercise: str) -> dict[str, dict[str, object]]:
    checks = graded.exercise(exercise)["checks"]  # type: ignore[attr-defined]
    return {check["id"]: check for check in checks}


@pytest.mark.engine
def test_a_tampered_submission_is_graded_with_the_teachers_specs(
    engine: object, trees: tuple[Path, Path]
) -> None:
    template, student = trees
    teacher_01 = load_exercise(template / "exercises/01-first-image")
    teacher_03 = load_exercise(template / "exercises/03-dockerignore")

    graded = run_brickyard(
        "grade", *EXERCISES, "--root", str(student), "--specs-from", str(template)
    )

    assert graded.returncode == 0, graded.stderr
    first = graded.exercise("01-first-image")
    assert first["max_score"] == teacher_01.max_score
    assert first["score"] == teacher_01.max_score
    assert graded.failed("01-first-image") == {"teacher-spec"}
    spec_check = by_id(graded, "01-first-image")["teacher-spec"]
    assert "exercises/01-first-image/exercise.yaml" in str(spec_check["feedback"])

    assert graded.failed("03-dockerignore") == {
        *teacher_03.starter_fails,
        "teacher-spec",
    }
    assert graded.exercise("03-dockerignore")["max_score"] == teacher_03.max_score

    integrity = by_id(graded, "00-teacher-files")["teacher-files"]
    assert integrity["passed"] is False
    assert integrity["score"] == integrity["max_score"] == 0
    evidence = integrity["evidence"]
    assert isinstance(evidence, dict)
    assert "grader/checks/image.py" in evidence
    assert "grader/checks/free_points.py" in evidence
    assert "exercises/01-first-image/app.py" in evidence
    assert "exercises/01-first-image/exercise.yaml" not in evidence
    assert "exercises/01-first-image/Dockerfile" not in evidence


@pytest.mark.engine
def test_ci_grades_with_the_lock_in_the_submission_when_its_digest_is_pinned(
    engine: object, trees: tuple[Path, Path], tmp_path: Path
) -> None:
    template, student = trees
    digest = read_lock(template / "brickyard.lock").digest
    copy = shutil.copytree(student, tmp_path / "student")

    graded = run_brickyard(
        "grade",
        "01",
        "--root",
        str(copy),
        "--specs-from",
        str(copy / "brickyard.lock"),
        env={DIGEST_ENV: digest},
    )

    assert graded.returncode == 0, graded.stderr
    assert graded.failed("01-first-image") == {"teacher-spec"}
    assert graded.failed("00-teacher-files") == {"teacher-files"}

    lock = copy / "brickyard.lock"
    lock.write_text(lock.read_text().replace("points: 1", "points: 50"))
    refused = run_brickyard(
        "grade",
        "01",
        "--root",
        str(copy),
        "--specs-from",
        str(lock),
        env={DIGEST_ENV: digest},
    )
    assert refused.returncode == 2
    assert "is not the teacher's lock" in refused.stderr
    assert refused.report is None


def test_verify_names_each_changed_file(trees: tuple[Path, Path]) -> None:
    template, student = trees

    done = run_brickyard(
        "verify", "--root", str(student), "--lock", str(template / "brickyard.lock")
    )

    assert done.returncode == 1
    for line in (
        "spec     exercises/01-first-image/exercise.yaml was changed",
        "spec     exercises/03-dockerignore/exercise.yaml was changed",
        "tooling  grader/checks/image.py was changed",
        "tooling  grader/checks/free_points.py was added",
        "given    exercises/01-first-image/app.py was changed",
    ):
        assert line in done.stdout
    # The student's own answer is theirs to change.
    assert "exercises/01-first-image/Dockerfile" not in done.stdout
    intact = run_brickyard("verify", "--root", str(template))
    assert intact.returncode == 0, intact.stdout


def test_the_graded_tree_takes_the_teachers_quiz_bank_and_the_students_answers(
    trees: tuple[Path, Path], tmp_path: Path
) -> None:
    template, student = trees
    copy = shutil.copytree(student, tmp_path / "student")
    bank = sorted((copy / "quiz" / "bank").glob("*.yaml"))
    bank[0].write_text("questions: []\n")
    (copy / "quiz" / "bank" / "99-mine.yaml").write_text("questions: []\n")
    (copy / "quiz" / "practice.yaml").write_text("questions: {}\n")
    (copy / "quiz" / "answers.txt").write_text("image-vs-container: 1\n")
    (copy / "exercises" / "77-extra").mkdir()
    reference = load_reference(template)

    tree = graded_tree(copy, reference, tmp_path / "scratch")

    lock = reference.lock
    for path, text in lock.texts.items():
        if path.startswith("quiz/"):
            assert (tree / path).read_text() == text
        else:
            teacher = yaml.safe_load(text)
            graded = yaml.safe_load((tree / path).read_text())
            assert graded["checks"][:-1] == teacher["checks"]
            assert graded["checks"][-1]["id"] == "teacher-spec"
    assert not (tree / "quiz" / "bank" / "99-mine.yaml").exists()
    assert (tree / "quiz" / "answers.txt").read_text() == "image-vs-container: 1\n"
    assert sorted(path.name for path in (tree / "exercises").iterdir()) == [
        "00-teacher-files",
        *EXERCISES,
    ]

"""`brickyard grade` scores the answers file of the quiz in each key mode."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.quiz.bank import load_bank
from grader.quiz.keys import KEYS_ENV, KEYS_PATH, load_keys
from grader.quiz.scoring import show
from tests.conftest import REPO, run_brickyard

NO_ENGINE = {"DOCKER_HOST": "unix:///tmp/brickyard-no-engine.sock"}
BANK = load_bank(REPO / "quiz")
KEYS = load_keys(REPO / KEYS_PATH, BANK)


def lay_out_quiz(tmp_path: Path, answers: str | None = None) -> Path:
    """A student's tree: the quiz folder as shipped, and their answers file."""
    shutil.copytree(
        REPO / "quiz", tmp_path / "quiz", ignore=shutil.ignore_patterns("answers.txt")
    )
    if answers is not None:
        (tmp_path / "quiz" / "answers.txt").write_text(answers, encoding="utf-8")
    return tmp_path


def right(question_id: str) -> str:
    key = KEYS.keys[question_id]
    if key.commands:
        return key.commands[0]
    assert key.value is not None
    return show(key.value)


def checks(graded: Any) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in graded.exercise("quiz")["checks"]}


ANSWERS = f"""\
# answers written by hand
image-vs-container: {right("image-vs-container")}
image-read-only: 3
many-containers-one-image: 1 3
order-for-cache: 3 4 2 1
list-all-containers: docker container ls --all
follow-logs: docker logs web
rebuild-after-code-edit: {right("rebuild-after-code-edit")}
count-layers: three
this line has no colon
no-such-question: 2
pid-one: 1
"""


def test_each_question_is_a_check_with_score_and_feedback(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path, ANSWERS)

    graded = run_brickyard("grade", "quiz", "--root", str(root), env=NO_ENGINE)

    assert graded.returncode == 0, graded.stderr
    quiz = graded.exercise("quiz")
    found = checks(graded)
    assert len(found) == len(BANK.questions) + 1
    assert quiz["max_score"] == BANK.max_score
    assert found["image-vs-container"]["status"] == "passed"
    assert found["image-read-only"]["score"] == 0
    assert "The right answer: 2." in found["image-read-only"]["feedback"]
    assert "Why: An image's layers never change" in found["image-read-only"]["feedback"]
    # partial credit for multiple choice and ordering
    assert (
        found["many-containers-one-image"]["score"],
        found["many-containers-one-image"]["max_score"],
    ) == (1, 2)
    assert (
        "Partial credit: 1 of 2 points"
        in found["many-containers-one-image"]["feedback"]
    )
    assert found["order-for-cache"]["score"] == 1
    # any spelling of a command; a wrong command says what it does
    assert found["list-all-containers"]["status"] == "passed"
    assert "prints the logs so far and stops" in found["follow-logs"]["feedback"]
    assert found["rebuild-after-code-edit"]["score"] == 2
    # a value that cannot be read names its line
    assert found["count-layers"]["feedback"].startswith(
        "Line 9 of quiz/answers.txt cannot be read: `three` is not a whole number"
    )
    assert found["count-layers"]["evidence"] == {"your answer": "three", "line": 9}
    # unanswered: zero, listed, and the key is not given away
    assert found["workdir"]["score"] == 0
    assert found["workdir"]["feedback"].startswith("Not answered")
    assert "Why" not in found["workdir"]["feedback"]
    # the file's own problems
    file_check = found["answers-file"]
    assert file_check["status"] == "failed" and file_check["max_score"] == 0
    assert (
        "line 10: `this line has no colon` is not `question-id: answer`"
        in (file_check["feedback"])
    )
    assert (
        "line 11: no question has the id `no-such-question`" in file_check["feedback"]
    )
    assert (
        "not answered (0 points each): image-name-parts" not in file_check["feedback"]
    )
    assert "docker-run-steps" in file_check["feedback"]
    assert quiz["score"] == sum(check["score"] for check in found.values())


def test_quiz_lines_appear_in_the_terminal_and_other_reports(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path, ANSWERS)
    junit = tmp_path / "junit.xml"

    graded = run_brickyard(
        "grade", "quiz", "--root", str(root), "--junit", str(junit), env=NO_ENGINE
    )

    assert "quiz  Concepts quiz" in graded.stdout
    assert "FAIL    0/1  Installing a package inside a container" in graded.stdout
    assert "[image-read-only]" in graded.stdout
    assert "image-read-only" in junit.read_text()


def test_the_terminal_lists_unanswered_questions_on_one_line(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path)
    template = run_brickyard("quiz", "--root", str(root), "--template")
    assert template.returncode == 0, template.stderr

    graded = run_brickyard("grade", "quiz", "--root", str(root), env=NO_ENGINE)

    assert graded.returncode == 0, graded.stderr
    assert len(graded.stdout.splitlines()) < 20, graded.stdout
    assert f"FAIL   0/{BANK.max_score}  {len(BANK.ids)} questions not answered" in (
        graded.stdout
    )
    listed = graded.stdout.split("Not answered, 0 points each: ")[1].split(".\n")[0]
    assert listed.split(", ") == BANK.ids
    assert graded.stdout.count("docker-run-steps") == 1
    # Every other report keeps one result per question.
    found = checks(graded)
    assert len(found) == len(BANK.ids) + 1 and "unanswered" not in found
    assert found["docker-run-steps"]["feedback"].startswith("Not answered")


def test_a_missing_answers_file_scores_zero_and_says_how_to_start(
    tmp_path: Path,
) -> None:
    graded = run_brickyard(
        "grade", "quiz", "--root", str(lay_out_quiz(tmp_path)), env=NO_ENGINE
    )

    found = checks(graded)
    assert graded.exercise("quiz")["score"] == 0
    assert found["answers-file"]["feedback"].startswith(
        "There is no quiz/answers.txt yet: run `nox -s quiz`"
    )


def test_solutions_score_full_marks(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path)
    shutil.copytree(REPO / "solutions" / "quiz", root / "solutions" / "quiz")

    graded = run_brickyard(
        "grade", "quiz", "--root", str(root), "--solutions", env=NO_ENGINE
    )

    quiz = graded.exercise("quiz")
    assert quiz["score"] == quiz["max_score"] == BANK.max_score


def test_all_right_answers_score_full_marks_in_practice_mode(tmp_path: Path) -> None:
    answers = "".join(
        f"{question_id}: {right(question_id)}\n" for question_id in BANK.ids
    )

    graded = run_brickyard(
        "grade", "quiz", "--root", str(lay_out_quiz(tmp_path, answers)), env=NO_ENGINE
    )

    quiz = graded.exercise("quiz")
    assert quiz["score"] == BANK.max_score, [
        check["id"] for check in quiz["checks"] if not check["passed"]
    ]


def test_withheld_keys_without_keys_scores_nothing_and_says_why(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path, ANSWERS)
    (root / "quiz" / "practice.yaml").unlink()

    graded = run_brickyard("grade", "quiz", "--root", str(root), env=NO_ENGINE)

    quiz = graded.exercise("quiz")
    assert quiz["checks"] == [] and quiz["max_score"] == BANK.max_score
    assert "answer keys are withheld" in quiz["error"]
    assert f"9 of {len(BANK.ids)} questions answered" in quiz["error"]
    assert "line 10:" in quiz["error"]
    # Without keys, every answer is still read against its question.
    assert (
        "line 9: `count-layers` cannot be read: `three` is not a whole number"
        in quiz["error"]
    )
    assert "line 11: no question has the id `no-such-question`" in quiz["error"]
    assert "image-read-only" not in quiz["error"]
    unanswered = quiz["error"].split("Not answered (0 points each): ")[1]
    assert "docker-run-steps" in unanswered and "workdir" in unanswered
    assert "image-vs-container" not in unanswered


@pytest.mark.parametrize("how", ["option", "environment"])
def test_withheld_keys_given_from_outside(tmp_path: Path, how: str) -> None:
    root = lay_out_quiz(tmp_path / "student", ANSWERS)
    (root / "quiz" / "practice.yaml").unlink()
    keys = tmp_path / "secret-keys.yaml"
    shutil.copy(REPO / KEYS_PATH, keys)
    if how == "option":
        graded = run_brickyard(
            "grade",
            "quiz",
            "--root",
            str(root),
            "--quiz-keys",
            str(keys),
            env=NO_ENGINE,
        )
    else:
        graded = run_brickyard(
            "grade", "quiz", "--root", str(root), env={**NO_ENGINE, KEYS_ENV: str(keys)}
        )

    assert graded.returncode == 0, graded.stderr
    found = checks(graded)
    assert found["image-vs-container"]["status"] == "passed"
    assert found["many-containers-one-image"]["score"] == 1
    # The shipped keys say `reveal: false`: CI's report, which the student reads,
    # names no right answer and gives no explanation.
    for check in found.values():
        assert "The right answer" not in check["feedback"], check["id"]
        assert "Why:" not in check["feedback"], check["id"]
    assert "docker logs -f" not in found["follow-logs"]["feedback"]


def keys_with(tmp_path: Path, reveal: object) -> Path:
    """A copy of the shipped keys with `reveal` set, or left out when None."""
    data = yaml.safe_load((REPO / KEYS_PATH).read_text())
    data.pop("reveal", None)
    if reveal is not None:
        data["reveal"] = reveal
    keys = tmp_path / "keys.yaml"
    keys.write_text(yaml.safe_dump(data))
    return keys


@pytest.mark.parametrize(
    ("reveal", "shown"), [(None, False), (False, False), (True, True)]
)
def test_keys_name_the_answers_only_when_they_say_reveal_true(
    tmp_path: Path, reveal: object, shown: bool
) -> None:
    root = lay_out_quiz(tmp_path / "student", ANSWERS)
    keys = keys_with(tmp_path, reveal)

    graded = run_brickyard(
        "grade", "quiz", "--root", str(root), "--quiz-keys", str(keys), env=NO_ENGINE
    )

    feedback = checks(graded)["image-read-only"]["feedback"]
    follow = checks(graded)["follow-logs"]["feedback"]
    if shown:
        assert "The right answer: 2." in feedback
        assert "Why: An image's layers never change" in feedback
        assert "The right answer: `docker logs -f web`" in follow
    else:
        assert feedback == "Your answer, choice 3, is not right."
        assert "docker logs -f" not in follow


def test_the_shipped_keys_say_reveal_false() -> None:
    data = yaml.safe_load((REPO / KEYS_PATH).read_text())

    assert data["reveal"] is False
    assert KEYS.reveal is False


@pytest.mark.parametrize("problem", ["missing", "empty", "folder", "comments"])
@pytest.mark.parametrize("how", ["option", "environment"])
def test_keys_given_but_unusable_are_an_error_not_a_zero(
    tmp_path: Path, problem: str, how: str
) -> None:
    root = lay_out_quiz(tmp_path / "student", ANSWERS)
    keys = tmp_path / "quiz-keys.yaml"
    if problem == "empty":
        keys.write_text("")
    elif problem == "comments":
        keys.write_text("# keys go here\n\n")
    elif problem == "folder":
        keys.mkdir()
    arguments = ["grade", "quiz", "--root", str(root)]
    env = dict(NO_ENGINE)
    if how == "option":
        arguments += ["--quiz-keys", str(keys)]
    else:
        env[KEYS_ENV] = str(keys)

    graded = run_brickyard(*arguments, env=env)

    assert graded.returncode == 5, graded.stderr
    quiz = graded.exercise("quiz")
    assert quiz["checks"] == [] and quiz["max_score"] == BANK.max_score
    assert quiz["error"].startswith(f"{keys}: cannot be used as quiz keys")
    named = "--quiz-keys" if how == "option" else KEYS_ENV
    assert f"{named} names it" in quiz["error"]
    fix = {
        "missing": "does not exist",
        "folder": "a folder, not a file",
        "empty": "the secret holds the contents of solutions/quiz/keys.yaml",
        "comments": "the file is empty",
    }[problem]
    assert fix in quiz["error"]
    assert "cannot be used as quiz keys" in graded.stdout
    assert "exit status 5" in graded.stderr


def test_a_keys_file_of_the_wrong_shape_is_an_error_too(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path / "student", ANSWERS)
    keys = tmp_path / "keys.yaml"
    keys.write_text("reveal: maybe\nkeys: []\n")

    graded = run_brickyard(
        "grade", "quiz", "--root", str(root), "--quiz-keys", str(keys), env=NO_ENGINE
    )

    assert graded.returncode == 5
    assert "`keys` must be a mapping" in graded.exercise("quiz")["error"]


def test_practice_mode_without_keys_exits_zero(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path, ANSWERS)
    (root / "quiz" / "practice.yaml").unlink()

    graded = run_brickyard("grade", "quiz", "--root", str(root), env=NO_ENGINE)

    assert graded.returncode == 0
    assert "withheld" in graded.exercise("quiz")["error"]


def test_a_keys_file_written_by_the_student_is_not_used(tmp_path: Path) -> None:
    root = lay_out_quiz(tmp_path, ANSWERS)
    (root / "quiz" / "practice.yaml").unlink()
    (root / "solutions" / "quiz").mkdir(parents=True)
    shutil.copy(REPO / KEYS_PATH, root / KEYS_PATH)

    graded = run_brickyard("grade", "quiz", "--root", str(root), env=NO_ENGINE)

    assert "withheld" in graded.exercise("quiz")["error"]


def test_unknown_selector_lists_the_quiz() -> None:
    graded = run_brickyard("grade", "99")

    assert graded.returncode == 2
    assert "01  01-first-image" in graded.stderr
    assert "quiz  the concepts quiz" in graded.stderr


@pytest.mark.engine
def test_no_selector_grades_the_exercises_and_the_quiz(
    engine: object, tmp_path: Path
) -> None:
    root = lay_out_quiz(tmp_path, ANSWERS)
    shutil.copytree(
        REPO / "exercises" / "01-first-image", root / "exercises" / "01-first-image"
    )

    graded = run_brickyard("grade", "--root", str(root))

    assert graded.report is not None
    assert [item["id"] for item in graded.report["exercises"]] == [
        "01-first-image",
        "quiz",
    ]
    assert graded.report["max_score"] == sum(
        item["max_score"] for item in graded.report["exercises"]
    )

"""The question bank, its keys and the practice file: complete, consistent, no leaks."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from grader.quiz.bank import Bank, BankError, load_bank
from grader.quiz.commands import normalize
from grader.quiz.keys import (
    KEYS_PATH,
    PRACTICE_FILE,
    KeyBook,
    KeysError,
    load_keys,
    load_practice,
    practice_salts,
    render_practice,
)
from tests.conftest import REPO

QUIZ = REPO / "quiz"


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(QUIZ)


@pytest.fixture(scope="module")
def keys(bank: Bank) -> KeyBook:
    return load_keys(REPO / KEYS_PATH, bank)


def test_at_least_sixty_questions_of_all_five_types(bank: Bank) -> None:
    types = Counter(question.type for question in bank.questions)

    assert len(bank.questions) >= 60
    assert set(types) == {"single", "multiple", "ordering", "command", "predict"}
    forms = {question.form for question in bank.questions if question.type == "predict"}
    assert forms == {"single", "steps", "number"}


def test_every_topic_of_the_issue_is_covered(bank: Bank) -> None:
    topics = " ".join(bank.topics()).lower()

    for word in (
        "image versus container",
        "dockerfile",
        "cache",
        "registries",
        "volumes",
        "compose",
        "commands",
        "best practices",
        "analogy",
    ):
        assert word in topics, word
    assert all(
        sum(1 for q in bank.questions if q.topic == topic) >= 5
        for topic in bank.topics()
    )


def test_keys_cover_every_question_with_an_explanation(
    bank: Bank, keys: KeyBook
) -> None:
    assert set(keys.keys) == set(bank.ids)
    assert all(len(key.explanation) > 40 for key in keys.keys.values())


def test_points_are_whole_numbers_and_partial_credit_questions_have_two(
    bank: Bank,
) -> None:
    for question in bank.questions:
        assert isinstance(question.points, int) and question.points >= 1
        if question.kind in ("choices", "order"):
            assert question.points >= 2, question.id


def test_practice_file_agrees_with_the_keys(bank: Bank, keys: KeyBook) -> None:
    practice = QUIZ / PRACTICE_FILE
    expected = render_practice(keys, bank, practice_salts(practice))

    assert practice.read_text(encoding="utf-8") == expected, (
        "quiz/practice.yaml is stale: run `brickyard quiz --rehash`"
    )
    hashed = load_practice(practice, bank)
    assert hashed.problems == {}
    for question in bank.questions:
        clear, found = keys.keys[question.id], hashed.keys[question.id]
        assert found.explanation == clear.explanation
        if question.kind == "command":
            assert all(found.accepts(normalize(text)) for text in clear.commands)
        else:
            assert found.value == clear.value, question.id


def test_student_tree_holds_no_clear_keys() -> None:
    files = [path for path in QUIZ.rglob("*") if path.is_file()]

    assert not any(path.name == "keys.yaml" for path in files)
    practice = yaml.safe_load((QUIZ / PRACTICE_FILE).read_text())
    for entry in practice["questions"].values():
        assert set(entry) <= {"salt", "digests", "explanation", "mistakes"}
    for path in (QUIZ / "bank").glob("*.yaml"):
        for question in yaml.safe_load(path.read_text())["questions"]:
            assert "answer" not in question and "explanation" not in question


def test_every_predict_question_has_a_scenario_and_every_scenario_a_question(
    bank: Bank,
) -> None:
    used = {q.scenario.id for q in bank.questions if q.scenario is not None}
    folders = {path.name for path in (QUIZ / "scenarios").iterdir() if path.is_dir()}

    assert all(q.scenario is not None for q in bank.questions if q.type == "predict")
    assert used == folders


def test_bank_errors_name_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "01-x.yaml").write_text(
        "topic: X\n"
        "questions:\n"
        "  - id: fine-one\n"
        "    type: single\n"
        "    title: T\n"
        "    prompt: P\n"
        "    choices: [a, b]\n"
        "  - id: Bad_Id\n"
        "    type: single\n"
        "  - id: no-choices\n"
        "    type: single\n"
        "    title: T\n"
        "    prompt: P\n"
        "  - id: fine-one\n"
        "    type: command\n"
        "    title: T\n"
        "    prompt: P\n"
        "  - id: odd-type\n"
        "    type: essay\n"
    )

    with pytest.raises(BankError) as raised:
        load_bank(tmp_path)

    text = str(raised.value)
    assert "01-x.yaml: line 8: `id` is 'Bad_Id'" in text
    assert "line 10: question `no-choices`: `choices` must list 2 to 9" in text
    assert "the id `fine-one` is used again" in text
    assert "`type` is 'essay'; choose one of single, multiple" in text


def test_bad_scenario_is_reported_with_the_question(tmp_path: Path) -> None:
    shutil.copytree(QUIZ / "bank", tmp_path / "bank")
    shutil.copytree(QUIZ / "scenarios", tmp_path / "scenarios")
    (tmp_path / "scenarios" / "pid-one" / "scenario.yaml").write_text(
        "commands:\n  - docker run --privileged debian:bookworm-slim true\n"
        "measure: output\n"
    )

    with pytest.raises(
        BankError, match=r"runner does not know the option.*--privileged"
    ):
        load_bank(tmp_path)


def test_keys_errors_name_the_question_and_problem(bank: Bank, tmp_path: Path) -> None:
    data = yaml.safe_load((REPO / KEYS_PATH).read_text())
    data["keys"]["image-vs-container"]["answer"] = 7
    data["keys"]["order-for-cache"]["answer"] = [4, 3, 2, 2]
    data["keys"]["build-tag"]["answer"] = "build -t shop ."
    data["keys"]["no-such-question"] = {"answer": 1, "explanation": "x"}
    del data["keys"]["pid-one"]
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(data))

    with pytest.raises(KeysError) as raised:
        load_keys(path, bank)

    text = str(raised.value)
    assert "`image-vs-container`: the answer 7 is outside 1 to 4" in text
    assert "`order-for-cache`: the answer lists a number twice" in text
    assert "`build-tag`: the key `build -t shop .` cannot be read" in text
    assert "`no-such-question`: no question of the bank has this id" in text
    assert "no key for: pid-one" in text

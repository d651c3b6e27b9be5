"""The answers file: read line by line, problems named by line, never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.quiz.answers import (
    AnswerExists,
    AnswersNotText,
    read_answers,
    render_template,
    save_answer,
    write_template,
)
from grader.quiz.bank import Bank, load_bank
from tests.conftest import REPO


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(REPO / "quiz")


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "answers.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_answers_comments_and_empty_lines(bank: Bank, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# my answers\n"
        "\n"
        "image-vs-container: 1\n"
        "list-all-containers: docker ps -a   # a comment is part of the answer\n"
        "build-tag:\n"
        "  order-for-cache :  4 3 2 1  \n",
    )

    answers = read_answers(path, bank)

    assert answers.problems == []
    assert {k: (v.text, v.line) for k, v in answers.answers.items()} == {
        "image-vs-container": ("1", 3),
        "list-all-containers": ("docker ps -a   # a comment is part of the answer", 4),
        "order-for-cache": ("4 3 2 1", 6),
    }


def test_problems_name_the_line_and_what_to_do(bank: Bank, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "image-vs-container 1\n"
        "Image_VS: 2\n"
        "image-vs-contaner: 2\n"
        "pid-one: 1\n"
        "pid-one: 2\n",
    )

    answers = read_answers(path, bank)

    assert answers.problems[0].startswith(
        "line 1: `image-vs-container 1` is not `question-id: answer`"
    )
    assert answers.problems[1].startswith("line 2: `Image_VS` is not a question id")
    assert answers.problems[2] == (
        "line 3: no question has the id `image-vs-contaner` (did you mean"
        " `image-vs-container`?); this answer is not counted"
    )
    assert answers.problems[3].startswith(
        "line 5: `pid-one` is answered again (first on line 4)"
    )
    assert answers.answers["pid-one"].text == "2"


def test_a_file_that_is_not_utf8_names_the_line(bank: Bank, tmp_path: Path) -> None:
    path = write(tmp_path, b"pid-one: 1\nimage-vs-container: \xff\n")

    answers = read_answers(path, bank)

    assert answers.problems == [
        "line 2: this file is not UTF-8 text; save it as UTF-8 (plain text)"
    ]
    assert answers.answers["pid-one"].text == "1"


def test_save_refuses_a_file_that_is_not_utf8_and_leaves_it(
    bank: Bank, tmp_path: Path
) -> None:
    original = "# réponses\nimage-vs-container: 2\n".encode("latin-1")
    path = write(tmp_path, original)

    with pytest.raises(AnswersNotText) as raised:
        save_answer(path, bank, "image-read-only", "2")

    assert path.read_bytes() == original
    assert raised.value.line == 1
    assert str(raised.value).startswith(f"{path} is not UTF-8 text (line 1")
    assert "Save it as UTF-8" in str(raised.value)
    assert [item.name for item in tmp_path.iterdir()] == ["answers.txt"]


def test_a_missing_file_is_empty(bank: Bank, tmp_path: Path) -> None:
    answers = read_answers(tmp_path / "nothing.txt", bank)

    assert not answers.exists and answers.answers == {} and answers.problems == []


def test_template_lists_every_question_unanswered(bank: Bank, tmp_path: Path) -> None:
    path = tmp_path / "answers.txt"

    assert write_template(path, bank)
    answers = read_answers(path, bank)

    assert answers.answers == {} and answers.problems == []
    text = path.read_text()
    assert all(f"\n{question_id}:\n" in text for question_id in bank.ids)
    assert not write_template(path, bank), "an existing file must be left alone"


def test_save_changes_only_its_line(bank: Bank, tmp_path: Path) -> None:
    path = tmp_path / "answers.txt"
    write_template(path, bank)
    text = path.read_text().replace("pid-one:\n", "# I think it is cat\npid-one:\n")
    path.write_text(text + "my own note at the end\n")

    saved = save_answer(path, bank, "pid-one", "1")

    after = path.read_text()
    assert after == text.replace("pid-one:\n", "pid-one: 1\n") + (
        "my own note at the end\n"
    )
    assert after.splitlines()[saved.line - 1] == "pid-one: 1"


def test_save_never_replaces_an_answer_without_being_told(
    bank: Bank, tmp_path: Path
) -> None:
    path = write(tmp_path, "pid-one: 2\n")

    with pytest.raises(AnswerExists) as exists:
        save_answer(path, bank, "pid-one", "1")
    assert exists.value.previous.text == "2"
    assert path.read_text() == "pid-one: 2\n"

    save_answer(path, bank, "pid-one", "2")  # the same answer again is no change
    save_answer(path, bank, "pid-one", "1", replace=True)
    assert path.read_text() == "pid-one: 1\n"


def test_save_appends_a_question_the_file_lacks(bank: Bank, tmp_path: Path) -> None:
    path = write(tmp_path, "pid-one: 1")  # no newline at the end

    save_answer(path, bank, "shared-kernel", "1")

    assert path.read_text() == "pid-one: 1\nshared-kernel: 1\n"


def test_save_replaces_the_answer_that_counts(bank: Bank, tmp_path: Path) -> None:
    path = write(tmp_path, "pid-one: 2\npid-one: 3\n")

    save_answer(path, bank, "pid-one", "1", replace=True)

    assert path.read_text() == "pid-one: 2\npid-one: 1\n"


def test_template_names_each_question(bank: Bank) -> None:
    text = render_template(bank)

    assert "# 1. What an image is, what a container is (single choice)" in text
    assert "(predict: which steps run again)" in text


def test_answers_path_that_is_a_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "answers.txt"
    folder.mkdir()

    result = read_answers(folder)

    assert result.problems and "cannot be read" in result.problems[0]

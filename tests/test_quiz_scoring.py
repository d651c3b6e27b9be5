"""Scoring each kind of answer, partial credit, and keys found from practice digests."""

from __future__ import annotations

import pytest

from grader.quiz.bank import Choice, PredictForm, Question, QuestionType
from grader.quiz.scoring import (
    AnswerError,
    AnswerValue,
    Key,
    candidates,
    digest,
    read_answer,
    recover,
    score,
)


def make(
    kind: QuestionType,
    count: int = 4,
    points: int | None = None,
    form: PredictForm | None = None,
) -> Question:
    """A question of the given type with `count` choices (or items)."""
    defaults = {"single": 1, "multiple": 2, "ordering": 2, "command": 1, "predict": 1}
    return Question(
        id=f"a-{kind}",
        type=kind,
        topic="t",
        title="t",
        prompt="p",
        points=points or defaults[kind],
        choices=tuple(Choice(f"choice {n}") for n in range(1, count + 1))
        if kind != "command"
        else (),
        form=form,
    )


def scored(question: Question, key: AnswerValue, text: str) -> tuple[int, str]:
    verdict = score(question, Key(question.id, key), read_answer(question, text))
    return verdict.score, verdict.wrong


# single choice


def test_single_choice_is_all_or_nothing() -> None:
    question = make("single")

    assert scored(question, 2, "2") == (1, "")
    assert scored(question, 2, " 2 ") == (1, "")
    points, wrong = scored(question, 2, "3")
    assert points == 0 and "choice 3" in wrong


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("5", "not one of the numbers 1 to 4"),
        ("b", "not one of"),
        ("1 2", "exactly one"),
    ],
)
def test_single_choice_reading_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(AnswerError, match=problem):
        read_answer(make("single"), text)


# multiple choice: right picks minus wrong picks, over the right choices


@pytest.mark.parametrize(
    ("given", "points"),
    [
        ("1 3 4", 2),  # exact
        ("4,3,1", 2),  # order and separators do not matter
        ("1 3", 1),  # 2 of 3 right, none wrong: 2*2/3 -> 1
        ("1", 0),  # 1 of 3: 2*1/3 -> 0
        ("1 3 4 2", 1),  # all right, one wrong: 2*(3-1)/3 -> 1
        ("1 2", 0),  # one right, one wrong: 0
        ("2", 0),  # only wrong: never below 0
        ("none", 0),
    ],
)
def test_multiple_choice_partial_credit(given: str, points: int) -> None:
    assert scored(make("multiple", 5), frozenset({1, 3, 4}), given)[0] == points


def test_multiple_choice_says_how_many_picks_are_off() -> None:
    _, wrong = scored(make("multiple", 5), frozenset({1, 3, 4}), "1 2")

    assert wrong == "1 of your picks is wrong and 2 right choices are not picked."


def test_multiple_choice_with_no_right_choice() -> None:
    question = make("predict", 5, points=2, form="steps")

    assert scored(question, frozenset(), "none") == (2, "")
    assert scored(question, frozenset(), "-")[0] == 2
    assert scored(question, frozenset(), "3")[0] == 0


def test_multiple_choice_scales_with_points() -> None:
    # 4 points, 2 of 2 right picks minus 1 wrong: 4*(2-1)/2 = 2
    assert scored(make("multiple", 5, points=4), frozenset({1, 2}), "1 2 5")[0] == 2


# ordering: pairs in the right order minus pairs the wrong way round, over all pairs


@pytest.mark.parametrize(
    ("given", "points"),
    [
        ("4 3 2 1", 2),  # exact
        ("3 4 2 1", 1),  # one swap of neighbours: (5-1)/6 -> 2*4/6 -> 1
        ("4 2 3 1", 1),  # one swap in the middle
        ("3 4 1 2", 0),  # two swaps: (4-2)/6 -> 0
        ("1 2 3 4", 0),  # reversed: never below 0
    ],
)
def test_ordering_partial_credit(given: str, points: int) -> None:
    assert scored(make("ordering", 4), (4, 3, 2, 1), given)[0] == points


def test_ordering_says_where_it_goes_wrong() -> None:
    _, wrong = scored(make("ordering", 4), (4, 3, 2, 1), "4 2 3 1")

    assert wrong == (
        "1 of the 6 pairs of items is the wrong way round; the first item out of"
        " place is at your position 2."
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1 2 3", "leaves out 4"),
        ("1 2 3 3", "repeats 3"),
        ("1 2 3 5", "not one of the numbers 1 to 4"),
    ],
)
def test_ordering_must_use_every_item_once(text: str, problem: str) -> None:
    with pytest.raises(AnswerError, match=problem):
        read_answer(make("ordering", 4), text)


# command: any spelling with the same meaning


def test_command_accepts_equivalent_spellings() -> None:
    question = make("command")
    key = Key(question.id, None, commands=("docker ps -a",))

    for text in ("docker ps -a", "docker ps --all", "docker container ls -a"):
        assert score(question, key, read_answer(question, text)).passed
    assert not score(question, key, read_answer(question, "docker ps")).passed


def test_command_mistake_explains_what_it_does_instead() -> None:
    question = make("command")
    key = Key(
        question.id,
        None,
        commands=("docker ps -a",),
        mistakes={"docker ps": "lists only the running containers."},
    )

    verdict = score(question, key, read_answer(question, "docker container ls"))

    assert verdict.score == 0
    assert verdict.wrong == (
        "`docker ps` does not do what was asked: lists only the running containers."
        " Next: it lacks an option the question asks for: look at `docker ps --help`."
    )


def test_command_that_is_not_docker_cannot_be_read() -> None:
    with pytest.raises(AnswerError, match="not a docker command"):
        read_answer(make("command"), "ls -a")


def test_command_matched_by_digest_in_practice_mode() -> None:
    question = make("command")
    salt = "0123abcd"
    key = Key(
        question.id,
        None,
        salt=salt,
        digests=frozenset({digest(question.id, salt, "docker ps --all")}),
    )

    assert score(question, key, read_answer(question, "docker container ls -a")).passed
    assert key.right_answer() == ""


# number


def test_number_is_exact() -> None:
    question = make("predict", 0, form="number")

    assert scored(question, 3, "3") == (1, "")
    assert scored(question, 3, "+3")[0] == 1
    assert scored(question, 3, "4")[0] == 0
    with pytest.raises(AnswerError, match="not a whole number"):
        read_answer(question, "three")


# practice mode: the key is found by trying every answer


@pytest.mark.parametrize(
    ("question", "key"),
    [
        (make("single"), 3),
        (make("multiple", 6), frozenset({2, 5})),
        (make("predict", 6, form="steps"), frozenset()),
        (make("ordering", 7), (7, 1, 6, 2, 5, 3, 4)),
        (make("predict", 0, form="number"), 42),
    ],
    ids=["single", "multiple", "steps-none", "ordering", "number"],
)
def test_recover_finds_the_key_from_its_digest(
    question: Question, key: AnswerValue
) -> None:
    salt = "5a17"
    stored = {digest(question.id, salt, key)}

    assert recover(question, salt, stored) == key
    assert recover(question, "another salt", stored) is None


def test_candidate_spaces_are_small() -> None:
    assert len(list(candidates(make("multiple", 9)))) == 2**9
    assert len(list(candidates(make("ordering", 7)))) == 5040


def test_digests_depend_on_question_and_salt() -> None:
    assert digest("a", "s", 1) != digest("b", "s", 1)
    assert digest("a", "s", 1) != digest("a", "t", 1)
    assert digest("a", "s", frozenset({1, 2})) == digest("a", "s", frozenset({2, 1}))

"""Grading the answers file as an exercise: one check result per question.

`brickyard grade` appends the result to the exercises' results, so every report
format (terminal, JSON) shows the quiz like an exercise whose id is `quiz`. A last,
zero-point result `answers-file` says what is wrong with the file itself (lines that
cannot be read, unknown question ids) and lists the questions not yet answered.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from grader.checks.result import CheckResult
from grader.plugin import ExerciseResult
from grader.quiz.answers import (
    ANSWERS_FILE,
    AnswerLine,
    AnswersFile,
    read_answers,
)
from grader.quiz.bank import Bank, BankError, Question, has_bank, load_bank
from grader.quiz.keys import KEYS_PATH, KeyBook, KeysError, find_keys, load_keys
from grader.quiz.scoring import AnswerError, Key, read_answer, score, show

QUIZ_ID = "quiz"
#: How the feedback of a question not answered starts.
NOT_ANSWERED = "Not answered"
#: The id of the terminal's one line for every question not answered.
UNANSWERED_ID = "unanswered"
QUIZ_TITLE = "Concepts quiz"
#: The selector that picks the quiz in `brickyard grade quiz`.
SELECTOR = "quiz"

_DEFAULT_HINTS = {
    "choice": "Rule out the choices you know are wrong, then weigh the rest;"
    " `nox -s quiz -- --question {id}` asks it again.",
    "choices": "Judge each choice on its own: several may be right, or none;"
    " `nox -s quiz -- --question {id}` asks it again.",
    "order": "Start from what must happen first, then ask what each step needs;"
    " `nox -s quiz -- --question {id}` asks it again.",
    "command": "`docker COMMAND --help` lists what a command and its options do.",
    "number": "Run the scenario yourself: its files are in quiz/scenarios/.",
}


def quiz_folder(root: Path) -> Path:
    return root / "quiz"


def has_quiz(root: Path) -> bool:
    """Tell whether the tree at `root` has a quiz to grade."""
    return has_bank(quiz_folder(root))


def grade_quiz(
    root: Path, keys_path: Path | None = None, solutions: bool = False
) -> ExerciseResult:
    """Grade `root/quiz/answers.txt` against the keys; return the quiz's result.

    With `solutions`, the answers are the keys themselves (the teacher's clear keys
    at solutions/quiz/keys.yaml unless `keys_path` names others): full marks prove
    that keys and bank agree.
    """
    folder = quiz_folder(root)
    try:
        bank = load_bank(folder)
    except BankError as error:
        return ExerciseResult(QUIZ_ID, QUIZ_TITLE, error=str(error))
    try:
        if solutions:
            book = load_keys(keys_path or root / KEYS_PATH, bank)
        else:
            book = find_keys(folder, bank, keys_path)
    except KeysError as error:
        return ExerciseResult(
            QUIZ_ID, QUIZ_TITLE, error=str(error), max_score_declared=bank.max_score
        )

    if solutions:
        answers = AnswersFile(root / KEYS_PATH)
        for number, question in enumerate(bank.questions, start=1):
            key = book.keys[question.id]
            text = key.commands[0] if key.commands else show_key(key)
            answers.answers[question.id] = AnswerLine(question.id, text, number)
    else:
        answers = read_answers(folder / ANSWERS_FILE, bank)

    if book.mode == "withheld":
        return ExerciseResult(
            QUIZ_ID,
            QUIZ_TITLE,
            error=withheld_message(bank, answers),
            max_score_declared=bank.max_score,
        )
    result = ExerciseResult(QUIZ_ID, QUIZ_TITLE, max_score_declared=bank.max_score)
    for question in bank.questions:
        result.checks.append(grade_question(question, book, answers))
    result.checks.append(file_check(bank, answers, book))
    return result


def terminal_checks(result: ExerciseResult) -> list[CheckResult]:
    """The quiz's checks for the terminal: the unanswered questions on one line.

    A fresh answers file would otherwise print a FAIL block per question. Every
    other report keeps one result per question.
    """
    unanswered = [
        check
        for check in result.checks
        if check.kind.startswith("quiz_")
        and check.id != "answers-file"
        and not check.evidence
        and check.feedback.startswith(NOT_ANSWERED)
    ]
    if not unanswered:
        return list(result.checks)
    shown = [check for check in result.checks if check not in unanswered]
    for index, check in enumerate(shown):
        if check.id == "answers-file":
            # Its list of the questions not answered is the line added below.
            feedback = check.feedback.split("; not answered (0 points each)")[0]
            shown[index] = replace(check, feedback=feedback.rstrip(".") + ".")
    ids = ", ".join(check.id for check in unanswered)
    line = CheckResult(
        exercise=QUIZ_ID,
        id=UNANSWERED_ID,
        title=f"{len(unanswered)} questions not answered",
        kind="quiz_unanswered",
        status="failed",
        score=0,
        max_score=sum(check.max_score for check in unanswered),
        feedback=f"Not answered, 0 points each: {ids}.",
        hint=(
            "Answer them with `nox -s quiz` (it starts at the first one not"
            f" answered), or add `question-id: ANSWER` lines to quiz/{ANSWERS_FILE}."
        ),
    )
    position = next(
        (index for index, check in enumerate(shown) if check.id == "answers-file"),
        len(shown),
    )
    return [*shown[:position], line, *shown[position:]]


def show_key(key: Key) -> str:
    assert key.value is not None
    return show(key.value)


def grade_question(
    question: Question, book: KeyBook, answers: AnswersFile
) -> CheckResult:
    """Score one question's answer, with feedback that says what was wrong."""
    given = answers.answers.get(question.id)
    hint = question.hint or _DEFAULT_HINTS[question.kind].format(id=question.id)
    if question.scenario is not None and not question.hint:
        hint = (
            "Run the commands yourself: the scenario's files are in"
            f" quiz/scenarios/{question.scenario.id}/."
        )
    base = CheckResult(
        exercise=QUIZ_ID,
        id=question.id,
        title=question.title,
        kind=f"quiz_{question.type}",
        status="failed",
        score=0,
        max_score=question.points,
        feedback="",
        hint=hint,
    )
    if given is None:
        base.feedback = (
            f"{NOT_ANSWERED}, so it scores 0. Answer it with `nox -s quiz`, or add the"
            f" line `{question.id}: ANSWER` to quiz/{ANSWERS_FILE}."
        )
        return base
    base.evidence = {"your answer": given.text, "line": given.line}
    key = book.keys.get(question.id)
    if key is None:
        base.status = "error"
        base.feedback = book.problems.get(question.id, "This question has no key.")
        base.hint = ""
        return base
    try:
        value = read_answer(question, given.text)
    except AnswerError as error:
        base.feedback = (
            f"Line {given.line} of quiz/{ANSWERS_FILE} cannot be read: {error}. It"
            " scores 0 until it is fixed."
        )
        return base

    verdict = score(question, key, value, given.text)
    base.score = verdict.score
    base.status = "passed" if verdict.passed else "failed"
    parts = ["Right." if verdict.passed else verdict.wrong]
    if not verdict.passed and verdict.score:
        parts[0] += f" Partial credit: {verdict.score} of {verdict.max_score} points."
    if book.reveal:
        right = key.right_answer()
        if right and not verdict.passed:
            parts.append(f"The right answer: {right}.")
        if key.explanation:
            parts.append(f"Why: {key.explanation}")
    base.feedback = "\n".join(part for part in parts if part)
    if verdict.passed:
        base.hint = ""
    return base


def file_check(bank: Bank, answers: AnswersFile, book: KeyBook) -> CheckResult:
    """A zero-point result about the answers file itself."""
    unanswered = [
        question_id for question_id in bank.ids if question_id not in answers.answers
    ]
    lines = []
    if not answers.exists:
        lines.append(
            f"There is no quiz/{ANSWERS_FILE} yet: run `nox -s quiz`, or write it by"
            " hand (the format is in quiz/README.md)."
        )
    lines += answers.problems
    problems = bool(lines)
    answered = len(bank.ids) - len(unanswered)
    summary = f"{answered} of {len(bank.ids)} questions answered"
    if unanswered:
        summary += f"; not answered (0 points each): {', '.join(unanswered)}"
    lines.append(summary + ".")
    if book.mode == "practice":
        lines.append("Scored in practice mode, from the digests in quiz/practice.yaml.")
    return CheckResult(
        exercise=QUIZ_ID,
        id="answers-file",
        title=f"quiz/{ANSWERS_FILE} can be read",
        kind="quiz_answers_file",
        status="failed" if problems else "passed",
        score=0,
        max_score=0,
        feedback="\n".join(lines),
        hint=(
            "Fix the lines named above: each is `question-id: answer`."
            if answers.problems
            else ""
        ),
        evidence={"answered": answered, "unanswered": len(unanswered)},
    )


def withheld_message(bank: Bank, answers: AnswersFile) -> str:
    """Say why nothing is scored when the keys are withheld, and what was read.

    No key is needed to tell whether an answer can be read for its question, so
    every line is checked as the graded run will check it, and the questions still
    open are listed: the student can fix both before CI scores the quiz.
    """
    unreadable = []
    for question in bank.questions:
        given = answers.answers.get(question.id)
        if given is None:
            continue
        try:
            read_answer(question, given.text)
        except AnswerError as error:
            unreadable.append(
                f"line {given.line}: `{question.id}` cannot be read: {error}; it"
                " would score 0"
            )
    unanswered = [
        question_id for question_id in bank.ids if question_id not in answers.answers
    ]
    answered = len(bank.ids) - len(unanswered)
    lines = [
        "The quiz's answer keys are withheld in this assignment, so it is scored only"
        " where your teacher supplies them (in CI). Your answers are read from"
        f" quiz/{ANSWERS_FILE}: {answered} of {len(bank.ids)} questions answered.",
    ]
    lines += answers.problems
    lines += unreadable
    if unanswered:
        lines.append(f"Not answered (0 points each): {', '.join(unanswered)}.")
    if answers.problems or unreadable:
        lines.append(
            "Fix the lines named above (each is `question-id: answer`; quiz/README.md"
            " shows how to write each kind of answer) before CI grades the quiz."
        )
    return "\n".join(lines)

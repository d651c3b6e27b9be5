"""`brickyard quiz`: the terminal quiz for students, key upkeep for teachers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.quiz.answers import ANSWERS_FILE, AnswersNotText, write_template
from grader.quiz.bank import Bank, BankError, load_bank
from grader.quiz.keys import (
    KEYS_PATH,
    PRACTICE_FILE,
    KeysError,
    load_keys,
    load_practice,
    practice_salts,
    render_practice,
)
from grader.quiz.terminal import QuizOptions, run_quiz

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the `quiz` subcommand to brickyard's command line."""
    quiz = commands.add_parser(
        "quiz",
        help="answer the concepts quiz in the terminal (teachers: manage its keys)",
        description="Answer the concepts quiz one question at a time. Answers are"
        " saved to quiz/answers.txt as you go; `brickyard grade` scores them.",
    )
    quiz.add_argument(
        "--root", type=Path, default=Path("."), help="the repository (default: here)"
    )
    quiz.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help=f"the answers file (default: quiz/{ANSWERS_FILE})",
    )
    quiz.add_argument(
        "--restart",
        action="store_true",
        help="start at the first question, even if answered (answers are kept)",
    )
    quiz.add_argument(
        "--question", metavar="ID", help="start at the question with this id"
    )
    quiz.add_argument(
        "--plain",
        action="store_true",
        help="ask line by line instead of reading single keys",
    )
    quiz.add_argument(
        "--template",
        action="store_true",
        help="only write an empty answers file to fill by hand (never overwrites)",
    )
    teacher = quiz.add_argument_group("teachers")
    teacher.add_argument(
        "--keys",
        type=Path,
        metavar="FILE",
        help=f"the clear keys file (default: {KEYS_PATH})",
    )
    teacher.add_argument(
        "--rehash",
        action="store_true",
        help=f"write quiz/{PRACTICE_FILE} (practice mode) from the clear keys",
    )
    teacher.add_argument(
        "--withhold",
        action="store_true",
        help=f"delete quiz/{PRACTICE_FILE}, so only CI with the keys can grade",
    )
    teacher.add_argument(
        "--check",
        action="store_true",
        help="check the bank, the keys and the practice file agree",
    )


def run(args: argparse.Namespace) -> int:
    """Carry out `brickyard quiz` with its arguments."""
    root = args.root.resolve()
    folder = root / "quiz"
    try:
        bank = load_bank(folder)
    except BankError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_FAILED
    keys_path = args.keys or root / KEYS_PATH

    if args.rehash:
        return rehash(bank, folder, keys_path)
    if args.withhold:
        practice = folder / PRACTICE_FILE
        if practice.exists():
            practice.unlink()
            print(f"removed {practice}: the quiz is now in withheld mode.")
        print(
            "Grade it in CI with the keys from outside the students' repositories:"
            " `brickyard grade --quiz-keys FILE`, or BRICKYARD_QUIZ_KEYS=FILE."
        )
        return EXIT_OK
    if args.check:
        return check(bank, folder, keys_path)
    answers = args.answers or folder / ANSWERS_FILE
    if args.template:
        if write_template(answers, bank):
            print(f"wrote {answers}: one line per question, `question-id: answer`.")
        else:
            print(f"{answers} exists; it was left as it is.")
        return EXIT_OK
    if args.question and bank.get(args.question) is None:
        print(
            f"brickyard: no question has the id {args.question!r}; the ids are in"
            f" quiz/{ANSWERS_FILE} and quiz/bank/.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        return run_quiz(
            QuizOptions(
                root,
                answers,
                restart=args.restart,
                start_at=args.question,
                plain=args.plain,
            )
        )
    except (KeysError, AnswersNotText) as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nStopped; your answers so far are saved.")
        return EXIT_OK


def rehash(bank: Bank, folder: Path, keys_path: Path) -> int:
    """Write the practice file from the clear keys, keeping its salts."""
    try:
        book = load_keys(keys_path, bank)
    except KeysError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_FAILED
    practice = folder / PRACTICE_FILE
    practice.write_text(
        render_practice(book, bank, practice_salts(practice)), encoding="utf-8"
    )
    print(f"wrote {practice}: practice mode, {len(bank.questions)} questions.")
    return EXIT_OK


def check(bank: Bank, folder: Path, keys_path: Path) -> int:
    """Say whether keys and practice file agree with the bank."""
    problems = []
    try:
        book = load_keys(keys_path, bank)
    except KeysError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_FAILED
    practice = folder / PRACTICE_FILE
    if practice.exists():
        try:
            hashed = load_practice(practice, bank)
        except KeysError as error:
            print(f"brickyard: {error}", file=sys.stderr)
            return EXIT_FAILED
        expected = render_practice(book, bank, practice_salts(practice))
        if practice.read_text(encoding="utf-8") != expected or hashed.problems:
            problems.append(
                f"{practice} does not match {keys_path}; run `brickyard quiz --rehash`"
            )
    if problems:
        print("brickyard: " + "\n".join(problems), file=sys.stderr)
        return EXIT_FAILED
    mode = "practice" if practice.exists() else "withheld"
    print(
        f"quiz: {len(bank.questions)} questions, keys complete, {mode} mode"
        + (", practice file current." if practice.exists() else ".")
    )
    return EXIT_OK

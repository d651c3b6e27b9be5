"""The terminal quiz: one question at a time, and the explanation after each answer.

On a terminal, keys are read one at a time (termios, no extra dependency): arrows
move, digits pick, space toggles, Enter confirms; the screen is redrawn for each key.
When stdin is not a terminal (a pipe, an IDE's console, Windows without termios) the
quiz asks line by line instead. Either way each answer is saved to the answers file
as soon as it is given, changing only that question's line, and an answer already
saved is replaced only when the student confirms it. The quiz starts at the first
question not yet answered, so quitting and coming back resumes where one left off.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from grader.checks.registry import brief
from grader.quiz.answers import (
    ANSWERS_FILE,
    AnswerExists,
    AnswersFile,
    check_text,
    read_answers,
    save_answer,
    write_template,
)
from grader.quiz.bank import Bank, Question, load_bank
from grader.quiz.keys import KeyBook, find_keys
from grader.quiz.scoring import (
    AnswerError,
    AnswerValue,
    Verdict,
    read_answer,
    score,
    show,
)

try:
    import termios
    import tty
except ImportError:  # Windows: the line-by-line quiz still works
    termios = None  # type: ignore[assignment]
    tty = None  # type: ignore[assignment]

_BOLD, _DIM, _GREEN, _RED, _YELLOW, _REVERSE, _RESET = (
    "\033[1m",
    "\033[2m",
    "\033[32m",
    "\033[31m",
    "\033[33m",
    "\033[7m",
    "\033[0m",
)
_CLEAR = "\033[2J\033[H"

#: What a widget returns instead of an answer: a move through the quiz.
BACK, SKIP, QUIT = "<back>", "<skip>", "<quit>"


@dataclass
class QuizOptions:
    """How the quiz is run: which tree, which file, where to start."""

    root: Path
    answers_path: Path | None = None
    restart: bool = False
    start_at: str | None = None
    plain: bool = False
    keys_path: Path | None = None


@dataclass
class Progress:
    """What the student has answered, as read from the answers file."""

    answers: AnswersFile
    scores: dict[str, Verdict] = field(default_factory=dict)


class KeyReader:
    """Reads keys from a terminal in cbreak mode: arrows, Enter, digits, letters."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @contextmanager
    def active(self) -> Iterator[KeyReader]:
        saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        try:
            yield self
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def pending(self) -> bool:
        return bool(select.select([self.fd], [], [], 0.05)[0])

    def read(self) -> str:
        """Return one key: a character, or up/down/left/right/enter/space/..."""
        first = os.read(self.fd, 1)
        if not first or first == b"\x04":
            return "eof"
        if first == b"\x1b":
            if not self.pending():
                return "escape"
            sequence = os.read(self.fd, 2)
            return {
                b"[A": "up",
                b"OA": "up",
                b"[B": "down",
                b"OB": "down",
                b"[C": "right",
                b"OC": "right",
                b"[D": "left",
                b"OD": "left",
            }.get(sequence, "escape")
        if first in (b"\r", b"\n"):
            return "enter"
        if first == b" ":
            return "space"
        if first in (b"\x7f", b"\x08"):
            return "backspace"
        if first == b"\x15":
            return "clear"
        data = first
        # A character of several UTF-8 bytes arrives as a whole.
        while self.pending() and len(data) < 4:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                data += os.read(self.fd, 1)
        return data.decode("utf-8", errors="replace")


class Quiz:
    """One session of the quiz: the bank, the keys, the answers file, the terminal."""

    def __init__(self, options: QuizOptions, stdin: TextIO, stdout: TextIO) -> None:
        self.options = options
        self.folder = options.root / "quiz"
        self.bank: Bank = load_bank(self.folder)
        self.book: KeyBook = find_keys(self.folder, self.bank, options.keys_path)
        self.path = options.answers_path or self.folder / ANSWERS_FILE
        self.stdin = stdin
        self.stdout = stdout
        self.color = stdout.isatty() and "NO_COLOR" not in os.environ
        self.keys: KeyReader | None = None
        self.notice = ""

    # Output

    def paint(self, text: str, color: str) -> str:
        return f"{color}{text}{_RESET}" if self.color else text

    def write(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def width(self) -> int:
        return max(40, min(100, shutil.get_terminal_size((88, 24)).columns) - 2)

    # The session

    def run(self) -> int:
        """Ask the questions; return 0 (progress is saved whatever happens).

        An answers file that is not UTF-8 text raises AnswersNotText before any
        question is asked: nothing could be saved into it.
        """
        check_text(self.path)
        if write_template(self.path, self.bank):
            self.notice = f"Created {self.display_path()} for your answers."
        progress = self.progress()
        if progress.answers.problems:
            self.notice += (
                f"\n{self.display_path()} has lines the quiz cannot use; they are"
                " left as they are:\n  " + "\n  ".join(progress.answers.problems[:5])
            )
        index = self.first_index(progress)
        if index is None:
            self.finish(progress, complete=True)
            return 0
        interactive = (
            not self.options.plain
            and termios is not None
            and self.stdin.isatty()
            and self.stdout.isatty()
        )
        if interactive:
            self.keys = KeyReader(self.stdin.fileno())
            with self.keys.active():
                self.loop(index)
        else:
            self.loop(index)
        self.finish(self.progress(), complete=False)
        return 0

    def display_path(self) -> str:
        try:
            return str(self.path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    def progress(self) -> Progress:
        answers = read_answers(self.path, self.bank)
        progress = Progress(answers)
        for question in self.bank.questions:
            line = answers.answers.get(question.id)
            key = self.book.keys.get(question.id)
            if line is None or key is None:
                continue
            try:
                progress.scores[question.id] = score(
                    question, key, read_answer(question, line.text)
                )
            except AnswerError:
                continue
        return progress

    def first_index(self, progress: Progress) -> int | None:
        ids = self.bank.ids
        if self.options.start_at:
            return ids.index(self.options.start_at)
        if self.options.restart:
            return 0
        for index, question_id in enumerate(ids):
            if question_id not in progress.answers.answers:
                return index
        return None

    def loop(self, index: int) -> None:
        questions = self.bank.questions
        while 0 <= index < len(questions):
            move = self.ask(questions[index], index)
            if move == QUIT:
                return
            index = index - 1 if move == BACK else index + 1
            index = max(index, 0)

    def ask(self, question: Question, index: int) -> str:
        """Ask one question until it is answered, skipped or left; return the move."""
        while True:
            saved = read_answers(self.path, self.bank).answers.get(question.id)
            previous: AnswerValue | None = None
            if saved is not None:
                try:
                    previous = read_answer(question, saved.text)
                except AnswerError:
                    previous = None
            text = self.widget(question, index, previous, saved.text if saved else "")
            if text in (BACK, SKIP, QUIT):
                return text
            try:
                value = read_answer(question, text)
            except AnswerError as error:
                self.notice = f"That answer cannot be used: {error}."
                continue
            stored = text.strip() if question.kind == "command" else show(value)
            if not self.store(question, stored, saved.text if saved else None):
                self.notice = "Kept your saved answer."
                return SKIP
            move = self.feedback(question, index, value, text)
            if move != "again":
                return move

    def store(self, question: Question, text: str, previous: str | None) -> bool:
        """Save `text`; ask before replacing a different saved answer."""
        try:
            save_answer(self.path, self.bank, question.id, text)
        except AnswerExists as exists:
            if not self.confirm(
                f"Replace your saved answer `{exists.previous.text}` (line"
                f" {exists.previous.line}) with `{text}`?"
            ):
                return False
            save_answer(self.path, self.bank, question.id, text, replace=True)
        return True

    # Rendering a question

    def header(self, question: Question, index: int) -> list[str]:
        total = len(self.bank.questions)
        answered = len(read_answers(self.path, self.bank).answers)
        points = f"{question.points} point" + ("s" if question.points > 1 else "")
        lines = [
            self.paint(
                f"brickyard quiz · question {index + 1} of {total} · {answered}"
                f" answered · {question.topic}",
                _DIM,
            ),
            "",
            self.paint(question.title, _BOLD)
            + self.paint(f"   [{question.type_name} · {points}]", _DIM),
            "",
        ]
        lines += question.prompt.splitlines()
        if question.scenario is not None:
            for name, text in question.scenario.files():
                lines += ["", self.paint(f"  {name}", _BOLD)]
                lines += [f"  │ {line}" for line in text.rstrip("\n").splitlines()]
            lines += ["", self.paint("  Commands, in order:", _BOLD)]
            lines += [f"  $ {command}" for command in question.scenario.commands]
            if question.form == "steps":
                lines += [
                    "",
                    "The choices are the steps of the Dockerfile, in order (FROM is"
                    " step 1).",
                ]
        lines.append("")
        return lines

    def wrap(self, text: str, indent: int) -> list[str]:
        # Question ids are joined by dashes: a line must not break inside one.
        width = self.width() - indent
        lines = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
        return [lines[0]] + [" " * indent + line for line in lines[1:]]

    def draw(self, lines: list[str], footer: str) -> None:
        out = [_CLEAR, *lines]
        if self.notice:
            out += ["", self.paint(self.notice, _YELLOW)]
        out += ["", self.paint(footer, _DIM)]
        self.stdout.write("\n".join(out) + "\n")
        self.stdout.flush()

    # Widgets: each returns the answer as text, or a move

    def widget(
        self, question: Question, index: int, previous: AnswerValue | None, saved: str
    ) -> str:
        if self.keys is None:
            return self.ask_line(question, index, saved)
        if question.kind == "choice":
            return self.pick(question, index, previous, many=False)
        if question.kind == "choices":
            return self.pick(question, index, previous, many=True)
        if question.kind == "order":
            return self.arrange(question, index, previous)
        return self.type_line(question, index, saved)

    def pick(
        self, question: Question, index: int, previous: AnswerValue | None, many: bool
    ) -> str:
        count = len(question.choices)
        cursor = 0
        chosen: set[int] = set()
        if isinstance(previous, int):
            cursor = previous - 1
            chosen = {previous}
        elif isinstance(previous, frozenset):
            chosen = set(previous)
        assert self.keys is not None
        while True:
            lines = self.header(question, index)
            for number, choice in enumerate(question.choices, start=1):
                here = number - 1 == cursor
                mark = (
                    ("[x]" if number in chosen else "[ ]")
                    if many
                    else ("(•)" if number in chosen else "( )")
                )
                text = f"{'>' if here else ' '} {mark} {number}. " + "\n".join(
                    self.wrap(choice.text, 9)
                )
                lines.append(self.paint(text, _REVERSE) if here else text)
            if many:
                lines += ["", f"Picked: {show(frozenset(chosen))}"]
                footer = (
                    "↑↓ move · space or 1-9 pick/unpick · Enter confirm (nothing"
                    " picked = none) · ← previous · → skip · q quit"
                )
            else:
                footer = (
                    "↑↓ move · 1-9 choose · Enter confirm · ← previous · → skip ·"
                    " q quit"
                )
            self.draw(lines, footer)
            key = self.keys.read()
            self.notice = ""
            if key in ("up", "k"):
                cursor = (cursor - 1) % count
            elif key in ("down", "j"):
                cursor = (cursor + 1) % count
            elif key.isdigit() and 1 <= int(key) <= count:
                cursor = int(key) - 1
                if many:
                    chosen ^= {int(key)}
                else:
                    chosen = {int(key)}
            elif key == "space":
                if many:
                    chosen ^= {cursor + 1}
                else:
                    chosen = {cursor + 1}
            elif key == "enter":
                if many:
                    return show(frozenset(chosen))
                return str(next(iter(chosen)) if chosen else cursor + 1)
            elif move := self.movement(key):
                return move

    def arrange(
        self, question: Question, index: int, previous: AnswerValue | None
    ) -> str:
        order = (
            list(previous)
            if isinstance(previous, tuple)
            else list(range(1, len(question.choices) + 1))
        )
        cursor = 0
        held = False
        assert self.keys is not None
        while True:
            lines = self.header(question, index)
            lines.append("First at the top:")
            for position, number in enumerate(order):
                here = position == cursor
                grip = "≡" if here and held else " "
                text = f"{'>' if here else ' '}{grip} {position + 1}. [{number}] " + (
                    "\n".join(self.wrap(question.choices[number - 1].text, 12))
                )
                lines.append(self.paint(text, _REVERSE) if here else text)
            lines += ["", f"Your order, by item number: {show(tuple(order))}"]
            self.draw(
                lines,
                "↑↓ move · space picks up / puts down the line (then ↑↓ carry it) ·"
                " 1-9 go to item · Enter confirm · ← previous · → skip · q quit",
            )
            key = self.keys.read()
            self.notice = ""
            if key in ("up", "down", "k", "j"):
                step = -1 if key in ("up", "k") else 1
                target = cursor + step
                if 0 <= target < len(order):
                    if held:
                        order[cursor], order[target] = order[target], order[cursor]
                    cursor = target
            elif key == "space":
                held = not held
            elif key.isdigit() and int(key) in order:
                cursor = order.index(int(key))
            elif key == "enter":
                return show(tuple(order))
            elif not held and (move := self.movement(key)):
                return move

    def type_line(self, question: Question, index: int, saved: str) -> str:
        text = saved
        assert self.keys is not None
        what = "command" if question.kind == "command" else "number"
        while True:
            lines = self.header(question, index)
            lines.append(f"Your {what}: {text}" + self.paint("▏", _DIM))
            self.draw(
                lines,
                "type, then Enter · Enter on an empty line skips · ↑ previous ·"
                " Esc quit",
            )
            key = self.keys.read()
            self.notice = ""
            if key == "enter":
                return text.strip() or SKIP
            if key == "backspace":
                text = text[:-1]
            elif key == "clear":
                text = ""
            elif key == "space":
                text += " "
            elif key in ("escape", "eof"):
                return QUIT
            elif key == "up":
                return BACK
            elif len(key) == 1 and key.isprintable():
                text += key

    def movement(self, key: str) -> str | None:
        return {
            "left": BACK,
            "b": BACK,
            "right": SKIP,
            "s": SKIP,
            "q": QUIT,
            "escape": QUIT,
            "eof": QUIT,
        }.get(key)

    def confirm(self, question: str) -> bool:
        if self.keys is None:
            self.write(f"{question} [y/N] ")
            return self.stdin.readline().strip().lower() in ("y", "yes")
        self.draw([question], "y yes · any other key no")
        return self.keys.read().lower() == "y"

    # The line-by-line quiz, for pipes and consoles without termios

    def ask_line(self, question: Question, index: int, saved: str) -> str:
        self.write()
        for line in self.header(question, index):
            self.write(line)
        for number, choice in enumerate(question.choices, start=1):
            self.write(f"  {number}. " + "\n".join(self.wrap(choice.text, 5)))
        if question.choices:
            self.write()
        if self.notice:
            self.write(self.notice)
            self.notice = ""
        if saved:
            self.write(f"Your saved answer: {saved} (Enter keeps it)")
        self.write(f"Answer ({how_to_answer(question)}); Enter skips, q quits:")
        line = self.stdin.readline()
        if not line:
            return QUIT
        text = line.strip()
        if text == "q":
            return QUIT
        if not text:
            return SKIP
        return text

    # After an answer

    def feedback(
        self, question: Question, index: int, value: AnswerValue, written: str = ""
    ) -> str:
        """Show the verdict and the explanation; return the next move."""
        key = self.book.keys.get(question.id)
        lines = [self.paint(question.title, _BOLD), ""]
        if key is None:
            if self.book.mode == "withheld":
                lines.append(
                    "Saved. This quiz's keys are withheld: your teacher's CI scores"
                    " it, and the graded report explains each question."
                )
            else:
                lines.append(self.book.problems.get(question.id, "Saved."))
        else:
            verdict = score(question, key, value, written)
            if verdict.passed:
                lines.append(
                    self.paint(f"Right: {verdict.score}/{verdict.max_score}", _GREEN)
                )
            else:
                mood = "Partly right" if verdict.score else "Not right"
                color = _YELLOW if verdict.score else _RED
                lines.append(
                    self.paint(f"{mood}: {verdict.score}/{verdict.max_score}.", color)
                    + " "
                    + verdict.wrong
                )
                right = key.right_answer()
                if right:
                    lines.append(f"The right answer: {right}")
            if key.explanation:
                lines += ["", *self.wrap("Why: " + key.explanation, 0)]
        lines += ["", f"Saved in {self.display_path()}."]
        if self.keys is None:
            for line in lines:
                self.write(line)
            return SKIP
        self.draw(lines, "Enter next question · ← answer again · q quit")
        while True:
            pressed = self.keys.read()
            if pressed in ("enter", "right", "space", "s"):
                return SKIP
            if pressed in ("left", "b"):
                return "again"
            if pressed in ("q", "escape", "eof"):
                return QUIT

    def finish(self, progress: Progress, complete: bool) -> None:
        """Print the score and what is left to answer."""
        if self.keys is not None:
            self.stdout.write(_CLEAR)
        total = len(self.bank.questions)
        answered = [q for q in self.bank.questions if q.id in progress.answers.answers]
        missing = [
            q for q in self.bank.questions if q.id not in progress.answers.answers
        ]
        self.write(self.paint("brickyard quiz", _BOLD))
        self.write(f"{len(answered)} of {total} questions answered.")
        if self.book.mode == "withheld":
            self.write("The keys are withheld: your teacher's CI scores the quiz.")
        else:
            earned = sum(verdict.score for verdict in progress.scores.values())
            self.write(
                f"Score: {earned} of {self.bank.max_score} points"
                + (" (practice mode)" if self.book.mode == "practice" else "")
                + "."
            )
        if missing:
            names = brief([q.id for q in missing], 8)
            for line in self.wrap(f"Not answered yet: {names}.", 0):
                self.write(line)
            self.write("Run `nox -s quiz` again to go on where you stopped.")
        elif complete:
            self.write(
                "Every question is answered. `nox -s quiz -- --restart` goes through"
                " them again; your saved answers are kept unless you replace them."
            )
        self.write(
            f"Your answers are in {self.display_path()}; `nox -s grade` scores them"
            " with the exercises."
        )


def how_to_answer(question: Question) -> str:
    """Say in a few words how to write an answer to `question`."""
    count = len(question.choices)
    return {
        "choice": f"a number, 1 to {count}",
        "choices": f"numbers 1 to {count} separated by spaces, or none",
        "order": f"every number 1 to {count} once, first item first",
        "command": "the command as you would type it",
        "number": "a whole number",
    }[question.kind]


def run_quiz(
    options: QuizOptions,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the quiz on the terminal (or the given streams); return an exit status."""
    quiz = Quiz(options, stdin or sys.stdin, stdout or sys.stdout)
    return quiz.run()

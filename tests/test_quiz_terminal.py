"""The terminal quiz, driven through a pseudo-terminal as a student types it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.quiz.answers import read_answers
from grader.quiz.bank import load_bank
from tests.conftest import REPO

BANK = load_bank(REPO / "quiz")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
UP, DOWN, LEFT, ENTER = "\x1b[A", "\x1b[B", "\x1b[D", "\r"
QUIZ = [sys.executable, "-m", "grader.cli", "quiz"]


class Terminal:
    """`brickyard quiz` running on a pseudo-terminal: type keys, wait for text."""

    def __init__(self, root: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 110, 0, 0))
        self.process = subprocess.Popen(
            [*QUIZ, "--root", str(root), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=root,
            env={**os.environ, "TERM": "xterm", "NO_COLOR": "1"},
            start_new_session=True,
        )
        os.close(slave)
        self.screen = ""
        self.closed = False

    def expect(self, text: str, timeout: float = 15) -> str:
        """Wait until `text` shows up; return everything shown since the last wait."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(
                        f"{text!r} never appeared; ended:\n{self.screen}"
                    )
                self.screen += _ANSI.sub("", chunk.decode(errors="replace"))
        shown, _, self.screen = self.screen.partition(text)
        return shown + text

    def type(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            time.sleep(0.05)

    def close(self, timeout: float = 15) -> int:
        """Wait for the quiz to end; end it if it does not."""
        if self.closed:
            return self.process.returncode
        self.closed = True
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            os.close(self.master)


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(
        REPO / "quiz", tmp_path / "quiz", ignore=shutil.ignore_patterns("answers.txt")
    )
    yield tmp_path


@pytest.fixture
def start(tree: Path) -> Iterator[Callable[..., Terminal]]:
    """Start the quiz on a pseudo-terminal; whatever happens, it is ended after."""
    started: list[Terminal] = []

    def launch(*args: str) -> Terminal:
        started.append(Terminal(tree, *args))
        return started[-1]

    yield launch
    for terminal in started:
        if terminal.process.poll() is None:
            terminal.process.kill()  # a failed test left it waiting for a key
        terminal.close()


def answers(tree: Path) -> dict[str, str]:
    read = read_answers(tree / "quiz" / "answers.txt", BANK)
    assert read.problems == []
    return {key: line.text for key, line in read.answers.items()}


def type_into_quiz(
    tree: Path, typed: str, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `brickyard quiz --root TREE` with `typed` as its input, not on a terminal."""
    return subprocess.run(
        [*QUIZ, "--root", str(tree), *arguments],
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_number_keys_arrows_explanation_and_resume(
    tree: Path, start: Callable[..., Terminal]
) -> None:
    first = start()
    screen = first.expect("question 1 of")
    assert "What an image is, what a container is" in first.expect("q quit")
    first.type("1", ENTER)
    screen = first.expect("Enter next question")
    assert "Right: 1/1" in screen
    assert "Why: An image is a read-only template" in screen
    first.type(ENTER)
    first.expect("question 2 of")
    first.expect("q quit")
    first.type(DOWN, DOWN, ENTER)  # the third choice: wrong
    screen = first.expect("Enter next question")
    assert "Not right: 0/1." in screen and "The right answer: 2" in screen
    first.type("q")
    summary = first.expect("scores them with the exercises")
    assert f"2 of {len(BANK.ids)} questions answered" in summary
    assert "Score: 1 of" in summary
    assert first.close() == 0
    assert answers(tree) == {"image-vs-container": "1", "image-read-only": "3"}

    again = start()
    again.expect("question 3 of")  # resumes at the first unanswered question
    again.expect("q quit")
    again.type(LEFT)
    again.expect("question 2 of")
    again.expect("q quit")
    again.type("2", ENTER)
    assert "Replace your saved answer `3` (line" in again.expect("any other key no")
    again.type("n")
    again.expect("question 3 of")
    assert "Kept your saved answer." in again.expect("q quit")
    again.type("q")
    again.expect("scores them with the exercises")
    assert again.close() == 0
    assert answers(tree)["image-read-only"] == "3"


def test_multiple_choice_ordering_and_command(
    tree: Path, start: Callable[..., Terminal]
) -> None:
    quiz = start("--question", "many-containers-one-image")
    quiz.expect("Two containers of one image")
    quiz.expect("q quit")
    quiz.type("1", DOWN, DOWN, " ", "4")  # picks 1, 3 (by space) and 4
    assert "Picked: 1 3 4" in quiz.expect("Picked: 1 3 4")
    quiz.type(ENTER)
    assert "Right: 2/2" in quiz.expect("Enter next question")
    quiz.type("q")
    quiz.expect("scores them with the exercises")
    quiz.close()

    order = start("--question", "order-for-cache")
    order.expect("First at the top:")
    order.expect("q quit")
    # carry item 4 (FROM) from the bottom to the top: go to it, pick it up, move
    order.type("4", " ", UP, UP, UP, " ")
    order.expect("Your order, by item number: 4 1 2 3")
    order.type("3", " ", UP, UP, " ")  # then item 3 just below it
    order.expect("Your order, by item number: 4 3 1 2")
    order.type("2", " ", UP, " ", ENTER)
    assert "Right: 2/2" in order.expect("Enter next question")
    order.type("q")
    order.expect("scores them with the exercises")
    order.close()

    command = start("--question", "list-all-containers")
    command.expect("Your command:")
    command.type(*"docker container ls --al", "x", "\x7f", "l", ENTER)
    assert "Right: 1/1" in command.expect("Enter next question")
    command.type(ENTER)
    command.expect("Your command:")
    command.type(*"docker logs web", ENTER)
    screen = command.expect("Enter next question")
    assert "Not right: 0/1." in screen and "prints the logs so far and stops" in screen
    command.type("q")
    command.expect("scores them with the exercises")
    assert command.close() == 0

    assert answers(tree) == {
        "many-containers-one-image": "1 3 4",
        "order-for-cache": "4 3 2 1",
        "list-all-containers": "docker container ls --all",
        "follow-logs": "docker logs web",
    }


def test_predict_question_shows_its_scenario(start: Callable[..., Terminal]) -> None:
    quiz = start("--question", "rebuild-after-code-edit")
    screen = quiz.expect("q quit")
    assert "$ echo \"print('v2')\" >> app.py" in screen
    assert "The choices are the steps of the Dockerfile" in screen
    assert "5. COPY . ." in screen
    quiz.type("5", ENTER)
    assert "Right: 2/2" in quiz.expect("Enter next question")
    quiz.type("q")
    quiz.expect("scores them with the exercises")
    assert quiz.close() == 0


def test_answers_typed_into_a_pipe(tree: Path) -> None:
    typed = "\n".join(
        [
            "9",  # not a choice: asked again
            "1",
            "",  # skipped
            "1 3",  # one choice only: asked again
            "1",
            "q",
        ]
    )
    done = type_into_quiz(tree, typed + "\n")

    assert done.returncode == 0, done.stderr
    assert "That answer cannot be used: `9` is not one of the numbers 1 to 4" in (
        done.stdout
    )
    assert "`1 3`: choose exactly one number" in done.stdout
    assert "Right: 1/1" in done.stdout
    assert answers(tree) == {"image-vs-container": "1", "docker-run-steps": "1"}


def test_the_summary_never_breaks_a_question_id(tree: Path) -> None:
    done = type_into_quiz(tree, "q\n", env={"COLUMNS": "42"})

    assert done.returncode == 0, done.stderr
    summary = done.stdout.split("Not answered yet: ")[1].split(" more.")[0]
    words = summary.replace(",", " ").split()
    assert "image-vs-container" in words and "many-containers-one-image" in words
    assert all(word in BANK.ids for word in words[:8]), words


def test_an_answers_file_that_is_not_utf8_is_refused_untouched(tree: Path) -> None:
    path = tree / "quiz" / "answers.txt"
    original = "image-vs-container: 1\n# écrit sous Windows\n".encode("cp1252")
    path.write_bytes(original)

    done = type_into_quiz(tree, "1\nq\n")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "answers.txt is not UTF-8 text (line 2" in done.stderr
    assert "Save it as UTF-8" in done.stderr
    assert path.read_bytes() == original


def test_pipe_never_replaces_an_answer_without_a_yes(tree: Path) -> None:
    (tree / "quiz" / "answers.txt").write_text("# mine\npid-one: 2\n")

    done = type_into_quiz(tree, "1\nno\nq\n", "--question", "pid-one", "--plain")

    assert "Replace your saved answer `2` (line 2) with `1`? [y/N]" in done.stdout
    assert (tree / "quiz" / "answers.txt").read_text() == "# mine\npid-one: 2\n"

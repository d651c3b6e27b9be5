"""The answers file, `quiz/answers.txt`: read, checked line by line, and updated.

One answer per line, `question-id: answer`; blank lines and lines starting with `#`
are ignored; everything after the first `: ` is the answer, `#` included (a command
may hold one). A line `question-id:` with nothing after it is a question not yet
answered. The terminal quiz writes the same format, changing only the line of the
question just answered, so a student's comments, order and other answers stay as
they wrote them.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.quiz.bank import Bank

#: Where the answers live, relative to the quiz folder.
ANSWERS_FILE = "answers.txt"
_LINE = re.compile(r"^(?P<id>[^:\s]+)\s*:(?P<answer>.*)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_HEADER = """\
# brickyard quiz answers. `nox -s quiz` fills this file as you answer; you may also
# write it by hand. One line per question: `question-id: answer`. Lines starting
# with # are comments. How to write each kind of answer:
#   single choice      the number of your choice                 e.g.  2
#   multiple choice    the numbers of all your picks             e.g.  1 3   (or: none)
#   ordering           every item number, first item first       e.g.  3 1 4 2
#   command            the command as you would type it          e.g.  docker ps
#   predict            as its question says: a choice, the numbers of the steps
#                      that run again (or none), or a number
# `nox -s grade` scores this file with the exercises. See quiz/README.md.
"""


@dataclass(frozen=True)
class AnswerLine:
    """One answer as written: the question it answers, its text, its line."""

    question_id: str
    text: str
    line: int


@dataclass
class AnswersFile:
    """What an answers file holds: answers by question, and what is wrong in it."""

    path: Path
    exists: bool = True
    answers: dict[str, AnswerLine] = field(default_factory=dict)
    #: Problems with lines, each starting `line N:`.
    problems: list[str] = field(default_factory=list)


class AnswerExists(Exception):
    """The question already has an answer that saving would replace."""

    def __init__(self, previous: AnswerLine) -> None:
        super().__init__(f"line {previous.line} already answers {previous.question_id}")
        self.previous = previous


class AnswersNotText(Exception):
    """The answers file is not UTF-8 text: saving into it would garble what it holds."""

    def __init__(self, path: Path, line: int) -> None:
        self.path = path
        self.line = line
        super().__init__(
            f"{path} is not UTF-8 text (line {line} holds bytes that are not), so the"
            " quiz leaves it untouched rather than save into it. Save it as UTF-8"
            " (most editors: Save As, encoding UTF-8), then run the quiz again."
        )


def read_text(path: Path) -> str:
    """Return the text of the answers file; raise AnswersNotText if not UTF-8."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AnswersNotText(path, raw[: error.start].count(b"\n") + 1) from None


def check_text(path: Path) -> None:
    """Raise AnswersNotText when an existing answers file is not UTF-8 text."""
    if path.is_file():
        read_text(path)


def read_answers(path: Path, bank: Bank | None = None) -> AnswersFile:
    """Read `path`; a missing file is an empty one. Unknown ids need `bank`."""
    if not path.exists():
        return AnswersFile(path, exists=False)
    try:
        raw = path.read_bytes()
    except OSError as error:
        # A folder or an unreadable file where the answers belong.
        result = AnswersFile(path)
        result.problems.append(
            f"line 1: {path.name} cannot be read ({error.strerror or error}); it must"
            " be a plain text file of `question-id: answer` lines"
        )
        return result
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        result = AnswersFile(path)
        result.problems.append(
            f"line {line}: this file is not UTF-8 text; save it as UTF-8 (plain text)"
        )
        text = raw.decode("utf-8-sig", errors="replace")
    else:
        result = AnswersFile(path)
    parse_answers(text, result, bank)
    return result


def parse_answers(text: str, result: AnswersFile, bank: Bank | None = None) -> None:
    """Fold the lines of `text` into `result`: answers, and problems by line."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if match is None:
            result.problems.append(
                f"line {number}: `{shorten(stripped)}` is not `question-id: answer`;"
                " put the question id, a colon, then the answer (or start the line"
                " with # to make it a comment)"
            )
            continue
        question_id, answer = match["id"], match["answer"].strip()
        if not _ID.match(question_id):
            result.problems.append(
                f"line {number}: `{shorten(question_id)}` is not a question id; ids"
                " are lower-case words joined by dashes, as in the quiz"
            )
            continue
        if bank is not None and bank.get(question_id) is None:
            close = difflib.get_close_matches(question_id, bank.ids, n=1)
            guess = f" (did you mean `{close[0]}`?)" if close else ""
            result.problems.append(
                f"line {number}: no question has the id `{question_id}`{guess}; this"
                " answer is not counted"
            )
            continue
        if not answer:
            continue
        earlier = result.answers.get(question_id)
        if earlier is not None:
            result.problems.append(
                f"line {number}: `{question_id}` is answered again (first on line"
                f" {earlier.line}); the answer on line {number} counts, delete the"
                " other"
            )
        result.answers[question_id] = AnswerLine(question_id, answer, number)


def shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def render_template(bank: Bank) -> str:
    """The answers file before any answer: a header, one empty line per question."""
    lines = [_HEADER]
    topic = None
    for number, question in enumerate(bank.questions, start=1):
        if question.topic != topic:
            topic = question.topic
            lines.append(f"\n# {topic}\n")
        lines.append(f"# {number}. {question.title} ({question.type_name})\n")
        lines.append(f"{question.id}:\n")
    return "".join(lines)


def write_template(path: Path, bank: Bank) -> bool:
    """Write the empty answers file unless one exists; tell whether it wrote."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, render_template(bank))
    return True


def save_answer(
    path: Path, bank: Bank, question_id: str, text: str, replace: bool = False
) -> AnswerLine:
    """Record `text` as the answer to `question_id`, changing only its line.

    The file is read again first, so edits made by hand meanwhile are kept. An answer
    already there that differs is replaced only when `replace` is true (the student
    said so); otherwise AnswerExists is raised. A file that is not UTF-8 text is
    left untouched: AnswersNotText is raised.
    """
    if "\n" in text or "\r" in text:
        raise ValueError("an answer is one line")
    write_template(path, bank)
    # Before anything else: a file in another encoding would be rewritten garbled.
    text_now = read_text(path)
    current = read_answers(path, bank)
    previous = current.answers.get(question_id)
    if previous is not None and previous.text != text and not replace:
        raise AnswerExists(previous)

    lines = text_now.splitlines(keepends=True)
    new_line = f"{question_id}: {text}\n"
    target = (
        previous.line - 1 if previous is not None else empty_line_of(lines, question_id)
    )
    if target is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(new_line)
        number = len(lines)
    else:
        lines[target] = new_line
        number = target + 1
    replace_file(path, "".join(lines))
    return AnswerLine(question_id, text, number)


def empty_line_of(lines: list[str], question_id: str) -> int | None:
    """Return the index of the line `question_id:` left empty, if there is one."""
    for index, line in enumerate(lines):
        match = _LINE.match(line.strip())
        if match and match["id"] == question_id and not match["answer"].strip():
            return index
    return None


def replace_file(path: Path, text: str) -> None:
    """Write `text` to `path` in one step: a crash leaves the old file or the new."""
    handle, temporary = tempfile.mkstemp(prefix=".answers-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

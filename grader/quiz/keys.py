"""Answer keys: the clear keys a teacher keeps, and the practice file made from them.

Three modes, chosen by what is there when the quiz is graded:

- keys: a clear keys file given from outside the student's tree (`--quiz-keys FILE`
  or the environment variable BRICKYARD_QUIZ_KEYS naming a file), as CI gets it from
  a secret. This is the integrity mode.
- practice: no keys given, and `quiz/practice.yaml` present. It holds, per question,
  a random salt, the SHA-256 digests of the normalized key and the explanation, so
  the quiz gives feedback at once. The answer spaces are small (a few choices, a few
  orders), so anyone can find a key by trying every answer, as the grader itself does
  to give partial credit: practice mode is feedback, not integrity.
- withheld: neither. Answers are read and saved; nothing can be scored.

The keys file is never looked for in the student's tree: a student could write one.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from grader.quiz import commands
from grader.quiz.bank import NUMBER_RANGE, Bank, Question
from grader.quiz.scoring import AnswerValue, Key, digest, recover
from grader.quiz.yamlfile import YamlFileError, line_of, read_yaml, without_lines

#: Where the clear keys live in the teacher's tree (left out of the student template).
KEYS_PATH = Path("solutions") / "quiz" / "keys.yaml"
#: The practice file, beside the bank: salted digests and explanations.
PRACTICE_FILE = "practice.yaml"
#: The environment variable that names a clear keys file, for CI.
KEYS_ENV = "BRICKYARD_QUIZ_KEYS"

Mode = Literal["keys", "practice", "withheld"]

_PRACTICE_HEADER = """\
# Practice data of the brickyard quiz, written by `brickyard quiz --rehash` from the
# clear keys (solutions/quiz/keys.yaml); do not edit it by hand.
# Per question: a random salt, the SHA-256 digests of the normalized right answer
# (several for a command question) and the explanation the quiz shows after an
# answer. Digests of a choice question can be found by trying every answer, so this
# file gives students feedback, not integrity. To withhold the keys, leave this file
# out of the students' repositories (`brickyard quiz --withhold`) and give CI the
# keys file instead: see docs/quiz-for-teachers.md.
"""


class KeysError(Exception):
    """A keys or practice file cannot be used; every problem is listed."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path}: cannot be used as quiz keys:\n{listing}")


@dataclass
class KeyBook:
    """The keys grading has, and the mode they came in."""

    mode: Mode
    source: Path | None = None
    keys: dict[str, Key] = field(default_factory=dict)
    #: Whether feedback may name the right answer and give the explanation.
    reveal: bool = True
    #: Questions whose key cannot be used, and why (a stale practice file).
    problems: dict[str, str] = field(default_factory=dict)


def keys_given(keys_path: Path | None) -> bool:
    """Tell whether clear keys are named from outside, by option or environment."""
    return keys_path is not None or bool(os.environ.get(KEYS_ENV, "").strip())


def find_keys(quiz_folder: Path, bank: Bank, keys_path: Path | None) -> KeyBook:
    """Return the keys for grading: given from outside, practice, or none."""
    given_by = "--quiz-keys"
    if keys_path is None and os.environ.get(KEYS_ENV, "").strip():
        keys_path = Path(os.environ[KEYS_ENV].strip())
        given_by = f"the environment variable {KEYS_ENV}"
    if keys_path is not None:
        return load_keys(keys_path, bank, given_by)
    practice = quiz_folder / PRACTICE_FILE
    if practice.is_file():
        return load_practice(practice, bank)
    return KeyBook("withheld")


def load_keys(path: Path, bank: Bank, given_by: str = "") -> KeyBook:
    """Read a clear keys file; raise KeysError listing every problem.

    `given_by` says how the file was named (`--quiz-keys`, the environment), so a
    file that is missing or empty gets a message that says what to fix there.
    Reports name the right answers only when the file says `reveal: true`: keys
    given from outside are CI's, and the student reads CI's reports.
    """
    check_keys_file(path, given_by)
    data = read_mapping(
        path, "keys", "question ids mapped to `answer` and `explanation`"
    )
    problems: list[str] = []
    reveal = data.get("reveal", False)
    if not isinstance(reveal, bool):
        problems.append(
            f"line {line_of(data)}: `reveal` is `{reveal}`; write `reveal: true` or"
            " `reveal: false`"
        )
        reveal = False
    entries = data["keys"]
    book = KeyBook("keys", path, reveal=reveal)
    for question_id, entry in entries.items():
        if question_id == "__line__":
            continue
        question = bank.get(str(question_id))
        where = f"line {line_of(entry) or line_of(entries)}: `{question_id}`"
        if question is None:
            problems.append(f"{where}: no question of the bank has this id")
            continue
        try:
            book.keys[question.id] = read_key(question, entry)
        except ValueError as error:
            problems.append(f"{where}: {error}")
    missing = [question_id for question_id in bank.ids if question_id not in entries]
    if missing:
        problems.append(f"no key for: {', '.join(missing)}")
    if problems:
        raise KeysError(path, problems)
    return book


def check_keys_file(path: Path, given_by: str) -> None:
    """Raise KeysError when `path` is missing, not a file, unreadable or empty."""
    named = f"{given_by} names it" if given_by else "it is the keys file"
    copy = "give the path of a copy of the teacher's solutions/quiz/keys.yaml" + (
        f", or leave {given_by} out to grade in practice mode" if given_by else ""
    )
    if not path.exists():
        raise KeysError(path, [f"the file does not exist ({named}); {copy}"])
    if not path.is_file():
        raise KeysError(path, [f"this is a folder, not a file ({named}); {copy}"])
    try:
        text = path.read_bytes()
    except OSError as error:
        raise KeysError(
            path,
            [
                f"the file cannot be read ({error.strerror or error}); make it"
                " readable by the user that runs brickyard"
            ],
        ) from None
    lines = text.decode("utf-8", errors="replace").splitlines()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        raise KeysError(
            path,
            [
                f"the file is empty ({named}), so no question can be scored. In CI"
                " this is what an unset or misspelt secret writes: check that the"
                " secret holds the contents of solutions/quiz/keys.yaml and that"
                " the workflow names it exactly"
            ],
        )


def read_key(question: Question, entry: Any) -> Key:
    """Read one question's key; raise ValueError saying what is wrong."""
    if not isinstance(entry, dict) or "answer" not in entry:
        raise ValueError("give a mapping with `answer` and `explanation`")
    explanation = entry.get("explanation")
    if not isinstance(explanation, str) or not explanation.strip():
        raise ValueError("`explanation` must be text: the quiz shows it after answers")
    unknown = sorted(set(entry) - {"answer", "explanation", "mistakes", "__line__"})
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    answer = without_lines(entry["answer"])
    if question.kind == "command":
        texts = answer if isinstance(answer, list) else [answer]
        if not texts or not all(isinstance(text, str) for text in texts):
            raise ValueError("a command key is a command, or a list of commands")
        accepted = set()
        for text in texts:
            try:
                accepted.add(commands.normalize(text))
            except commands.CommandError as error:
                raise ValueError(f"the key `{text}` cannot be read: {error}") from None
        mistakes = {}
        for text, why in (without_lines(entry.get("mistakes")) or {}).items():
            canonical = commands.normalize(str(text))
            if canonical in accepted:
                raise ValueError(f"the mistake `{text}` is an accepted answer")
            mistakes[canonical] = str(why).strip()
        return Key(
            question.id,
            None,
            commands=tuple(texts),
            explanation=explanation.strip(),
            mistakes=mistakes,
        )
    if "mistakes" in entry:
        raise ValueError("`mistakes` is for command questions only")
    return Key(
        question.id, read_value(question, answer), explanation=explanation.strip()
    )


def read_value(question: Question, answer: Any) -> AnswerValue:
    """Check a key's answer against its question's shape; return it normalized."""
    count = len(question.choices)
    kind = question.kind
    if kind in ("choice", "number"):
        if not isinstance(answer, int) or isinstance(answer, bool):
            raise ValueError(
                f"the answer of a {question.type_name} question is a number"
            )
        allowed = range(1, count + 1) if kind == "choice" else NUMBER_RANGE
        if answer not in allowed:
            raise ValueError(
                f"the answer {answer} is outside {allowed.start} to {allowed.stop - 1}"
            )
        return answer
    if not isinstance(answer, list) or not all(
        isinstance(item, int) and 1 <= item <= count for item in answer
    ):
        raise ValueError(f"the answer must list numbers from 1 to {count}")
    if len(set(answer)) != len(answer):
        raise ValueError("the answer lists a number twice")
    if kind == "choices":
        return frozenset(answer)
    if sorted(answer) != list(range(1, count + 1)):
        raise ValueError(f"an order lists every number from 1 to {count} once")
    return tuple(answer)


def load_practice(path: Path, bank: Bank) -> KeyBook:
    """Read the practice file, finding each key from its digests."""
    data = read_mapping(path, "questions", "question ids mapped to salt and digests")
    entries = data["questions"]
    book = KeyBook("practice", path)
    stale = (
        "the practice data of this question does not match the bank; the teacher"
        " runs `brickyard quiz --rehash`"
    )
    for question in bank.questions:
        entry = entries.get(question.id)
        if not isinstance(entry, dict) or not isinstance(entry.get("salt"), str):
            book.problems[question.id] = stale
            continue
        salt = entry["salt"]
        digests = {str(item) for item in entry.get("digests") or []}
        value = None
        if question.kind != "command":
            value = recover(question, salt, digests)
            if value is None:
                book.problems[question.id] = stale
                continue
        book.keys[question.id] = Key(
            question.id,
            value,
            salt=salt,
            digests=frozenset(digests),
            explanation=str(entry.get("explanation") or "").strip(),
            mistakes={
                str(text): str(why)
                for text, why in (without_lines(entry.get("mistakes")) or {}).items()
            },
        )
    return book


def read_mapping(path: Path, key: str, what: str) -> dict[str, Any]:
    """Read a YAML file whose `key` must be a mapping; raise KeysError if not."""
    try:
        data = read_yaml(path)
    except YamlFileError as error:
        raise KeysError(path, [str(error)]) from None
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise KeysError(path, [f"`{key}` must be a mapping of {what}"])
    return data


def render_practice(
    book: KeyBook, bank: Bank, salts: dict[str, str] | None = None
) -> str:
    """Write the practice file for clear keys, keeping the salts already given."""
    salts = salts or {}
    questions: dict[str, Any] = {}
    for question in bank.questions:
        key = book.keys[question.id]
        salt = salts.get(question.id) or secrets.token_hex(8)
        if question.kind == "command":
            values: list[AnswerValue] = sorted(
                {commands.normalize(text) for text in key.commands}
            )
        else:
            assert key.value is not None
            values = [key.value]
        entry: dict[str, Any] = {
            "salt": salt,
            "digests": [digest(question.id, salt, value) for value in values],
            "explanation": key.explanation,
        }
        if key.mistakes:
            entry["mistakes"] = dict(sorted(key.mistakes.items()))
        questions[question.id] = entry
    body = yaml.dump(
        {"questions": questions},
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
    )
    return _PRACTICE_HEADER + body


def practice_salts(path: Path) -> dict[str, str]:
    """Return the salts of an existing practice file, so a rehash keeps them."""
    try:
        data = read_yaml(path)
    except YamlFileError:
        return {}
    entries = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {
        str(question_id): str(entry["salt"])
        for question_id, entry in entries.items()
        if isinstance(entry, dict) and isinstance(entry.get("salt"), str)
    }


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text as `|` blocks, so explanations stay readable."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_text)

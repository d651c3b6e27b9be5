"""Answers read, normalized, hashed and scored, one rule per kind of answer.

Points are whole numbers (GitHub Classroom and Gradescope add integers):

- choice, number, command: all the points for the right answer, none otherwise. A
  command is right when it means the same as an accepted one, however it is spelled
  (grader/quiz/commands.py).
- choices (multiple choice, and the steps of a predict question): all the points for
  exactly the right set; otherwise `points * (right picks - wrong picks) / right
  choices`, rounded down, and never below 0. With 2 points: 1 point when the right
  picks outnumber the wrong ones by at least half the right choices.
- order: all the points for the exact order; otherwise `points * (pairs in the right
  order - pairs the wrong way round) / pairs`, rounded down, never below 0. With 2
  points: 1 point when at least three in four pairs of items are in the right order
  relative to each other (one swap of neighbours among four or more items).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from grader.quiz import commands
from grader.quiz.bank import NUMBER_RANGE, Question

#: A normalized answer: a choice or a number, a set of choices, an order, a command.
AnswerValue = int | frozenset[int] | tuple[int, ...] | str

_SEPARATORS = re.compile(r"[\s,;]+")
_NONE_WORDS = ("none", "-", "nothing", "no step", "no steps")


class AnswerError(ValueError):
    """An answer cannot be read for its question; the message says how to write it."""


def read_answer(question: Question, text: str) -> AnswerValue:
    """Read what a student wrote for `question`; raise AnswerError saying why not."""
    text = text.strip()
    if not text:
        raise AnswerError("the answer is empty")
    kind = question.kind
    if kind == "command":
        if "\n" in text:
            raise AnswerError("write the command on one line")
        try:
            return commands.normalize(text)
        except commands.CommandError as error:
            raise AnswerError(f"`{text}` is not a docker command: {error}") from None
    if kind == "number":
        if not re.fullmatch(r"[+]?\d+", text):
            raise AnswerError(f"`{text}` is not a whole number; write digits, e.g. 3")
        return int(text)

    count = len(question.choices)
    if kind == "choices" and text.lower() in _NONE_WORDS:
        return frozenset()
    words = [word for word in _SEPARATORS.split(text.strip("[]() ")) if word]
    numbers = []
    for word in words:
        if not word.isdigit() or not 1 <= int(word) <= count:
            raise AnswerError(
                f"`{word}` is not one of the numbers 1 to {count}"
                + (
                    "; write the numbers of your picks, e.g. `1 3`, or `none`"
                    if kind == "choices"
                    else ""
                )
            )
        numbers.append(int(word))
    if kind == "choice":
        if len(numbers) != 1:
            raise AnswerError(f"`{text}`: choose exactly one number, 1 to {count}")
        return numbers[0]
    if kind == "choices":
        return frozenset(numbers)
    missing = sorted(set(range(1, count + 1)) - set(numbers))
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    if missing or repeated:
        parts = []
        if missing:
            parts.append(f"it leaves out {', '.join(map(str, missing))}")
        if repeated:
            parts.append(f"it repeats {', '.join(map(str, repeated))}")
        raise AnswerError(
            f"`{text}` is not an order of all {count} items: {' and '.join(parts)};"
            f" write each number from 1 to {count} once, first item first"
        )
    return tuple(numbers)


def encode(value: AnswerValue) -> str:
    """The text a value is hashed as: one string per normalized answer."""
    if isinstance(value, frozenset):
        return ",".join(str(number) for number in sorted(value)) or "none"
    if isinstance(value, tuple):
        return ",".join(str(number) for number in value)
    return str(value)


def show(value: AnswerValue) -> str:
    """Write a value as a student writes it in the answers file."""
    if isinstance(value, frozenset):
        return " ".join(str(number) for number in sorted(value)) or "none"
    if isinstance(value, tuple):
        return " ".join(str(number) for number in value)
    return str(value)


def digest(question_id: str, salt: str, value: AnswerValue) -> str:
    """The salted SHA-256 of a normalized answer, as practice mode stores keys."""
    text = f"brickyard-quiz\0{question_id}\0{salt}\0{encode(value)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def candidates(question: Question) -> Iterator[AnswerValue]:
    """Every answer a question can have, except commands: small by construction."""
    numbers = range(1, len(question.choices) + 1)
    if question.kind == "choice":
        yield from numbers
    elif question.kind == "choices":
        for size in range(len(numbers) + 1):
            for subset in itertools.combinations(numbers, size):
                yield frozenset(subset)
    elif question.kind == "order":
        yield from itertools.permutations(numbers)
    elif question.kind == "number":
        yield from NUMBER_RANGE


def recover(question: Question, salt: str, digests: set[str]) -> AnswerValue | None:
    """Find the answer whose digest practice mode stores, by trying every answer.

    This is what makes practice mode feedback, not integrity: anyone can run it.
    """
    for value in candidates(question):
        if digest(question.id, salt, value) in digests:
            return value
    return None


@dataclass(frozen=True)
class Key:
    """What the scorer knows of one question's right answer."""

    question_id: str
    #: The right answer; None for a command question known only by digests.
    value: AnswerValue | None
    #: Accepted commands as the key spells them (clear keys only).
    commands: tuple[str, ...] = ()
    salt: str = ""
    #: Digests of the accepted commands (practice mode).
    digests: frozenset[str] = frozenset()
    explanation: str = ""
    #: What a tempting wrong command does instead, by its canonical spelling.
    mistakes: dict[str, str] = field(default_factory=dict)

    def accepts(self, command: str) -> bool:
        """Tell whether a canonical command is one the key accepts."""
        if command in {commands.normalize(text) for text in self.commands}:
            return True
        return bool(self.salt) and digest(self.question_id, self.salt, command) in (
            self.digests
        )

    def right_answer(self) -> str:
        """The key as a student would write it, or '' when only digests are known."""
        if self.commands:
            return " or ".join(f"`{text}`" for text in self.commands)
        return "" if self.value is None else show(self.value)


@dataclass(frozen=True)
class Verdict:
    """One answer scored: its points, and what was wrong without giving the key."""

    score: int
    max_score: int
    wrong: str = ""

    @property
    def passed(self) -> bool:
        return self.score == self.max_score


def score(
    question: Question, key: Key, value: AnswerValue, written: str = ""
) -> Verdict:
    """Score a read answer against the key, by the rule of its kind.

    `written` is the answer as the student wrote it: a wrong command is shown back
    that way, not in the canonical spelling it was compared in.
    """
    points = question.points
    kind = question.kind
    if kind == "command":
        assert isinstance(value, str)
        if key.accepts(value):
            return Verdict(points, points)
        return Verdict(0, points, command_feedback(key, value, written))
    if kind in ("choice", "number"):
        if value == key.value:
            return Verdict(points, points)
        said = f"choice {value}" if kind == "choice" else str(value)
        return Verdict(0, points, f"Your answer, {said}, is not right.")
    if kind == "choices":
        assert isinstance(value, frozenset) and isinstance(key.value, frozenset)
        return score_choices(points, key.value, value)
    assert isinstance(value, tuple) and isinstance(key.value, tuple)
    return score_order(points, key.value, value)


def command_feedback(key: Key, value: str, written: str) -> str:
    """What a wrong command does, when the key knows, and what to look at next."""
    shown = written.strip() or value
    extra = key.mistakes.get(value, "")
    step = commands.next_step(
        commands.settle_defaults(commands.parse(written or value)),
        [commands.settle_defaults(commands.parse(text)) for text in key.commands],
    )
    said = f"`{shown}` does not do what was asked"
    if extra:
        return f"{said}: {extra.rstrip('.')}. Next: {step}."
    return f"{said}: {step}."


def score_choices(points: int, key: frozenset[int], given: frozenset[int]) -> Verdict:
    """Score a set of picks: right picks minus wrong picks, over the right choices."""
    if given == key:
        return Verdict(points, points)
    hits = len(given & key)
    wrong = len(given - key)
    missing = len(key - given)
    earned = max(0, points * (hits - wrong) // len(key)) if key else 0
    parts = []
    if wrong:
        parts.append(f"{plural(wrong, 'of your picks is', 'of your picks are')} wrong")
    if missing:
        parts.append(
            plural(missing, "right choice is", "right choices are") + " not picked"
        )
    return Verdict(earned, points, sentence(" and ".join(parts)))


def score_order(points: int, key: tuple[int, ...], given: tuple[int, ...]) -> Verdict:
    """Score an order: pairs in the right order minus pairs the wrong way round."""
    if given == key:
        return Verdict(points, points)
    rank = {item: index for index, item in enumerate(key)}
    pairs = list(itertools.combinations(given, 2))
    reversed_pairs = sum(1 for first, second in pairs if rank[first] > rank[second])
    right_pairs = len(pairs) - reversed_pairs
    earned = max(0, points * (right_pairs - reversed_pairs) // len(pairs))
    first_off = next(
        position
        for position, (a, b) in enumerate(zip(given, key, strict=True))
        if a != b
    )
    return Verdict(
        earned,
        points,
        f"{reversed_pairs} of the {len(pairs)} pairs of items"
        f" {'is' if reversed_pairs == 1 else 'are'} the wrong way round; the first"
        f" item out of place is at your position {first_off + 1}.",
    )


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def sentence(text: str) -> str:
    return (text[:1].upper() + text[1:] + ".") if text else ""

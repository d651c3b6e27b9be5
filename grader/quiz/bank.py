"""The question bank: `quiz/bank/*.yaml` loaded into typed questions and checked.

Each bank file covers one topic and lists its questions in the order the quiz asks
them; files are read in name order (`01-images.yaml`, `02-dockerfile.yaml`, ...).
The bank holds what a student sees before answering. The keys and explanations live
in `solutions/quiz/keys.yaml` (teacher-only); practice mode copies the explanations
and salted hashes of the keys into `quiz/practice.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from grader.quiz.scenarios import Scenario, ScenarioError, load_scenario, step_text
from grader.quiz.yamlfile import YamlFileError, line_of, read_yaml

QuestionType = Literal["single", "multiple", "ordering", "command", "predict"]
PredictForm = Literal["single", "steps", "number"]
#: The shape of an answer, which decides how it is read, hashed and scored.
AnswerKind = Literal["choice", "choices", "order", "command", "number"]

BANK_FOLDER = "bank"
SCENARIO_FOLDER = "scenarios"
QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")

#: Points when a question does not say: 2 where partial credit is possible.
DEFAULT_POINTS: dict[AnswerKind, int] = {
    "choice": 1,
    "choices": 2,
    "order": 2,
    "command": 1,
    "number": 1,
}
#: Bounds that keep the practice-mode search of an answer space small.
MAX_CHOICES = 9
MAX_ORDER_ITEMS = 7
MAX_STEPS = 12
#: Numbers a `number` question may have as its answer.
NUMBER_RANGE = range(0, 201)

TYPE_NAMES: dict[str, str] = {
    "single": "single choice",
    "multiple": "multiple choice",
    "ordering": "ordering",
    "command": "command",
    "predict": "predict",
}
PREDICT_NAMES: dict[str, str] = {
    "single": "predict: choose one",
    "steps": "predict: which steps run again",
    "number": "predict: a number",
}


@dataclass(frozen=True)
class Choice:
    """A choice (or an item to order) as the student reads it."""

    text: str
    #: For a predict question: what its scenario measures when this choice is right.
    value: str | None = None


@dataclass(frozen=True)
class Question:
    """One question of the bank."""

    id: str
    type: QuestionType
    topic: str
    title: str
    prompt: str
    points: int
    #: The choices (single, multiple, predict), or the items to order (ordering).
    choices: tuple[Choice, ...] = ()
    form: PredictForm | None = None
    scenario: Scenario | None = None
    hint: str = ""
    source: str = ""

    @property
    def kind(self) -> AnswerKind:
        """The shape of this question's answer."""
        if self.type == "single" or (self.type == "predict" and self.form == "single"):
            return "choice"
        if self.type == "multiple" or (self.type == "predict" and self.form == "steps"):
            return "choices"
        if self.type == "ordering":
            return "order"
        if self.type == "command":
            return "command"
        return "number"

    @property
    def type_name(self) -> str:
        if self.type == "predict":
            return PREDICT_NAMES[self.form or "single"]
        return TYPE_NAMES[self.type]


@dataclass(frozen=True)
class Bank:
    """Every question, in the order the quiz asks them."""

    folder: Path
    questions: tuple[Question, ...]

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def ids(self) -> list[str]:
        return [question.id for question in self.questions]

    @property
    def max_score(self) -> int:
        return sum(question.points for question in self.questions)

    def topics(self) -> list[str]:
        seen: list[str] = []
        for question in self.questions:
            if question.topic not in seen:
                seen.append(question.topic)
        return seen


class BankError(Exception):
    """The bank cannot be used; every problem is listed with its file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"The quiz bank has {count}:\n{listing}")


def has_bank(quiz_folder: Path) -> bool:
    """Tell whether `quiz_folder` holds a question bank."""
    return any((quiz_folder / BANK_FOLDER).glob("*.yaml"))


def load_bank(quiz_folder: Path) -> Bank:
    """Load every bank file of `quiz_folder`; raise BankError listing all problems."""
    files = sorted((quiz_folder / BANK_FOLDER).glob("*.yaml"))
    if not files:
        raise BankError([f"{quiz_folder / BANK_FOLDER}: holds no bank files (*.yaml)"])
    problems: list[str] = []
    questions: list[Question] = []
    for path in files:
        questions += read_bank_file(path, quiz_folder / SCENARIO_FOLDER, problems)
    seen: dict[str, str] = {}
    for question in questions:
        if question.id in seen:
            problems.append(
                f"{question.source}: the id `{question.id}` is used again (first at"
                f" {seen[question.id]}); ids must be unique"
            )
        seen.setdefault(question.id, question.source)
    if problems:
        raise BankError(problems)
    return Bank(quiz_folder, tuple(questions))


def read_bank_file(path: Path, scenarios: Path, problems: list[str]) -> list[Question]:
    """Read one topic's file; add what is wrong to `problems`."""
    try:
        data = read_yaml(path)
    except YamlFileError as error:
        problems.append(str(error))
        return []
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        problems.append(f"{path}: must be a mapping with `topic` and `questions`")
        return []
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        problems.append(f"{path}: line {line_of(data)}: `topic` must name the topic")
        topic = path.stem
    questions = []
    for entry in data["questions"]:
        where = f"{path}: line {line_of(entry)}"
        try:
            questions.append(read_question(entry, topic, scenarios, where))
        except _Invalid as invalid:
            problems.append(f"{where}: {invalid}")
    return questions


class _Invalid(ValueError):
    """One question is not valid."""


def read_question(entry: Any, topic: str, scenarios: Path, where: str) -> Question:
    """Turn one bank entry into a Question; raise _Invalid saying what to fix."""
    if not isinstance(entry, dict):
        raise _Invalid("each question must be a mapping (id, type, title, prompt, ...)")
    question_id = entry.get("id")
    if not isinstance(question_id, str) or not QUESTION_ID.match(question_id):
        raise _Invalid(
            f"`id` is {question_id!r}; use 2 to 63 lower-case letters, digits and"
            " dashes"
        )
    label = f"question `{question_id}`"
    kind = entry.get("type")
    if kind not in get_args(QuestionType):
        raise _Invalid(
            f"{label}: `type` is {kind!r}; choose one of"
            f" {', '.join(get_args(QuestionType))}"
        )
    known = {
        "id",
        "type",
        "title",
        "prompt",
        "points",
        "choices",
        "items",
        "form",
        "scenario",
        "hint",
        "__line__",
    }
    unknown = sorted(set(entry) - known)
    if unknown:
        raise _Invalid(f"{label}: unknown field(s) {', '.join(map(str, unknown))}")
    for name in ("title", "prompt"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise _Invalid(f"{label}: `{name}` must be text")
    hint = entry.get("hint", "")
    if not isinstance(hint, str):
        raise _Invalid(f"{label}: `hint` must be text")

    form: PredictForm | None = None
    scenario: Scenario | None = None
    choices: tuple[Choice, ...] = ()
    if kind in ("single", "multiple"):
        choices = read_choices(entry.get("choices"), label, "choices", valued=False)
    elif kind == "ordering":
        choices = read_choices(entry.get("items"), label, "items", valued=False)
        if len(choices) > MAX_ORDER_ITEMS:
            raise _Invalid(f"{label}: order at most {MAX_ORDER_ITEMS} items")
    elif kind == "predict":
        form = entry.get("form")
        if form not in get_args(PredictForm):
            raise _Invalid(
                f"{label}: `form` is {form!r}; choose one of"
                f" {', '.join(get_args(PredictForm))}"
            )
        name = entry.get("scenario", question_id)
        try:
            scenario = load_scenario(scenarios / str(name))
        except ScenarioError as error:
            raise _Invalid(f"{label}: {error}") from None
        if form == "single":
            choices = read_choices(entry.get("choices"), label, "choices", valued=True)
        elif form == "steps":
            if "choices" in entry:
                raise _Invalid(
                    f"{label}: a steps question takes its choices from the scenario's"
                    " Dockerfile; remove `choices`"
                )
            if scenario.measure != "rebuilt":
                raise _Invalid(f"{label}: a steps question needs `measure: rebuilt`")
            choices = tuple(Choice(step_text(step)) for step in scenario.steps())
            if len(choices) > MAX_STEPS:
                raise _Invalid(f"{label}: a steps question has at most {MAX_STEPS}")
        elif scenario.measure not in ("layers", "line-count"):
            raise _Invalid(
                f"{label}: a number question needs `measure: layers` or `line-count`"
            )
    if kind not in ("single", "multiple", "predict") and "choices" in entry:
        raise _Invalid(f"{label}: a {kind} question has no `choices`")

    question = Question(
        question_id,
        cast(QuestionType, kind),
        topic,
        entry["title"].strip(),
        entry["prompt"].rstrip(),
        0,
        choices,
        form,
        scenario,
        hint.strip(),
        where,
    )
    points = entry.get("points", DEFAULT_POINTS[question.kind])
    if not isinstance(points, int) or isinstance(points, bool) or points < 1:
        raise _Invalid(f"{label}: `points` is {points!r}; give a whole number >= 1")
    return Question(**{**question.__dict__, "points": points})


def read_choices(raw: Any, label: str, field: str, valued: bool) -> tuple[Choice, ...]:
    """Read a list of choices: text, or `{text, value}` for a predict question."""
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_CHOICES:
        raise _Invalid(f"{label}: `{field}` must list 2 to {MAX_CHOICES} entries")
    choices = []
    for item in raw:
        if valued:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("text"), str)
                and isinstance(item.get("value"), (str, int))
            ):
                raise _Invalid(
                    f"{label}: each choice of a predict question is `{{text, value}}`:"
                    " the text shown and the outcome its scenario measures"
                )
            choices.append(Choice(item["text"].strip(), str(item["value"])))
        elif isinstance(item, str) and item.strip():
            choices.append(Choice(item.strip()))
        else:
            raise _Invalid(f"{label}: each entry of `{field}` must be text")
    texts = [choice.text for choice in choices]
    if len(set(texts)) != len(texts):
        raise _Invalid(f"{label}: two entries of `{field}` read the same")
    if valued:
        values = [choice.value for choice in choices]
        if len(set(values)) != len(values):
            raise _Invalid(f"{label}: two choices have the same `value`")
    return tuple(choices)

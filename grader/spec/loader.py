"""Loading `exercise.yaml` into an Exercise, or a SpecError that lists every problem."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from grader.checks.registry import all_kinds
from grader.spec.errors import Problem, SpecError
from grader.spec.fields import bounded, parse_dataclass
from grader.spec.model import (
    CheckSpec,
    ComposeSpec,
    ContainerSpec,
    Exercise,
    ImageSpec,
)

SPEC_FILE = "exercise.yaml"
_EXERCISE_ID = re.compile(r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*$")
_CHECK_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: A Debian package name: lower case letters, digits, + - and ., two or more.
_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


@dataclass
class _CheckFields:
    id: str
    kind: str
    title: str
    points: int
    feedback: str
    hint: str
    params: dict[str, Any] = field(default_factory=dict)
    #: Who sees the result: everyone, the teacher only, or all after the due date.
    visibility: Literal["visible", "hidden", "after_due_date"] = "visible"


@dataclass
class _ExerciseFields:
    id: str
    title: str
    concept: str
    #: Read one by one into _CheckFields, so each reports its own problems.
    checks: list[Any]
    image: ImageSpec = field(default_factory=ImageSpec)
    container: ContainerSpec = field(default_factory=ContainerSpec)
    compose: ComposeSpec = field(default_factory=ComposeSpec)
    starter_fails: list[str] = field(default_factory=list)
    #: Seconds all the exercise's checks may take together.
    deadline: int = bounded(600, 1, 3600, "seconds")


def load_exercise(folder: Path) -> Exercise:
    """Load `folder/exercise.yaml`; raise SpecError naming every problem and its fix."""
    path = folder / SPEC_FILE
    problems: list[Problem] = []
    raw = read_yaml(path, problems)
    if problems:
        raise SpecError(path, problems)

    # The checks are read one by one, so that a problem in one still lets the others,
    # and the rest of the spec, report theirs.
    fields = parse_dataclass(_ExerciseFields, raw, "", problems)
    raw_checks = raw.get("checks") if isinstance(raw, dict) else None
    checks = [
        check
        for index, item in enumerate(raw_checks if isinstance(raw_checks, list) else [])
        if (parsed := parse_dataclass(_CheckFields, item, f"checks[{index}]", problems))
        and (check := build_check(parsed, index, problems))
    ]
    if fields is None:
        raise SpecError(path, problems)

    identity_problems(fields, folder, problems)
    package_problems(fields.image, problems)
    if not fields.checks:
        problems.append(Problem("checks", "is empty", "list at least one check"))
    check_problems(raw_checks or [], fields.starter_fails, problems)
    if problems:
        raise SpecError(path, problems)
    return Exercise(
        id=fields.id,
        title=fields.title,
        concept=fields.concept,
        folder=folder,
        checks=tuple(checks),
        image=fields.image,
        container=fields.container,
        compose=fields.compose,
        starter_fails=tuple(fields.starter_fails),
        deadline=fields.deadline,
    )


def identity_problems(
    fields: _ExerciseFields, folder: Path, problems: list[Problem]
) -> None:
    """The id must read NN-slug and match the folder's name."""
    if not _EXERCISE_ID.match(fields.id):
        problems.append(
            Problem(
                "id",
                f"{fields.id!r} is not of the form NN-slug",
                "write e.g. `id: 01-first-image`",
            )
        )
    elif fields.id != folder.name:
        problems.append(
            Problem(
                "id",
                f"{fields.id!r} differs from the folder name {folder.name!r}",
                f"write `id: {folder.name}` or rename the folder",
            )
        )


def package_problems(image: ImageSpec, problems: list[Problem]) -> None:
    """`image.packages` goes with `network: packages`, and names Debian packages."""
    if image.network == "packages" and not image.packages:
        problems.append(
            Problem(
                "image.packages",
                "is empty, yet `network: packages` asks for an offline package cache",
                "list the Debian packages the build installs, e.g. `packages: [jq]`",
            )
        )
    if image.packages and image.network != "packages":
        problems.append(
            Problem(
                "image.packages",
                f"lists packages, yet the build's network is {image.network!r}",
                "write `network: packages` beside it, or remove `packages`",
            )
        )
    for index, name in enumerate(image.packages):
        if not _PACKAGE_NAME.match(name):
            problems.append(
                Problem(
                    f"image.packages[{index}]",
                    f"{name!r} is not a Debian package name",
                    "write names as apt knows them: lower case, digits, + - . (jq)",
                )
            )


def read_yaml(path: Path, problems: list[Problem]) -> object:
    """Read `path` as YAML, turning a missing file or a syntax error into a Problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(
            Problem("(file)", "does not exist", f"create {path.name} in {path.parent}")
        )
        return None
    except (UnicodeDecodeError, OSError) as error:
        problems.append(
            Problem(
                "(file)",
                f"cannot be read as UTF-8 text: {error}",
                "save it as UTF-8 text",
            )
        )
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = getattr(error, "problem", None) or str(error)
        problems.append(
            Problem(
                where,
                f"is not valid YAML: {reason}",
                "fix the YAML syntax there (indentation, colons, quotes)",
            )
        )
        return None


def build_check(
    raw: _CheckFields, index: int, problems: list[Problem]
) -> CheckSpec | None:
    """Validate one check's kind and parameters; return it, or None with problems."""
    where = f"checks[{index}]"
    before = len(problems)
    if not _CHECK_ID.match(raw.id):
        problems.append(
            Problem(
                f"{where}.id",
                f"{raw.id!r} is not a lowercase slug",
                "use lowercase letters, digits and dashes, e.g. `serves-http`",
            )
        )
    if raw.points < 0:
        problems.append(
            Problem(
                f"{where}.points", f"{raw.points} is negative", "give 0 or more points"
            )
        )
    kinds = all_kinds()
    kind = kinds.get(raw.kind)
    if kind is None:
        close = difflib.get_close_matches(raw.kind, list(kinds), n=1)
        fix = (
            f"did you mean `{close[0]}`?"
            if close
            else "use one of: " + ", ".join(sorted(kinds))
        )
        problems.append(
            Problem(f"{where}.kind", f"{raw.kind!r} is not a check kind", fix)
        )
        return None
    params = parse_dataclass(kind.params, raw.params, f"{where}.params", problems)
    if params is None or len(problems) > before:
        return None
    return CheckSpec(
        raw.id,
        raw.kind,
        raw.title,
        raw.points,
        raw.feedback.strip(),
        raw.hint.strip(),
        params,
        raw.visibility,
    )


def check_problems(
    raw_checks: list[Any], starter_fails: list[str], problems: list[Problem]
) -> None:
    """Find problems that span checks: repeated ids, unknown ids in starter_fails."""
    seen: set[str] = set()
    for index, check in enumerate(raw_checks):
        check_id = check.get("id") if isinstance(check, dict) else None
        if not isinstance(check_id, str):
            continue
        if check_id in seen:
            problems.append(
                Problem(
                    f"checks[{index}].id",
                    f"{check_id!r} is used twice",
                    "give every check its own id",
                )
            )
        seen.add(check_id)
    for index, check_id in enumerate(starter_fails):
        if check_id not in seen:
            problems.append(
                Problem(
                    f"starter_fails[{index}]",
                    f"{check_id!r} is not the id of a check",
                    "use ids from `checks`: " + ", ".join(sorted(seen)),
                )
            )

"""Keeping each exercise's prompt in step with its spec: the generated grading table.

A prompt (`exercises/NN-slug/README.md`) holds its grading table between two marker
lines; `nox -s docs` rewrites what is between them from `exercise.yaml` with a Jinja2
template, and a test fails when a prompt's table is stale.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jinja2

from grader.checks.registry import all_kinds
from grader.spec import load_exercise

BEGIN = "<!-- grading table: generated from exercise.yaml by `nox -s docs` -->"
END = "<!-- end of grading table -->"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("grader", "templates"),
    keep_trailing_newline=True,
    autoescape=False,
)


class PromptError(Exception):
    """A prompt lacks the markers its grading table goes between."""


#: The most characters of one parameter value a grading table shows.
_LONGEST = 60
#: Parameters measured in seconds, named without a unit of their own.
_SECONDS = {"within", "grace", "timeout", "startup"}


def grading_table(folder: Path) -> str:
    """Render the grading table of the exercise in `folder`.

    Each row says what the check's kind looks at, then the check's own parameters
    (its bounds, paths, ports); a hidden check keeps its parameters to itself.
    """
    exercise = load_exercise(folder)
    summaries = {name: kind.summary for name, kind in all_kinds().items()}
    details = {
        check.id: describe_params(check.params)
        for check in exercise.checks
        if check.visibility == "visible"
    }
    template = _TEMPLATES.get_template("grading-table.md.j2")
    return template.render(
        checks=exercise.checks,
        summaries=summaries,
        details=details,
        max_score=exercise.max_score,
        number=exercise.number,
    )


def describe_params(params: object) -> str:
    """Render a check's parameters for a table cell: `port 8000, max added 10 MB`.

    Fields left at an empty or false value are left out, and so are defaults but
    numbers, which are the bounds a student needs to know even when unchanged.
    """
    if params is None or not dataclasses.is_dataclass(params):
        return ""
    parts = []
    for item in dataclasses.fields(params):
        value = getattr(params, item.name)
        if value is None or value is False or value in ([], {}, ""):
            continue
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number and value == field_default(item):
            continue
        name, unit = item.name, ""
        if name.endswith("_mb"):
            name, unit = name.removesuffix("_mb"), " MB"
        elif name in _SECONDS or name.endswith("_seconds"):
            name, unit = name.removesuffix("_seconds"), " s"
        label = name.strip("_").replace("_", " ")
        if value is True:
            parts.append(label)
        else:
            parts.append(f"{label} {describe_value(value)}{unit}")
    return ", ".join(parts).replace("|", "\\|").replace("\n", " ")


def field_default(item: dataclasses.Field[Any]) -> object:
    """Return a dataclass field's default value, or a marker when it has none."""
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return dataclasses.MISSING


def describe_value(value: object) -> str:
    """Render one parameter value: numbers plain, text quoted as code, lists joined."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return f"({describe_params(value)})"
    if isinstance(value, dict):
        pairs = [f"{key}={plain(item)}" for key, item in value.items()]
        return f"`{shorten(' '.join(pairs))}`" if pairs else "none"
    if isinstance(value, list | tuple):
        shown: list[str] = []
        for item in value:
            if sum(len(text) for text in shown) > _LONGEST:
                shown.append("…")
                break
            text = describe_value(item)
            shown.append(f"({text})" if isinstance(item, list | tuple) else text)
        return ", ".join(shown)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    return f"`{shorten(str(value))}`"


def plain(value: object) -> str:
    """Render a value inside a code span: lists joined by commas, no brackets."""
    if isinstance(value, list | tuple):
        return ",".join(plain(item) for item in value)
    return str(value)


def shorten(text: str) -> str:
    """Cut a long value (a whole shell command, say): the table shows its start."""
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1].rstrip() + "…"


def render_classroom_workflow(
    folders: list[Path], integrity: dict[str, str] | None = None, quiz: bool = False
) -> str:
    """Render .github/workflows/classroom.yml: one reporter runner per exercise.

    `integrity` (the student template's, see grader/teacher/export.py) pins the
    SHA-256 of `brickyard.lock` (`lock`) and of its verifier (`verifier`): the
    workflow then checks the teacher's files first and grades with their specs.
    With `quiz`, the concepts quiz is one more runner.
    """
    exercises = [
        {"id": folder.name, "number": folder.name[:2], "runner": f"ex{folder.name[:2]}"}
        for folder in folders
    ]
    if quiz:
        exercises.append(
            {"id": "the concepts quiz", "number": "quiz", "runner": "quiz"}
        )
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader", "templates"),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    return environment.get_template("classroom.yml.j2").render(
        exercises=exercises, integrity=integrity
    )


def render_prompt(folder: Path) -> str:
    """Return the exercise's README.md with its grading table regenerated."""
    path = folder / "README.md"
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise PromptError(
            f"{path} has no grading table markers; add the lines\n{BEGIN}\n{END}\n"
            "where the table belongs."
        )
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{grading_table(folder)}{END}{tail}"

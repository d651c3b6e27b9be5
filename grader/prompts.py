"""Keeping each exercise's prompt in step with its spec: the generated grading table.

A prompt (`exercises/NN-slug/README.md`) holds its grading table between two marker
lines; `nox -s docs` rewrites what is between them from `exercise.yaml` with a Jinja2
template, and a test fails when a prompt's table is stale.
"""

from __future__ import annotations

from pathlib import Path

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


def grading_table(folder: Path) -> str:
    """Render the grading table of the exercise in `folder`."""
    exercise = load_exercise(folder)
    summaries = {name: kind.summary for name, kind in all_kinds().items()}
    template = _TEMPLATES.get_template("grading-table.md.j2")
    return template.render(
        checks=exercise.checks,
        summaries=summaries,
        max_score=exercise.max_score,
        number=exercise.number,
    )


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

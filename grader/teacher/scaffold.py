"""Scaffolding a new exercise: `nox -s new -- NN-slug` writes a working first draft.

The draft is a complete exercise that `nox -s validate` already accepts: a prompt
with its grading table, an `exercise.yaml`, a starter that fails two checks, a small
app, a solution that earns full marks and, in the teacher's repository, two scenario
answers for the test suite. The author then replaces its task and checks with the
exercise's own (docs/authoring.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader.prompts import render_prompt
from grader.spec import load_exercise
from grader.teacher.integrity import LOCK_FILE
from grader.workspace import discover

_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
#: Each template and the file it becomes; `{id}` is the new exercise's folder name.
_FILES = (
    ("new-prompt.md.j2", "exercises/{id}/README.md"),
    ("new-exercise.yaml.j2", "exercises/{id}/exercise.yaml"),
    ("new-starter.Dockerfile.j2", "exercises/{id}/Dockerfile"),
    ("new-app.py.j2", "exercises/{id}/app.py"),
    ("new-solution.Dockerfile.j2", "solutions/{id}/Dockerfile"),
)
#: The scenario answers the test suite grades (written where `tests/cases/` exists):
#: another correct answer and a plausible wrong one, the least every exercise has.
_CASES = (
    ("new-case-alt.Dockerfile.j2", "tests/cases/{id}/alt-entrypoint/Dockerfile"),
    ("new-case-alt.expect.yaml.j2", "tests/cases/{id}/alt-entrypoint/expect.yaml"),
    ("new-case-wrong.Dockerfile.j2", "tests/cases/{id}/wrong-shell-form/Dockerfile"),
    (
        "new-case-wrong.expect.yaml.j2",
        "tests/cases/{id}/wrong-shell-form/expect.yaml",
    ),
)


class ScaffoldError(Exception):
    """The exercise cannot be created; the message says why and what to do."""


@dataclass(frozen=True)
class Scaffold:
    """What `new` wrote."""

    id: str
    files: list[Path]


def refuse_foreign_root(root: Path) -> None:
    """Raise ScaffoldError unless `root` is a teacher's brickyard repository."""
    if (root / LOCK_FILE).is_file():
        raise ScaffoldError(
            f"{root} is a student template (it holds {LOCK_FILE}); write the exercise"
            " in your brickyard repository and export the template again"
            " (`nox -s template -- OUT`)."
        )
    if not (root / "exercises").is_dir() or not (root / "noxfile.py").is_file():
        raise ScaffoldError(
            f"{root} is not a brickyard repository (no exercises/ folder and"
            " noxfile.py); run this in your clone of brickyard, or pass --root DIR."
        )


def scaffold_exercise(root: Path, name: str, title: str | None = None) -> Scaffold:
    """Write a new exercise `name` (NN-slug) and its solution under `root`."""
    match = _NAME.match(name)
    if not match:
        raise ScaffoldError(
            f"{name!r} is not of the form NN-slug: two digits, a dash, then lowercase"
            " words joined by dashes, e.g. `10-compose-networks`."
        )
    number, slug = match.groups()
    refuse_foreign_root(root)
    if number == "00":
        raise ScaffoldError(
            "00 is reserved for the integrity report of graded submissions; start"
            " at 01."
        )
    files = _FILES + (_CASES if (root / "tests" / "cases").is_dir() else ())
    targets = [root / pattern.format(id=name) for _, pattern in files]
    existing = [path for path in targets if path.exists()]
    if existing:
        raise ScaffoldError(
            f"{existing[0]} already exists; choose another name or remove it first."
        )

    taken = [folder.id for folder in discover(root) if folder.number == number]
    if taken:
        free = next_free_number(root)
        raise ScaffoldError(
            f"exercise number {number} is taken by {taken[0]}; the next free number"
            f" is {free} (e.g. `{free}-{slug}`)."
        )

    values = {
        "id": name,
        "number": number,
        "slug": slug,
        "title": title or slug.replace("-", " ").capitalize(),
        "concept": slug.replace("-", " "),
    }
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader", "templates"),
        keep_trailing_newline=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    for (template, _), target in zip(files, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            environment.get_template(template).render(**values), encoding="utf-8"
        )
    folder = root / "exercises" / name
    # The spec must load before the prompt's table is made from it; both prove the
    # templates agree with the loader and the check kinds of this grader.
    load_exercise(folder)
    (folder / "README.md").write_text(render_prompt(folder), encoding="utf-8")
    return Scaffold(name, targets)


def next_free_number(root: Path) -> str:
    """The lowest two-digit number after those in use (01 in an empty tree)."""
    used = {int(folder.number) for folder in discover(root)}
    return f"{max(used, default=0) + 1:02d}"

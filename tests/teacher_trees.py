"""Trees for the teacher tests: a snapshot of the teacher's repository, submissions.

Other developers edit the working tree while tests run, so the teacher tests export
from a snapshot: the repository's exercises whose spec loads (an exercise still being
written has none yet), their solutions, the quiz, the grader and the tooling.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from grader.spec import SpecError, load_exercise
from grader.teacher.export import export_template
from grader.workspace import discover
from tests.conftest import REPO

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def snapshot_repository(target: Path, exercises: list[str] | None = None) -> Path:
    """Copy the teacher's repository's parts into `target`; return it.

    With `exercises`, only those (ids) are copied; otherwise every one whose spec
    loads and whose prompt exists.
    """
    for folder in discover(REPO):
        if exercises is not None and folder.id not in exercises:
            continue
        try:
            load_exercise(folder.path)
        except SpecError:
            continue
        if not (folder.path / "README.md").is_file():
            continue
        shutil.copytree(
            folder.path,
            target / "exercises" / folder.id,
            symlinks=True,
            ignore=_IGNORED,
        )
        solution = REPO / "solutions" / folder.id
        if solution.is_dir():
            shutil.copytree(solution, target / "solutions" / folder.id, symlinks=True)
    for name in ("grader", "quiz", "scripts", "solutions/quiz"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target / name, ignore=_IGNORED)
    for name in ("noxfile.py", "pyproject.toml", ".gitignore"):
        shutil.copy2(REPO / name, target / name)
    answers = target / "quiz" / "answers.txt"
    answers.unlink(missing_ok=True)
    return target


def lay_solutions(template: Path, source: Path, target: Path) -> Path:
    """Copy the template to `target` with the source's solutions laid over it."""
    shutil.copytree(template, target, symlinks=True)
    for solution in sorted((source / "solutions").iterdir()):
        exercise = target / "exercises" / solution.name
        if exercise.is_dir():
            shutil.copytree(solution, exercise, symlinks=True, dirs_exist_ok=True)
    return target


def make_class(base: Path, exercises: list[str]) -> tuple[Path, Path]:
    """Export a template of `exercises` under `base` and a class of four beside it.

    alice solved everything, bob kept the starters, carol solved 01, kept the starter
    of 03 but emptied its spec and changed the grader, and dave's one Dockerfile does
    not parse. Return the template and the folder of submissions.
    """
    source = snapshot_repository(base / "teacher", exercises)
    template = base / "template"
    export_template(source, template)
    submissions = base / "submissions"
    submissions.mkdir()

    lay_solutions(template, source, submissions / "alice")
    shutil.copytree(template, submissions / "bob")
    carol = lay_solutions(template, source, submissions / "carol")
    shutil.rmtree(carol / "exercises/03-dockerignore")
    shutil.copytree(
        template / "exercises/03-dockerignore", carol / "exercises/03-dockerignore"
    )
    (carol / "exercises/03-dockerignore/exercise.yaml").write_text(
        yaml.safe_dump({"id": "03-dockerignore", "checks": []})
    )
    cli = carol / "grader/cli.py"
    cli.write_text(cli.read_text() + "\n# grading is easy now\n")
    dave = submissions / "dave"
    (dave / "exercises/01-first-image").mkdir(parents=True)
    (dave / "exercises/01-first-image/Dockerfile").write_text(
        "FRM python\nRUN exit 3\n"
    )
    (dave / "notes.bin").write_bytes(os.urandom(64))
    return template, submissions

"""Finding exercises in a tree, selecting them, and laying solutions over starters."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_EXERCISE_FOLDER = re.compile(r"^(\d{2})-([a-z0-9-]+)$")


@dataclass(frozen=True)
class ExerciseFolder:
    """An exercise folder: `exercises/NN-slug`."""

    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def number(self) -> str:
        return self.id[:2]

    @property
    def slug(self) -> str:
        return self.id[3:]


class SelectionError(Exception):
    """A selector matched no exercise; the message lists the valid ones."""


def discover(root: Path) -> list[ExerciseFolder]:
    """Return the exercise folders under `root/exercises`, in number order."""
    base = root / "exercises"
    if not base.is_dir():
        return []
    found = [
        ExerciseFolder(path)
        for path in base.iterdir()
        if path.is_dir() and _EXERCISE_FOLDER.match(path.name)
    ]
    return sorted(found, key=lambda folder: folder.id)


def require_exercises(root: Path) -> list[ExerciseFolder]:
    """Return the exercise folders under `root`, or raise SelectionError saying where
    it looked and what to do."""
    folders = discover(root)
    if not folders:
        raise SelectionError(
            f"no exercises found in {root / 'exercises'}; run this in the"
            " assignment's folder or pass --root DIR."
        )
    return folders


def select(folders: list[ExerciseFolder], selectors: list[str]) -> list[ExerciseFolder]:
    """Return the folders the selectors name (all if none): `01`, `1`, slug or id."""
    if not selectors:
        return folders
    chosen: list[ExerciseFolder] = []
    for selector in selectors:
        wanted = selector.strip().lower().rstrip("/").rsplit("/", 1)[-1]
        matches = [folder for folder in folders if matches_selector(folder, wanted)]
        if not matches:
            valid = (
                "\n".join(f"  {folder.number}  {folder.id}" for folder in folders)
                or "  (none found)"
            )
            raise SelectionError(
                f"No exercise matches {selector!r}. Choose by number or name:\n{valid}"
            )
        chosen += [folder for folder in matches if folder not in chosen]
    return chosen


def matches_selector(folder: ExerciseFolder, wanted: str) -> bool:
    if wanted.isdigit():
        return int(wanted) == int(folder.number)
    return wanted in (folder.id, folder.slug)


def missing_solutions(root: Path, folders: list[ExerciseFolder]) -> dict[str, str]:
    """Map each folder with no `root/solutions/<id>` to a message saying so.

    Grading such a folder with `--solutions` would grade the starter in its place.
    """
    missing = {}
    for folder in folders:
        solution = root / "solutions" / folder.id
        if not solution.is_dir():
            missing[folder.id] = (
                f"There is no solution folder {solution}, so there is no solution of"
                f" {folder.id} to grade (the starter is not graded in its place)."
                f" Add the solution's files to solutions/{folder.id}/, or leave"
                " --solutions out to grade the exercise folder itself."
            )
    return missing


@contextmanager
def solutions_overlay(
    root: Path, folders: list[ExerciseFolder]
) -> Iterator[list[ExerciseFolder]]:
    """Yield temporary copies of `folders` with `root/solutions/<id>` laid over them.

    The working tree is never touched; the copies are deleted afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="brickyard-solutions-") as temporary:
        copies = []
        for folder in folders:
            target = Path(temporary) / "exercises" / folder.id
            shutil.copytree(folder.path, target, symlinks=True)
            solution = root / "solutions" / folder.id
            if solution.is_dir():
                shutil.copytree(solution, target, symlinks=True, dirs_exist_ok=True)
            copies.append(ExerciseFolder(target))
        yield copies

"""Grading with the teacher's specs: the tree `grade --specs-from` actually grades.

A submission may have changed anything. The graded tree is a temporary copy that
takes the student's work from the submission and every spec from the teacher's lock:
each teacher exercise gets the teacher's `exercise.yaml` (plus a zero-point check
`teacher-spec` saying whether the student's copy was the same), the quiz gets the
teacher's bank beside the student's answers, and an exercise `00-teacher-files`
reports any change to the grader, the quiz bank, the tooling or the workflow.
Exercises the teacher did not write are not graded, whatever the submission holds.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.teacher.integrity import (
    DIGEST_ENV,
    LOCK_FILE,
    SPEC,
    Lock,
    LockError,
    read_lock,
    sha256_file,
)
from grader.workspace import discover

#: The id of the exercise that reports changes outside the exercise specs.
INTEGRITY_EXERCISE = "00-teacher-files"
#: The id of the check added to every exercise graded with the teacher's spec.
SPEC_CHECK = "teacher-spec"
WORKFLOW = ".github/workflows/classroom.yml"


@dataclass(frozen=True)
class Reference:
    """The teacher's side of grading: the lock, and the workflow's expected checksum."""

    lock: Lock
    #: Where it was read from, for messages.
    origin: str
    #: The folder holding the lock, when it came from one.
    folder: Path | None = None
    workflow_sha256: str | None = None


def load_reference(path: Path, pinned: str | None = None) -> Reference:
    """Read the teacher's reference from a lock, a template, or the teacher's repo.

    `path` is a `brickyard.lock`, a folder holding one (the exported template), or
    the teacher's repository itself, which is exported to a temporary folder first so
    that the checksums are those students received. `pinned` (default: the
    environment variable BRICKYARD_LOCK_SHA256) refuses a lock with another digest.
    """
    pinned = pinned or os.environ.get(DIGEST_ENV, "").strip() or None
    path = path.resolve()
    if path.is_file():
        return from_folder(path.parent, read_lock(path, pinned), str(path))
    if (path / LOCK_FILE).is_file():
        return from_folder(path, read_lock(path / LOCK_FILE, pinned), str(path))
    if path.is_dir() and discover(path):
        from grader.teacher.export import export_template

        with tempfile.TemporaryDirectory(prefix="brickyard-reference-") as scratch:
            export_template(path, Path(scratch) / "template")
            exported = Path(scratch) / "template"
            reference = from_folder(
                exported, read_lock(exported / LOCK_FILE, pinned), str(path)
            )
            return Reference(
                reference.lock, reference.origin, None, reference.workflow_sha256
            )
    raise LockError(
        f"{path} is neither a brickyard.lock, nor a template holding one, nor a"
        " repository with exercises. Pass the folder `nox -s template` wrote."
    )


def from_folder(folder: Path, lock: Lock, origin: str) -> Reference:
    workflow = folder / WORKFLOW
    digest = sha256_file(workflow) if workflow.is_file() else None
    return Reference(lock, origin, folder, digest)


def graded_tree(submission: Path, reference: Reference, scratch: Path) -> Path:
    """Lay out in `scratch` the tree to grade: student work, teacher specs."""
    lock = reference.lock
    tree = scratch / "graded"
    for exercise_id in lock.exercises:
        target = tree / "exercises" / exercise_id
        student = submission / "exercises" / exercise_id
        if student.is_dir() and not student.is_symlink():
            shutil.copytree(student, target, symlinks=True, ignore=not_copied)
        else:
            target.mkdir(parents=True)
        spec_path = f"exercises/{exercise_id}/exercise.yaml"
        spec = yaml.safe_load(lock.texts[spec_path])
        spec["checks"].append(spec_check(submission, lock, spec_path))
        (target / "exercise.yaml").write_text(
            yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    write_integrity_exercise(tree, submission, reference)
    lay_quiz(tree, submission, lock)
    return tree


def not_copied(folder: str, names: list[str]) -> list[str]:
    """The entries of a submission left out of the graded tree.

    `.git`, and anything that is neither a file, a folder nor a link: a named pipe or
    a device cannot be part of a build context, and copying one fails or blocks.
    """
    skipped = []
    for name in names:
        mode = os.lstat(os.path.join(folder, name)).st_mode
        regular = stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)
        if name == ".git" or not regular:
            skipped.append(name)
    return skipped


def spec_check(submission: Path, lock: Lock, spec_path: str) -> dict[str, Any]:
    """The zero-point check that says whether the student's spec is the teacher's."""
    return {
        "id": SPEC_CHECK,
        "kind": "teacher_files_intact",
        "title": "exercise.yaml is the teacher's",
        "points": 0,
        "feedback": "This exercise was graded with the teacher's exercise.yaml, not"
        " with the copy in your repository.",
        "hint": f"Restore it: `git checkout <your first commit> -- {spec_path}`.",
        "params": {
            "submission": str(submission),
            "files": {spec_path: lock.files[spec_path]},
            "reference": f"the teacher's brickyard.lock ({lock.digest[:12]})",
        },
    }


def write_integrity_exercise(
    tree: Path, submission: Path, reference: Reference
) -> None:
    """Write the exercise that checks the grader, the quiz bank and the tooling."""
    lock = reference.lock
    files = {
        path: digest
        for path, digest in lock.files.items()
        if not (lock.roles.get(path) == SPEC and path.startswith("exercises/"))
    }
    if reference.folder is None or reference.folder.resolve() != submission.resolve():
        # Checked only against a teacher's copy held outside the submission: a
        # submission's own lock and workflow would only be compared with themselves.
        files[LOCK_FILE] = lock.digest
        if reference.workflow_sha256:
            files[WORKFLOW] = reference.workflow_sha256
    spec = {
        "id": INTEGRITY_EXERCISE,
        "title": "The teacher's files",
        "concept": "integrity of grading",
        "checks": [
            {
                "id": "teacher-files",
                "kind": "teacher_files_intact",
                "title": "The grader, the quiz bank, the workflow and the files the"
                " exercises give are the teacher's",
                "points": 0,
                "feedback": "Grading uses the teacher's grader and files; changed"
                " copies in your repository are reported to your teacher.",
                "hint": "Restore the files listed from the template, e.g. `git"
                " checkout <your first commit> -- grader`.",
                "params": {
                    "submission": str(submission),
                    "files": files,
                    "sealed": list(lock.sealed),
                    "forbidden": list(lock.forbidden),
                    "reference": f"the teacher's brickyard.lock ({lock.digest[:12]})",
                },
            }
        ],
    }
    folder = tree / "exercises" / INTEGRITY_EXERCISE
    folder.mkdir(parents=True)
    (folder / "exercise.yaml").write_text(
        yaml.safe_dump(spec, sort_keys=False), encoding="utf-8"
    )


def lay_quiz(tree: Path, submission: Path, lock: Lock) -> None:
    """Give the graded tree the teacher's quiz bank and the student's answers."""
    texts = {
        path: text for path, text in lock.texts.items() if path.startswith("quiz/")
    }
    if not texts:
        return
    quiz = tree / "quiz"
    student = submission / "quiz"
    if student.is_dir() and not student.is_symlink():
        shutil.copytree(student, quiz, symlinks=True, ignore=not_copied)
    # The student's bank, scenarios and practice file go: a practice file of their
    # own would otherwise score the quiz against keys they wrote.
    shutil.rmtree(quiz / "bank", ignore_errors=True)
    shutil.rmtree(quiz / "scenarios", ignore_errors=True)
    practice = quiz / "practice.yaml"
    if practice.exists() or practice.is_symlink():
        practice.unlink()
    for path, text in texts.items():
        target = tree / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

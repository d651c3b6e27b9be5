"""Exercises 02 onwards graded end to end on the real engine, through the CLI.

For each exercise (01 has tests of its own in test_first_image.py) one grading run
covers the starter, the solution and every scenario under `tests/cases/NN-slug/`:
each is laid out as an exercise of its own, `NN-slug-<case>`, in a temporary tree
that one run of the grader grades whole. The starter must fail exactly its
`starter_fails`, the solution nothing, and each scenario exactly the checks its
`expect.yaml` lists.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from grader.spec import load_exercise
from grader.workspace import ExerciseFolder, discover
from tests.conftest import CASES, REPO, read_expectation, run_brickyard

OWN_TESTS = {"01-first-image"}
EXERCISES = [folder for folder in discover(REPO) if folder.id not in OWN_TESTS]


@dataclass(frozen=True)
class Submission:
    """One answer laid out as an exercise of its own, and how it must be graded."""

    id: str
    about: str
    fails: frozenset[str]


def lay_out(root: Path, exercise: ExerciseFolder) -> list[Submission]:
    """Copy the starter, the solution and every case of `exercise` under `root`."""
    starter = load_exercise(exercise.path)
    solution = REPO / "solutions" / exercise.id
    assert solution.is_dir(), f"{exercise.id} has no solutions/{exercise.id}"
    laid_out = [
        Submission(
            place(root, exercise, None, exercise.id),
            "the starter",
            frozenset(starter.starter_fails),
        ),
        Submission(
            place(root, exercise, solution, "solution"),
            "the reference solution",
            frozenset(),
        ),
    ]
    for case in case_folders(exercise):
        expectation = read_expectation(case)
        laid_out.append(
            Submission(
                place(root, exercise, case, case.name),
                str(expectation["about"]),
                frozenset(expectation["fails"]),
            )
        )
    return laid_out


def place(root: Path, exercise: ExerciseFolder, overlay: Path | None, name: str) -> str:
    """Lay `overlay` over a copy of the starter as exercise `NN-slug-name`; return it.

    The starter keeps its own id. A copy's exercise.yaml gets the copy's id, which
    must equal its folder's name.
    """
    copy_id = exercise.id if name == exercise.id else f"{exercise.id}-{name}"
    target = root / "exercises" / copy_id
    shutil.copytree(exercise.path, target, symlinks=True)
    if overlay is not None:
        shutil.copytree(
            overlay,
            target,
            symlinks=True,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("expect.yaml"),
        )
    staged_git = target / "dot-git"
    if staged_git.exists():
        # A .git folder cannot be committed inside the repository; cases that need
        # one ship it as `dot-git`.
        staged_git.rename(target / ".git")
    spec_path = target / "exercise.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["id"] = copy_id
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return copy_id


def case_folders(exercise: ExerciseFolder) -> list[Path]:
    folder = CASES / exercise.id
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if (path / "expect.yaml").exists())


@pytest.mark.engine
@pytest.mark.parametrize("exercise", EXERCISES, ids=[item.id for item in EXERCISES])
def test_exercise_is_graded_as_intended(
    engine: object, tmp_path: Path, exercise: ExerciseFolder
) -> None:
    submissions = lay_out(tmp_path, exercise)

    graded = run_brickyard("grade", "--root", str(tmp_path), timeout=1800)

    assert graded.returncode == 0, graded.stderr
    wrong = []
    for submission in submissions:
        result = graded.exercise(submission.id)
        if result["error"]:
            wrong.append(f"{submission.id}: cannot be graded: {result['error']}")
            continue
        failed = graded.failed(submission.id)
        if failed != submission.fails:
            wrong.append(
                f"{submission.id} ({submission.about}): failed {sorted(failed)},"
                f" expected {sorted(submission.fails)}"
            )
    assert not wrong, "\n".join(wrong) + "\n\n" + graded.stdout


def test_every_exercise_has_a_solution_and_cases() -> None:
    for exercise in EXERCISES:
        assert (REPO / "solutions" / exercise.id).is_dir(), exercise.id
        cases = case_folders(exercise)
        expectations = [read_expectation(case) for case in cases]
        assert any(not item["fails"] for item in expectations), (
            f"{exercise.id} needs an alternative correct answer under tests/cases"
        )
        assert any(item["fails"] for item in expectations), (
            f"{exercise.id} needs a plausible wrong answer under tests/cases"
        )


def test_case_expectations_name_real_checks() -> None:
    for exercise in EXERCISES:
        ids = {check.id for check in load_exercise(exercise.path).checks}
        for case in case_folders(exercise):
            unknown = set(read_expectation(case)["fails"]) - ids
            assert not unknown, f"{case}: no such checks {sorted(unknown)}"


# Exercise 02 installs a real package with pip, offline: its wheel is written here,
# by hand, and committed. The test below proves the committed file is this one.
BRICKSET_SOURCE = '''\
"""brickset: describe LEGO-style bricks in words (the dependency of exercise 02)."""

__version__ = "1.0.0"


def stud_count(width: int, length: int) -> int:
    """Return how many studs a brick of `width` by `length` has on top."""
    return width * length


def describe(width: int, length: int, colour: str) -> str:
    """Name a brick the way a building manual does: colour, size and studs."""
    studs = stud_count(width, length)
    return f"{colour} {width}x{length} brick ({studs} studs)"
'''


def brickset_wheel() -> bytes:
    """Return the bytes of brickset-1.0.0-py3-none-any.whl, the same every time."""
    info = "brickset-1.0.0.dist-info"
    files = {
        "brickset/__init__.py": BRICKSET_SOURCE,
        f"{info}/METADATA": (
            "Metadata-Version: 2.1\nName: brickset\nVersion: 1.0.0\n"
            "Summary: Describe LEGO-style bricks in words\n"
        ),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: brickyard tests\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    # RECORD lists every file with its sha256 (urlsafe base64, unpadded) and size.
    record = []
    for name, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for name, text in files.items():
            # A fixed date and mode, stored uncompressed: the bytes never change.
            entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_STORED
            wheel.writestr(entry, text)
    return buffer.getvalue()


def test_brickset_wheel_is_the_one_written_here() -> None:
    wheel = (
        REPO
        / "exercises"
        / "02-layer-caching"
        / "wheels"
        / "brickset-1.0.0-py3-none-any.whl"
    )

    assert wheel.read_bytes() == brickset_wheel(), (
        "the committed wheel differs; rewrite it with"
        " `python3 -c 'from tests.test_exercises import brickset_wheel; import sys;"
        " sys.stdout.buffer.write(brickset_wheel())' > ...whl`"
    )

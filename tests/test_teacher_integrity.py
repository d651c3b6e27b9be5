"""The teacher's lock: written canonically, read back, every kind of change found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.teacher import integrity
from grader.teacher.integrity import (
    SPEC,
    TOOLING,
    LockError,
    check_tree,
    read_lock,
    render_lock,
    sha256_bytes,
)
from tests.conftest import REPO

VERIFIER = REPO / "grader" / "teacher" / "integrity.py"


def make_tree(root: Path) -> Path:
    """A small template: one spec, a quiz bank file, two grader files, a noxfile."""
    files = {
        "exercises/01-first/exercise.yaml": "id: 01-first\n",
        "exercises/01-first/Dockerfile": "FROM debian:bookworm-slim\n",
        "quiz/bank/01-basics.yaml": "questions: []\n",
        "grader/__init__.py": '"""grader"""\n',
        "grader/checks/image.py": "def check():\n    return True\n",
        "noxfile.py": "import nox\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    roles = {
        "exercises/01-first/exercise.yaml": SPEC,
        "quiz/bank/01-basics.yaml": SPEC,
        "grader/__init__.py": TOOLING,
        "grader/checks/image.py": TOOLING,
        "noxfile.py": TOOLING,
    }
    lock = render_lock(
        root,
        roles,
        ["exercises/01-first/exercise.yaml", "quiz/bank/01-basics.yaml"],
        "9",
    )
    (root / "brickyard.lock").write_bytes(lock)
    return root


def changes(root: Path) -> set[tuple[str, str]]:
    lock = read_lock(root / "brickyard.lock")
    return {(finding.path, finding.change) for finding in check_tree(root, lock)}


def test_an_untouched_tree_is_intact_and_the_lock_is_canonical(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    lock = read_lock(root / "brickyard.lock")

    assert check_tree(root, lock) == []
    assert lock.exercises == ["01-first"]
    assert lock.texts["exercises/01-first/exercise.yaml"] == "id: 01-first\n"
    assert lock.digest == sha256_bytes((root / "brickyard.lock").read_bytes())
    again = render_lock(root, lock.roles, list(lock.texts), "9")
    assert again == (root / "brickyard.lock").read_bytes()


def test_every_kind_of_change_is_found(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    (root / "exercises/01-first/exercise.yaml").write_text("id: 01-first\nchecks: []\n")
    (root / "grader/__init__.py").unlink()
    (root / "grader/checks/free_points.py").write_text("# registers a kind\n")
    (root / "quiz/bank/02-extra.yaml").write_text("questions: []\n")
    (root / ".nox").mkdir()
    (root / "setup.cfg").write_text("[metadata]\n")

    assert changes(root) == {
        ("exercises/01-first/exercise.yaml", "modified"),
        ("grader/__init__.py", "missing"),
        ("grader/checks/free_points.py", "added"),
        ("quiz/bank/02-extra.yaml", "added"),
        (".nox", "forbidden"),
        ("setup.cfg", "forbidden"),
    }


def test_student_files_and_byte_code_are_not_the_teachers_business(
    tmp_path: Path,
) -> None:
    root = make_tree(tmp_path)
    (root / "exercises/01-first/Dockerfile").write_text("FROM python:3.11\n")
    (root / "exercises/01-first/app.py").write_text("print('hi')\n")
    (root / "grader/__pycache__").mkdir()
    (root / "grader/__pycache__/image.cpython-311.pyc").write_bytes(b"\0")

    assert changes(root) == set()


def test_a_symbolic_link_in_place_of_a_spec_counts_as_changed(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    spec = root / "exercises/01-first/exercise.yaml"
    copy = root / "elsewhere.yaml"
    copy.write_text(spec.read_text())
    spec.unlink()
    spec.symlink_to(copy)

    assert changes(root) == {("exercises/01-first/exercise.yaml", "modified")}


def test_a_lock_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    lock = root / "brickyard.lock"
    digest = sha256_bytes(lock.read_bytes())
    assert read_lock(lock, digest.upper()).digest == digest

    lock.write_bytes(lock.read_bytes().replace(b'"9"', b'"10"'))
    with pytest.raises(LockError, match="is not the teacher's lock"):
        read_lock(lock, digest)
    lock.write_text("not json")
    with pytest.raises(LockError, match="is not a brickyard lock"):
        read_lock(lock)
    with pytest.raises(LockError, match="cannot read"):
        read_lock(root / "missing.lock")


def run_verifier(
    script: Path, root: Path, *extra: str, digest: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the verifier as CI does: a script, isolated, before any install."""
    return subprocess.run(
        [sys.executable, "-I", str(script), "--root", str(root), *extra],
        capture_output=True,
        text=True,
        env={**os.environ, integrity.DIGEST_ENV: digest},
        check=False,
    )


def test_the_script_exit_status_tells_specs_from_tooling(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    digest = sha256_bytes((root / "brickyard.lock").read_bytes())
    assert run_verifier(VERIFIER, root, digest=digest).returncode == 0

    (root / "exercises/01-first/exercise.yaml").write_text("id: 01-first\n# mine\n")
    spec_only = run_verifier(VERIFIER, root, "--allow-spec-changes", digest=digest)
    assert spec_only.returncode == 0, spec_only.stdout
    assert "exercises/01-first/exercise.yaml was changed" in spec_only.stdout
    assert run_verifier(VERIFIER, root, digest=digest).returncode == 1

    (root / "grader/checks/image.py").write_text("def check():\n    return 1\n")
    tooling = run_verifier(VERIFIER, root, "--allow-spec-changes", digest=digest)
    assert tooling.returncode == 1
    assert "grader/checks/image.py was changed" in tooling.stdout
    assert "cannot be trusted" in tooling.stdout

    wrong = run_verifier(VERIFIER, root, digest="0" * 64)
    assert wrong.returncode == 2
    assert "is not the teacher's lock" in wrong.stderr


def test_the_script_ignores_modules_planted_beside_it(tmp_path: Path) -> None:
    # `python3 -I` keeps the script's folder off sys.path, so a student's
    # grader/teacher/hashlib.py cannot stand in for the standard library's.
    root = make_tree(tmp_path / "tree")
    planted = tmp_path / "planted"
    planted.mkdir()
    script = planted / "integrity.py"
    script.write_bytes(VERIFIER.read_bytes())
    (planted / "hashlib.py").write_text("raise SystemExit('planted hashlib ran')\n")

    done = run_verifier(script, root)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "planted" not in done.stdout + done.stderr


def test_markdown_and_json_outputs_list_the_findings(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree")
    (root / "noxfile.py").write_text("import nox  # mine\n")
    summary, findings = tmp_path / "summary.md", tmp_path / "findings.json"

    done = run_verifier(
        VERIFIER, root, "--markdown", str(summary), "--json", str(findings)
    )

    assert done.returncode == 1
    assert "`noxfile.py` was changed" in summary.read_text()
    assert '"path": "noxfile.py"' in findings.read_text()

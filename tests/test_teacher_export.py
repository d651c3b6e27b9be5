"""The student template: nothing of the answers in it, and it grades as it is."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.cli import build_parser
from grader.spec import load_exercise
from grader.teacher.export import (
    ExportError,
    export_template,
    sessions_of,
    student_noxfile,
)
from grader.teacher.integrity import check_tree, read_lock, sha256_file
from grader.watch.state import ExerciseProgress, Progress
from grader.workspace import discover, select
from tests.conftest import REPO, run_brickyard
from tests.teacher_trees import snapshot_repository

#: Solution lines this long are looked for inside the export's lines too.
SUBSTRING = 12


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The teacher's repository, with a note for teachers in three places."""
    root = snapshot_repository(tmp_path_factory.mktemp("teacher"))
    first = discover(root)[0].path
    (first / "TEACHER.md").write_text("Students mix up EXPOSE and -p: demo both.\n")
    prompt = first / "README.md"
    prompt.write_text(
        prompt.read_text()
        + "\n<!-- teacher -->\nGive the class ten minutes for this one.\n"
        "<!-- end teacher -->\n"
    )
    spec = first / "exercise.yaml"
    spec.write_text(
        "# teacher: last year half the class missed EXPOSE\n" + spec.read_text()
    )
    return root


@pytest.fixture(scope="module")
def template(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "template"
    export_template(source, out)
    return out


def text_files(root: Path) -> dict[Path, str]:
    """Every file under `root` that is text (no NUL byte), whatever its name."""
    found = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or ".git" in path.parts:
            continue
        data = path.read_bytes()
        if b"\0" not in data:
            found[path] = data.decode("utf-8", errors="replace")
    return found


def distinctive_lines(source: Path) -> dict[str, str]:
    """Each line of a solution that students are not given, with where it is from.

    A line counts when it is not a comment, has some substance, and appears nowhere,
    not even inside a longer line, in what the teacher hands out on purpose: any
    exercise folder (a prompt may quote a line of the answer, and another exercise's
    starter may hold it), the quiz and `.gitignore`.
    """
    given = "\n".join(
        text
        for folder in (source / "exercises", source / "quiz")
        for text in text_files(folder).values()
    )
    given += (source / ".gitignore").read_text()
    lines = {}
    for solution in sorted((source / "solutions").iterdir()):
        if solution.name == "quiz":
            continue
        for path, text in text_files(solution).items():
            for line in text.splitlines():
                line = line.strip()
                if len(line) >= 6 and not line.startswith("#") and line not in given:
                    lines[line] = str(path.relative_to(source))
    return lines


def find_leaks(template: Path, secrets: dict[str, str]) -> list[str]:
    """Each secret line found in a text file of the export, even inside a line.

    A short line (`**/*.log`) is only found as a whole line: inside a line it is as
    likely a comment of the grader's that names the pattern.
    """
    leaks = []
    for path, text in text_files(template).items():
        lines = {line.strip() for line in text.splitlines()}
        for secret, origin in secrets.items():
            if secret in lines or (len(secret) >= SUBSTRING and secret in text):
                leaks.append(
                    f"{path.relative_to(template)}: {secret!r} (from {origin})"
                )
    return leaks


def test_no_distinctive_line_of_a_solution_is_in_the_export(
    source: Path, template: Path
) -> None:
    secrets = distinctive_lines(source)
    assert len(secrets) > 10, "the solutions should hold lines of their own"

    leaks = find_leaks(template, secrets)

    assert not leaks, "\n".join(leaks)


def test_the_leak_scan_reads_any_text_file_and_inside_lines(
    source: Path, template: Path, tmp_path: Path
) -> None:
    secrets = distinctive_lines(source)
    registry = sorted(
        line
        for line, origin in secrets.items()
        if "12-registry" in origin and len(line) >= SUBSTRING
    )
    assert registry, "exercise 12's solution should hold a line of its own"
    copy = tmp_path / "template"
    shutil.copytree(template, copy)
    # A suffix no list would name, and the line inside a longer one.
    (copy / "exercises" / "12-registry" / "notes.env").write_text(
        f"export {registry[0]}  # from the answer\n"
    )

    leaks = find_leaks(copy, secrets)

    origin = secrets[registry[0]]
    assert leaks == [
        f"exercises/12-registry/notes.env: {registry[0]!r} (from {origin})"
    ]


def test_the_export_holds_no_keys_tests_or_teacher_notes(
    source: Path, template: Path
) -> None:
    top = {path.name for path in template.iterdir()}
    assert top <= {
        "exercises",
        "quiz",
        "grader",
        "scripts",
        ".github",
        "noxfile.py",
        "pyproject.toml",
        ".gitignore",
        "README.md",
        "brickyard.lock",
    }, top
    assert not list(template.rglob("keys*.yaml"))
    assert not list(template.rglob("TEACHER.md"))
    everything = "\n".join(text_files(template).values())
    assert "ten minutes for this one" not in everything
    assert "half the class missed EXPOSE" not in everything
    # Practice mode gives digests of the answers, never the answers themselves.
    practice = yaml.safe_load((template / "quiz" / "practice.yaml").read_text())
    for question in practice["questions"].values():
        assert "answer" not in question and "answers" not in question


def test_the_export_keeps_what_students_need(template: Path) -> None:
    exercises = [folder.id for folder in discover(template)]
    assert exercises
    for folder in discover(template):
        exercise = load_exercise(folder.path)
        assert (folder.path / "README.md").is_file()
        assert "How it is graded" in (folder.path / "README.md").read_text()
        assert exercise.checks
    assert (template / "quiz" / "practice.yaml").is_file()
    assert (template / "scripts" / "provision-engine").stat().st_mode & 0o111

    readme = (template / "README.md").read_text()
    for needed in ("pipx install nox", "nox -s grade", "Try:", "nox -s quiz"):
        assert needed in readme
    assert all(f"exercises/{name}/README.md" in readme for name in exercises)

    sessions = dict(sessions_of((template / "noxfile.py").read_text()))
    assert "grade" in sessions and "quiz" in sessions
    assert not {"tests", "validate", "template", "new", "docs"} & set(sessions)
    if "hint" in sessions:
        assert "nox -s hint" in readme


def test_every_command_the_student_readme_names_exists(template: Path) -> None:
    readme = (template / "README.md").read_text()
    sessions = dict(sessions_of((template / "noxfile.py").read_text()))
    parser = build_parser()
    commands = next(
        action
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    ).choices
    named = re.findall(r"nox -s (\w+)((?: -- [^`#\n]*)?)", readme)
    assert {"grade", "hint", "quiz"} <= {name for name, _ in named}

    for name, arguments in named:
        assert name in sessions, f"README names `nox -s {name}`, which is no session"
        # Each student session runs the `brickyard` command of its name.
        words = arguments.replace("--", "", 1).split()
        assert name in commands
        flags = {
            option
            for action in commands[name]._actions
            for option in action.option_strings
        }
        for word in words:
            if word.startswith("-"):
                assert word in flags, f"`nox -s {name} -- {word}`: no such option"
            else:
                # An exercise selector: grading it by that name must work.
                assert select(discover(template), [word])
    assert "--solutions" not in readme


def test_plain_hint_shows_the_first_exercise_not_at_full_marks(
    template: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "student"
    shutil.copytree(template, tree)
    first, second = discover(tree)[:2]
    progress = Progress.load(tree)
    progress.exercises[first.id] = ExerciseProgress(score=5, max_score=5)
    progress.save()

    done = run_brickyard("hint", "--root", str(tree))

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Hints for {second.id}:")


def test_the_lock_covers_specs_and_grader_and_the_workflow_pins_it(
    template: Path,
) -> None:
    lock = read_lock(template / "brickyard.lock")

    assert check_tree(template, lock) == []
    assert lock.exercises == [folder.id for folder in discover(template)]
    assert "grader/teacher/integrity.py" in lock.files
    assert "grader/cli.py" in lock.files
    assert "noxfile.py" in lock.files
    # What the exercises give the student to build on is recorded; their answers not.
    given = {path for path, role in lock.roles.items() if role == "given"}
    expected = {
        "exercises/01-first-image/app.py",
        "exercises/03-dockerignore/.env",
        "exercises/05-multi-stage/brickwall.c",
    }
    assert expected <= given
    assert any(path.startswith("exercises/02-layer-caching/wheels/") for path in given)
    assert not {
        "exercises/01-first-image/Dockerfile",
        "exercises/03-dockerignore/.dockerignore",
        "exercises/12-registry/release.env",
    } & set(lock.files)
    assert any(path.startswith("quiz/bank/") for path in lock.texts)
    workflow = (template / ".github/workflows/classroom.yml").read_text()
    assert lock.digest in workflow
    assert sha256_file(template / "grader/teacher/integrity.py") in workflow
    assert "--specs-from brickyard.lock" in workflow
    assert "python3 -I grader/teacher/integrity.py" in workflow


def test_the_same_repository_exports_the_same_lock(
    source: Path, template: Path, tmp_path: Path
) -> None:
    again = export_template(source, tmp_path / "again")

    assert again.lock_digest == read_lock(template / "brickyard.lock").digest


def test_withholding_the_quiz_leaves_the_practice_file_out(
    source: Path, tmp_path: Path
) -> None:
    done = export_template(source, tmp_path / "withheld", withhold_quiz=True)

    assert done.quiz == "withheld"
    assert not (tmp_path / "withheld" / "quiz" / "practice.yaml").exists()
    # Withheld, not even the explanations of the keys are there.
    keys = yaml.safe_load((source / "solutions/quiz/keys.yaml").read_text())["keys"]
    explanations = [
        " ".join(str(key["explanation"]).split())[:60]
        for key in keys.values()
        if len(str(key.get("explanation", ""))) > 60
    ]
    assert explanations
    everything = " ".join(" ".join(text_files(tmp_path / "withheld").values()).split())
    assert not [text for text in explanations if text in everything]
    assert (
        "scored when your work is graded"
        in (tmp_path / "withheld/README.md").read_text()
    )


def test_exporting_over_a_folder_needs_replace_and_keeps_its_git(
    source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "checkout"
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "stale.txt").write_text("from an older export\n")

    with pytest.raises(ExportError, match="not empty"):
        export_template(source, out)
    export_template(source, out, replace=True)

    assert (out / ".git" / "HEAD").is_file()
    assert not (out / "stale.txt").exists()
    with pytest.raises(ExportError, match="inside the teacher's repository"):
        export_template(source, source / "out")


def test_teacher_sessions_are_cut_from_the_real_noxfile() -> None:
    text = student_noxfile((REPO / "noxfile.py").read_text())

    names = {name for name, _ in sessions_of(text)}
    assert "grade" in names
    assert not names & {"tests", "validate", "template", "new", "lint", "benchmark"}
    compile(text, "noxfile.py", "exec")


@pytest.mark.engine
def test_the_export_graded_as_it_is_scores_the_starters(
    engine: object, template: Path, tmp_path: Path
) -> None:
    report = tmp_path / "starters.json"

    # Run from inside the export, so that its own copy of the grader is imported.
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", "--json", str(report), "-q"],
        cwd=template,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    graded = yaml.safe_load(report.read_text())
    wrong = []
    for exercise in graded["exercises"]:
        if exercise["id"] == "quiz":
            continue
        expected = set(
            load_exercise(template / "exercises" / exercise["id"]).starter_fails
        )
        failed = {check["id"] for check in exercise["checks"] if not check["passed"]}
        if exercise["error"] or failed != expected:
            wrong.append(
                f"{exercise['id']}: failed {sorted(failed)}, expected"
                f" {sorted(expected)}"
            )
        assert exercise["score"] < exercise["max_score"]
    assert not wrong, "\n".join(wrong) + "\n" + done.stdout
    assert (
        str(template)
        in subprocess.run(
            [sys.executable, "-c", "import grader; print(grader.__file__)"],
            cwd=template,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )

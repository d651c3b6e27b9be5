"""Bulk grading of a class: gradebook, class report, isolation and resuming."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest

from grader.checks.result import CheckResult
from grader.plugin import ExerciseResult
from grader.reports.model import GradingReport
from grader.spec import load_exercise
from grader.teacher.bulk import Graded, fingerprint, grader_digest, prepare_reference
from grader.teacher.classreport import print_summary, render_html, summarize
from grader.teacher.specs import load_reference
from tests.conftest import REPO, run_brickyard, wait_for_step_images
from tests.teacher_trees import make_class

EXERCISES = ["01-first-image", "03-dockerignore"]


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The teacher's template and a class of four: solved, starter, tampered, broken."""
    return make_class(tmp_path_factory.mktemp("class"), EXERCISES)


def starter_score(template: Path, exercise_id: str) -> int:
    exercise = load_exercise(template / "exercises" / exercise_id)
    lost = sum(exercise.check(check).points for check in exercise.starter_fails)
    return exercise.max_score - lost


def read_gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.mark.engine
def test_a_class_is_graded_into_a_gradebook_and_a_class_report(
    engine: object, classroom: tuple[Path, Path], tmp_path: Path
) -> None:
    template, submissions = classroom
    out = tmp_path / "grades"
    maxima = {
        name: load_exercise(template / "exercises" / name).max_score
        for name in EXERCISES
    }

    done = run_brickyard(
        "bulk",
        str(submissions),
        "--template",
        str(template),
        "-j",
        "2",
        "--out",
        str(out),
        "--reports",
        timeout=900,
    )

    assert done.returncode == 0, done.stderr + done.stdout
    book = read_gradebook(out)
    assert list(book) == ["alice", "bob", "carol", "dave"]
    assert list(book["alice"])[:4] == ["student", *EXERCISES, "quiz"]
    for name in EXERCISES:
        assert int(book["alice"][name]) == maxima[name]
        assert int(book["bob"][name]) == starter_score(template, name)
    assert int(book["alice"]["total"]) == sum(maxima.values())
    assert book["alice"]["changed_files"] == book["bob"]["changed_files"] == ""
    # Carol's rewritten spec gave her nothing: her 03 is graded as the starter it is.
    assert int(book["carol"]["01-first-image"]) == maxima["01-first-image"]
    assert int(book["carol"]["03-dockerignore"]) == starter_score(
        template, "03-dockerignore"
    )
    assert "exercises/03-dockerignore/exercise.yaml" in book["carol"]["changed_files"]
    assert "grader/cli.py" in book["carol"]["changed_files"]
    assert int(book["dave"]["01-first-image"]) < maxima["01-first-image"]
    assert int(book["dave"]["03-dockerignore"]) < maxima["03-dockerignore"]
    assert "more" in book["dave"]["changed_files"]
    assert all(row["error"] == "" for row in book.values())

    for student in book:
        assert (out / "students" / f"{student}.json").is_file()
        assert f"# {student}" in (out / "students" / f"{student}.md").read_text()
    assert "Pass rate of every check, hardest first" in done.stdout
    assert "Score distribution" in done.stdout
    assert re.search(r"\] 4/4 ", done.stdout)
    html = (out / "class-report.html").read_text()
    for name in EXERCISES:
        for check in load_exercise(template / "exercises" / name).checks:
            assert check.title.replace("'", "&#39;") in html
    assert "Score distribution" in html and "carol" in html
    assert "<script" not in html and "http" not in html

    for written in (out / "students").glob("*.md"):
        written.unlink()
    again = run_brickyard(
        "bulk",
        str(submissions),
        "--template",
        str(template),
        "--out",
        str(out),
        "--reports",
    )
    assert "0 graded, 4 unchanged since their last grade, 0 failed" in again.stdout
    assert read_gradebook(out) == book
    # Resumed students get their report written again from their kept grade.
    assert "alice" in (out / "students" / "alice.md").read_text()
    assert re.search(r"\d+/\d+", (out / "students" / "bob.md").read_text())

    dockerfile = submissions / "bob/exercises/01-first-image/Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\n# one more try\n")
    resumed = run_brickyard(
        "bulk", str(submissions), "--template", str(template), "--out", str(out)
    )
    assert "1 graded, 3 unchanged since their last grade, 0 failed" in resumed.stdout
    assert "bob: " in resumed.stdout


@pytest.mark.engine
def test_a_submission_that_hangs_is_stopped_and_the_others_are_graded(
    engine: object, classroom: tuple[Path, Path], tmp_path: Path
) -> None:
    template, _ = classroom
    submissions = tmp_path / "submissions"
    empty = submissions / "empty"
    empty.mkdir(parents=True)
    # A named pipe cannot be part of a build context: it is left out, not a crash.
    os.mkfifo(empty / "pipe")
    stuck = shutil.copytree(
        template / "exercises/01-first-image",
        submissions / "stuck/exercises/01-first-image",
    )
    (stuck / "Dockerfile").write_text("FROM python:3.11-slim-bookworm\nRUN sleep 600\n")
    out = tmp_path / "grades"

    done = run_brickyard(
        "bulk",
        str(submissions),
        "--template",
        str(template),
        "-j",
        "2",
        "--timeout",
        "30",
        "--out",
        str(out),
        "--reports",
    )

    assert done.returncode == 0, done.stderr
    failed = (out / "students" / "stuck.md").read_text()
    assert "Grading failed" in failed and "longer than 30 s" in failed
    book = read_gradebook(out)
    assert book["empty"]["error"] == ""
    assert int(book["empty"]["total"]) < int(book["empty"]["max"])
    assert "longer than 30 s and was stopped" in book["stuck"]["error"]
    assert book["stuck"]["total"] == ""
    assert "1 graded, 0 unchanged since their last grade, 1 failed" in done.stdout

    (stuck / "Dockerfile").write_text("FROM python:3.11-slim-bookworm\n")
    retried = run_brickyard(
        "bulk", str(submissions), "--template", str(template), "--out", str(out)
    )
    assert "1 graded, 1 unchanged since their last grade, 0 failed" in retried.stdout
    assert read_gradebook(out)["stuck"]["error"] == ""


@pytest.mark.engine
def test_an_interrupted_bulk_run_stops_and_keeps_what_finished(
    engine: docker.DockerClient, classroom: tuple[Path, Path], tmp_path: Path
) -> None:
    template, _ = classroom
    submissions = tmp_path / "submissions"
    (submissions / "a-quick").mkdir(parents=True)
    stuck = shutil.copytree(
        template / "exercises/01-first-image",
        submissions / "b-stuck/exercises/01-first-image",
    )
    (stuck / "token.txt").write_text(uuid.uuid4().hex)
    (stuck / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\nCOPY token.txt /token.txt\n"
        "RUN echo first > /first.txt\nRUN sleep 600\n"
    )
    shutil.copytree(template, submissions / "c-queued")
    out = tmp_path / "grades"
    cache = tmp_path / "cache"
    options = ["--template", str(template), "-j", "1", "--out", str(out), "--reports"]
    process = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "bulk", str(submissions), *options],
        cwd=REPO,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # -j 1 in name order: a-quick has finished once b-stuck's build is under way.
    images = wait_for_step_images(cache / "brickyard" / "runs", 2)

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    seconds = time.monotonic() - started

    assert process.returncode == 130, stderr
    assert seconds < 60
    assert "interrupted; 1 of 3 submission(s) had finished" in stderr
    assert list(read_gradebook(out)) == ["a-quick"]
    assert (out / "students" / "a-quick.md").is_file()
    assert not (out / "students" / "c-queued.log").exists()
    assert "a-quick" in (out / "class-report.html").read_text()
    for image in images:
        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get(image)
    assert not list((cache / "brickyard" / "runs").glob("*.json"))


def test_bulk_refuses_bad_selectors_and_job_counts(
    classroom: tuple[Path, Path], tmp_path: Path
) -> None:
    template, submissions = classroom
    out = tmp_path / "grades"

    unknown = run_brickyard(
        "bulk", str(submissions), "99", "--template", str(template), "--out", str(out)
    )
    no_jobs = run_brickyard(
        "bulk", str(submissions), "-j", "0", "--template", str(template)
    )

    assert unknown.returncode == 2
    assert "No exercise matches '99'" in unknown.stderr
    assert "01  01-first-image" in unknown.stderr
    assert not (out / "students").exists()
    assert no_jobs.returncode == 2
    assert "'0' is not a count" in no_jobs.stderr


def test_the_resume_key_follows_the_graders_sources(tmp_path: Path) -> None:
    shutil.copytree(REPO / "grader", tmp_path / "grader")
    first = grader_digest(tmp_path)
    (tmp_path / "grader" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "grader" / "__pycache__" / "x.pyc").write_bytes(b"byte code")

    assert grader_digest(tmp_path) == first
    checks = tmp_path / "grader" / "checks" / "result.py"
    checks.write_text(checks.read_text() + "\n# a changed grader\n")
    assert grader_digest(tmp_path) != first


def check(exercise: str, check_id: str, passed: bool, points: int) -> CheckResult:
    return CheckResult(
        exercise,
        check_id,
        f"title of {check_id}",
        "image_builds",
        "passed" if passed else "failed",
        points if passed else 0,
        points,
        "",
    )


def report(*results: CheckResult) -> GradingReport:
    exercises: dict[str, list[CheckResult]] = {}
    for result in results:
        exercises.setdefault(result.exercise, []).append(result)
    return GradingReport(
        [ExerciseResult(name, name, checks) for name, checks in exercises.items()],
        "run",
    )


def test_the_summary_ranks_checks_and_bins_scores() -> None:
    results = [
        Graded(
            "ann",
            "graded",
            1,
            report(check("01-a", "x", True, 2), check("01-a", "y", True, 2)),
        ),
        Graded(
            "ben",
            "graded",
            1,
            report(check("01-a", "x", True, 2), check("01-a", "y", False, 2)),
        ),
        Graded(
            "cat",
            "cached",
            0,
            report(check("01-a", "x", False, 2), check("01-a", "y", False, 2)),
        ),
        Graded("dan", "failed", 9, None, "grading failed (exit status 1): boom"),
    ]

    summary = summarize(results, ["01-a"])

    assert [(rate.check, rate.passed, rate.graded) for rate in summary.hardest] == [
        ("y", 1, 3),
        ("x", 2, 3),
    ]
    assert dict(summary.histogram) == {
        **{label: 0 for label, _ in summary.histogram},
        "0-9%": 1,
        "50-59%": 1,
        "90-100%": 1,
    }
    assert summary.mean() == pytest.approx(50.0)
    printed = io.StringIO()
    print_summary(summary, printed)
    assert "33% #######" in printed.getvalue()
    assert "dan: grading failed (exit status 1): boom" in printed.getvalue()
    html = render_html(summary, "<class>")
    assert "&lt;class&gt;" in html
    assert "grading failed (exit status 1): boom" in html


def test_the_fingerprint_follows_the_files_and_not_git(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "Dockerfile").write_text("FROM debian\n")
    first = fingerprint(tmp_path, "lock")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "index").write_bytes(b"changes every fetch")

    assert fingerprint(tmp_path, "lock") == first
    assert fingerprint(tmp_path, "another lock") != first
    (tmp_path / "exercises" / "Dockerfile").write_text("FROM debian:bookworm\n")
    assert fingerprint(tmp_path, "lock") != first


def test_the_teachers_repository_is_a_reference_too(
    classroom: tuple[Path, Path], tmp_path: Path
) -> None:
    template, _ = classroom
    source = template.parent / "teacher"
    exported = load_reference(template)

    from_repository = prepare_reference(source, tmp_path / "out")
    again = prepare_reference(source, tmp_path / "out")

    assert from_repository.lock.digest == exported.lock.digest == again.lock.digest
    assert (tmp_path / "out/reference/brickyard.lock").is_file()
    assert load_reference(source).lock.digest == exported.lock.digest
    copied = prepare_reference(template / "brickyard.lock", tmp_path / "other")
    assert copied.workflow_sha256 == exported.workflow_sha256 is not None

"""Bulk grading: every submission of a class, graded against the teacher's specs.

Each submission (one folder per student under DIR, as `gh classroom clone` makes
them) is graded by its own `brickyard grade --specs-from` process, in a temporary
copy and with its own run identity, so submissions cannot see or disturb each other
and a crash or a time-out stays with its submission. Several run at once (`-j N`).
A state file remembers each submission's fingerprint (its files, the teacher's lock,
brickyard's version and the options), so a run that is started again grades only
what changed or failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import grader
from grader import __version__
from grader.reports.markdown import markdown_summary
from grader.reports.model import GradingReport
from grader.teacher.export import export_template
from grader.teacher.integrity import DIGEST_ENV, LOCK_FILE, sha256_file
from grader.teacher.specs import WORKFLOW, Reference, load_reference

#: Where the running grader's package lives: graders are started from there, so a
#: submission's own `grader/` can never be the one imported.
GRADER_HOME = Path(grader.__file__).resolve().parent.parent
STATE_FILE = "bulk-state.json"

Status = Literal["graded", "cached", "failed"]


@dataclass(frozen=True)
class BulkOptions:
    """What `brickyard bulk` was asked to do."""

    submissions: Path
    out: Path
    selectors: list[str] = field(default_factory=list)
    jobs: int = 1
    reports: bool = False
    quiz_keys: Path | None = None
    #: Seconds one submission may take before its grading is stopped.
    timeout: int = 1800
    regrade: bool = False


@dataclass
class Graded:
    """One submission's outcome in this run."""

    name: str
    status: Status
    seconds: float = 0.0
    report: GradingReport | None = None
    error: str | None = None


def find_submissions(folder: Path, out: Path) -> list[Path]:
    """Return the submission folders under `folder`: every visible subfolder."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and path.resolve() != out.resolve()
    )


def fingerprint(submission: Path, salt: str) -> str:
    """Hash every file of a submission (but .git) with `salt`; stable across runs."""
    digest = hashlib.sha256(salt.encode())
    for current, folders, names in os.walk(submission):
        folders[:] = sorted(name for name in folders if name != ".git")
        for name in sorted(names):
            path = Path(current) / name
            relative = path.relative_to(submission).as_posix()
            try:
                if path.is_symlink():
                    content = "link:" + os.readlink(path)
                elif path.is_file():
                    content = sha256_file(path)
                else:
                    # A named pipe or a device: opening it could block for ever.
                    content = f"special:{path.lstat().st_mode:o}"
            except OSError as error:
                content = f"unreadable:{error.errno}"
            digest.update(f"{relative}\0{content}\n".encode())
    return digest.hexdigest()


def prepare_reference(template: Path, out: Path) -> Reference:
    """Put the teacher's reference under `out/reference`, where every grader reads it.

    `template` is the exported template (or its `brickyard.lock`), or the teacher's
    repository, which is exported there first: the same files give the same lock, so
    a later run finds the same digest and can reuse its grades.
    """
    folder = out / "reference"
    template = template.resolve()
    if template.is_dir() and not (template / LOCK_FILE).is_file():
        export_template(template, folder, replace=True)
        return load_reference(folder)
    source = load_reference(template)
    assert source.folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK_FILE).write_bytes((source.folder / LOCK_FILE).read_bytes())
    workflow = source.folder / WORKFLOW
    if workflow.is_file():
        (folder / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
        (folder / WORKFLOW).write_bytes(workflow.read_bytes())
    return load_reference(folder)


class State:
    """The state file: each submission's fingerprint when it was last graded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict[str, dict[str, object]] = {}
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.entries = dict(json.loads(path.read_text())["entries"])

    def fingerprint(self, name: str) -> object:
        return self.entries.get(name, {}).get("fingerprint")

    def record(self, name: str, key: str, seconds: float) -> None:
        with self.lock:
            self.entries[name] = {"fingerprint": key, "seconds": round(seconds, 1)}
            scratch = self.path.with_suffix(".tmp")
            scratch.write_text(json.dumps({"entries": self.entries}, indent=1) + "\n")
            os.replace(scratch, self.path)


def read_report(path: Path) -> GradingReport | None:
    try:
        return GradingReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def grade_submission(
    submission: Path,
    reference_folder: Path,
    digest: str,
    options: BulkOptions,
) -> Graded:
    """Grade one submission in a `brickyard grade` process of its own."""
    students = options.out / "students"
    report_path = students / f"{submission.name}.json"
    log_path = students / f"{submission.name}.log"
    report_path.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "grader.cli",
        "grade",
        *options.selectors,
        "--root",
        str(submission),
        "--specs-from",
        str(reference_folder),
        "--json",
        str(report_path),
        "--quiet",
    ]
    if options.quiz_keys:
        command += ["--quiz-keys", str(options.quiz_keys)]
    started = time.monotonic()
    error = None
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=GRADER_HOME,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, DIGEST_ENV: digest, "PYTHONDONTWRITEBYTECODE": "1"},
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=options.timeout)
        except subprocess.TimeoutExpired:
            status = stop(process)
            error = (
                f"grading took longer than {options.timeout} s and was stopped;"
                f" its log is {log_path}"
            )
    seconds = time.monotonic() - started
    report = read_report(report_path)
    if report is None and error is None:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip()
        last = " | ".join(tail.splitlines()[-3:]) or "(no output)"
        error = f"grading failed (exit status {status}): {last}"
    if report is not None and options.reports:
        (students / f"{submission.name}.md").write_text(
            f"# {submission.name}\n\n{markdown_summary(report)}", encoding="utf-8"
        )
    if error:
        return Graded(submission.name, "failed", seconds, report, error)
    return Graded(submission.name, "graded", seconds, report)


def stop(process: subprocess.Popen[bytes]) -> int:
    """Stop a grading process: SIGTERM lets it clean the engine up, SIGKILL if not."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def run_bulk(
    options: BulkOptions,
    reference: Reference,
    progress: Callable[[str, Graded | None], None] | None = None,
) -> list[Graded]:
    """Grade every submission (cached ones are read back); return them in order."""
    notify = progress or (lambda event, graded: None)
    students = options.out / "students"
    students.mkdir(parents=True, exist_ok=True)
    assert reference.folder is not None
    reference_folder = reference.folder
    digest = reference.lock.digest
    keys = sha256_file(options.quiz_keys) if options.quiz_keys else ""
    # The teacher's lock covers the grader students received; a grader changed
    # since, without a new export, is what --regrade is for.
    salt = "\n".join([digest, __version__, " ".join(options.selectors), keys])
    state = State(options.out / STATE_FILE)
    submissions = find_submissions(options.submissions, options.out)
    results: dict[str, Graded] = {}
    pending = []
    for submission in submissions:
        key = fingerprint(submission, salt)
        cached = read_report(students / f"{submission.name}.json")
        if not options.regrade and cached and state.fingerprint(submission.name) == key:
            results[submission.name] = Graded(submission.name, "cached", 0.0, cached)
            notify("done", results[submission.name])
        else:
            pending.append((submission, key))

    def work(submission: Path, key: str) -> Graded:
        notify("start", Graded(submission.name, "graded"))
        try:
            graded = grade_submission(submission, reference_folder, digest, options)
        except Exception as crash:  # one submission's failure never stops the rest
            graded = Graded(submission.name, "failed", 0.0, None, f"{crash!r}")
        if graded.status == "graded":
            state.record(submission.name, key, graded.seconds)
        notify("done", graded)
        return graded

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = [pool.submit(work, submission, key) for submission, key in pending]
        for future in futures:
            graded = future.result()
            results[graded.name] = graded
    return [results[submission.name] for submission in submissions]


class ProgressBar:
    """One line across the class: a bar, counts, and the last submission finished.

    On a terminal the line is redrawn in place; elsewhere (CI logs, files) each
    finished submission gets a line of its own.
    """

    def __init__(self, total: int, stream: TextIO = sys.stdout) -> None:
        self.total = total
        self.stream = stream
        self.finished = 0
        self.running: set[str] = set()
        self.lock = threading.Lock()
        self.live = stream.isatty()
        self.started = time.monotonic()

    def __call__(self, event: str, graded: Graded | None) -> None:
        if graded is None:
            return
        with self.lock:
            if event == "start":
                self.running.add(graded.name)
            else:
                self.running.discard(graded.name)
                self.finished += 1
            self.draw(event, graded)

    def draw(self, event: str, graded: Graded) -> None:
        width = 24
        filled = width * self.finished // max(1, self.total)
        bar = "#" * filled + "." * (width - filled)
        last = ""
        if event == "done":
            score = (
                f"{graded.report.score}/{graded.report.max_score}"
                if graded.report
                else "no score"
            )
            how = {"cached": "unchanged", "failed": "FAILED", "graded": "graded"}
            last = f"{graded.name}: {score}, {how[graded.status]}" + (
                f" in {graded.seconds:.0f} s" if graded.status != "cached" else ""
            )
        line = (
            f"[{bar}] {self.finished}/{self.total}"
            f"  {time.monotonic() - self.started:.0f} s"
            + (f"  running {len(self.running)}" if self.running else "")
            + (f"  {last}" if last else "")
        )
        if self.live:
            self.stream.write("\r\x1b[2K" + line)
            if self.finished == self.total:
                self.stream.write("\n")
        elif event == "done":
            self.stream.write(line + "\n")
        self.stream.flush()

"""Bulk grading: every submission of a class, graded against the teacher's specs.

Each submission (one folder per student under DIR, as `gh classroom clone` makes
them) is graded by its own `brickyard grade --specs-from` process, in a temporary
copy and with its own run identity, so submissions cannot see or disturb each other
and a crash or a time-out stays with its submission. Several run at once (`-j N`).
A state file remembers each submission's fingerprint (its files, the teacher's lock,
a digest of the grader's sources and the options), so a run that is started again
grades only what changed or failed. Ctrl-C or SIGTERM cancels what has not started,
stops the running graders (each removes what it made) and keeps what finished.
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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import grader
from grader.interrupts import stop_on_sigterm
from grader.quiz.grading import SELECTOR as QUIZ_SELECTOR
from grader.reports.markdown import markdown_summary
from grader.reports.model import GradingReport
from grader.teacher.export import export_template
from grader.teacher.integrity import DIGEST_ENV, LOCK_FILE, sha256_file, walk_files
from grader.teacher.specs import WORKFLOW, Reference, load_reference
from grader.workspace import ExerciseFolder, SelectionError, select

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
    #: Stopped by Ctrl-C or SIGTERM before it finished: not in the gradebook.
    interrupted: bool = False


class BulkInterrupted(Exception):
    """Ctrl-C or SIGTERM stopped a bulk run; `results` holds what finished."""

    def __init__(self, results: list[Graded]) -> None:
        super().__init__("bulk grading was interrupted")
        self.results = results


class Running:
    """The grading processes running now, so an interrupt can stop every one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.processes: set[subprocess.Popen[bytes]] = set()
        self.stopping = threading.Event()

    def add(self, process: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.processes.add(process)
        if self.stopping.is_set():
            signal_group(process, signal.SIGTERM)

    def discard(self, process: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.processes.discard(process)

    def stop_all(self, signum: int = signal.SIGTERM) -> None:
        """Signal every running grader; SIGTERM lets each clean the engine up."""
        self.stopping.set()
        with self.lock:
            processes = list(self.processes)
        for process in processes:
            signal_group(process, signum)


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def check_selectors(selectors: list[str], reference: Reference) -> None:
    """Raise SelectionError, listing the valid ones, for a selector the lock lacks."""
    has_quiz = any(path.startswith("quiz/") for path in reference.lock.files)
    folders = [
        ExerciseFolder(Path("exercises") / id) for id in reference.lock.exercises
    ]
    wanted = [
        item for item in selectors if item.lower() != QUIZ_SELECTOR or not has_quiz
    ]
    try:
        select(folders, wanted)
    except SelectionError as error:
        quiz = f"\n  {QUIZ_SELECTOR}  the concepts quiz" if has_quiz else ""
        raise SelectionError(f"{error}{quiz}") from None


def grader_digest(home: Path = GRADER_HOME) -> str:
    """Hash the sources of the grader doing the grading: a changed grader regrades."""
    digest = hashlib.sha256()
    for relative in walk_files(home, "grader"):
        path = home / relative
        if path.is_file() and not path.is_symlink():
            digest.update(f"{relative}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


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
    running: Running | None = None,
) -> Graded:
    """Grade one submission in a `brickyard grade` process of its own."""
    running = running or Running()
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
        running.add(process)
        try:
            status = process.wait(timeout=options.timeout)
        except subprocess.TimeoutExpired:
            status = stop(process)
            error = (
                f"grading took longer than {options.timeout} s and was stopped;"
                f" its log is {log_path}"
            )
        finally:
            running.discard(process)
    seconds = time.monotonic() - started
    if running.stopping.is_set():
        return Graded(
            submission.name, "failed", seconds, None, "interrupted", interrupted=True
        )
    report = read_report(report_path)
    if report is None and error is None:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip()
        last = " | ".join(tail.splitlines()[-3:]) or "(no output)"
        error = f"grading failed (exit status {status}): {last}"
    if error:
        return Graded(submission.name, "failed", seconds, report, error)
    return Graded(submission.name, "graded", seconds, report)


def write_student_report(students: Path, graded: Graded) -> None:
    """Write a student's Markdown report: the grade, or why there is none."""
    parts = [f"# {graded.name}\n"]
    if graded.error:
        parts.append(f"Grading failed: {graded.error}\n")
    if graded.report is not None:
        parts.append(markdown_summary(graded.report))
    (students / f"{graded.name}.md").write_text("\n".join(parts), encoding="utf-8")


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
    # The teacher's lock covers the grader students received; the digest of the
    # grader doing the grading makes an upgraded or edited one grade everything again.
    salt = "\n".join([digest, grader_digest(), " ".join(options.selectors), keys])
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
    running = Running()

    def work(submission: Path, key: str) -> Graded:
        if running.stopping.is_set():
            return Graded(
                submission.name, "failed", error="interrupted", interrupted=True
            )
        notify("start", Graded(submission.name, "graded"))
        try:
            graded = grade_submission(
                submission, reference_folder, digest, options, running
            )
        except Exception as crash:  # one submission's failure never stops the rest
            graded = Graded(submission.name, "failed", 0.0, None, f"{crash!r}")
        if graded.status == "graded":
            state.record(submission.name, key, graded.seconds)
        if not graded.interrupted:
            notify("done", graded)
        return graded

    pool = ThreadPoolExecutor(max_workers=max(1, options.jobs))
    futures = [pool.submit(work, submission, key) for submission, key in pending]
    interrupted = False
    try:
        with stop_on_sigterm():
            for future in futures:
                graded = future.result()
                results[graded.name] = graded
    except KeyboardInterrupt:
        interrupted = True
        collect_after_interrupt(pool, futures, running, results)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    finished = [
        results[submission.name]
        for submission in submissions
        if submission.name in results and not results[submission.name].interrupted
    ]
    if options.reports:
        for graded in finished:
            write_student_report(students, graded)
    if interrupted:
        raise BulkInterrupted(finished)
    return finished


def collect_after_interrupt(
    pool: ThreadPoolExecutor,
    futures: list[Future[Graded]],
    running: Running,
    results: dict[str, Graded],
) -> None:
    """Cancel what has not started, stop what runs, and keep what had finished."""
    pool.shutdown(wait=False, cancel_futures=True)
    running.stop_all()
    for future in futures:
        if future.cancelled():
            continue
        try:
            graded = future.result()
        except KeyboardInterrupt:
            # A second Ctrl-C: the graders are not given time to clean up.
            running.stop_all(signal.SIGKILL)
            graded = future.result()
        results[graded.name] = graded


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

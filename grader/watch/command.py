"""`brickyard watch`: grade the current exercise again on every save, as rustlings does.

It starts at the first exercise not at full marks (after `.brickyard/progress.json`)
and polls the exercise folder's files for changes; no file watcher library is needed.
Each grade runs in a worker process (grader.watch.worker) that reports its events as
they happen: the static checks answer at once, the engine checks follow. A save in
the middle of a grade stops that grade (its containers are removed) and starts a new
one. Keys: `h` hint, `n` next exercise, `r` grade again, `q` quit.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from grader.checks import Need, all_kinds
from grader.engine.client import connect
from grader.spec import SpecError, load_exercise
from grader.watch.hint import hint_lines
from grader.watch.keys import Keyboard
from grader.watch.screen import CLEAR, HIDE_CURSOR, SHOW_CURSOR, Attempt, CheckRow, View
from grader.watch.screen import render as render_screen
from grader.watch.state import STATE_FILE, Progress
from grader.workspace import (
    ExerciseFolder,
    SelectionError,
    require_exercises,
    select,
)

#: Exit statuses, as `brickyard grade` uses them.
EXIT_OK, EXIT_USAGE = 0, 2
#: Seconds: how long to wait for a key, how often to look at the files, how long a
#: changed file must stay unchanged before grading (editors write in bursts), how
#: often a running grade's screen is redrawn, and how long a stopped grade may take
#: to clean up.
KEY_WAIT, SCAN_EVERY, SETTLE, REDRAW_EVERY, STOP_WAIT = 0.1, 0.5, 0.3, 0.5, 120.0
#: Files that editors write beside the one being edited: saving them is no save.
_SCRATCH_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak")
_SKIPPED_FOLDERS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache"}


def fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of every file under `folder`, sorted."""
    found = []
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in _SKIPPED_FOLDERS)
        for name in files:
            if (
                name.endswith(_SCRATCH_SUFFIXES)
                or name.startswith(".#")
                or name == "4913"
            ):
                continue
            path = Path(current) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            found.append(
                (str(path.relative_to(folder)), info.st_mtime_ns, info.st_size)
            )
    return tuple(sorted(found))


def rows_of(folder: ExerciseFolder) -> tuple[str, list[CheckRow]]:
    """The title and checks of an exercise, to list before any result arrives."""
    try:
        exercise = load_exercise(folder.path)
    except SpecError:
        return "", []
    kinds = all_kinds()
    return exercise.title, [
        CheckRow(
            check.id,
            check.title,
            check.points,
            check.visibility,
            kinds[check.kind].needs == Need.FILES,
        )
        for check in exercise.checks
    ]


class GradingRun:
    """One worker process grading one exercise; its events are read in a thread."""

    def __init__(self, folder: ExerciseFolder) -> None:
        title, rows = rows_of(folder)
        self.attempt = Attempt(folder.id, title, rows)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        # Kept open for the worker's whole life and closed by close().
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115
        flags = 0
        if sys.platform == "win32":
            flags = subprocess.CREATE_NEW_PROCESS_GROUP
        # A session of its own: Ctrl-C at the terminal reaches `watch`, which then
        # stops the grade itself and waits for its cleanup.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.watch.worker", str(folder.path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            encoding="utf-8",
            start_new_session=sys.platform != "win32",
            creationflags=flags,
        )
        self.stopping = False
        #: The full grade was saved to the progress file.
        self.recorded = False
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                self.events.put(event)

    def pump(self) -> bool:
        """Fold the events that arrived into the attempt; tell whether any did."""
        seen = False
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return seen
            self.attempt.apply(event)
            seen = True

    def stop(self) -> None:
        """Ask the worker to stop; it removes what it created, then exits."""
        if self.process.poll() is None and not self.stopping:
            self.stopping = True
            if sys.platform == "win32":
                self.process.terminate()
            else:
                self.process.send_signal(signal.SIGTERM)

    @property
    def finished(self) -> bool:
        return self.process.poll() is not None and not self.reader.is_alive()

    def wait(self, timeout: float) -> None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
        self.pump()

    def failure(self) -> str:
        """The end of what the worker wrote to its error stream."""
        self.errors.seek(0)
        text = self.errors.read().decode("utf-8", errors="replace").strip()
        return (
            "\n".join(text.splitlines()[-6:])
            or f"exit status {self.process.returncode}"
        )

    def close(self) -> None:
        self.errors.close()
        if self.process.stdout is not None:
            self.process.stdout.close()


class Watcher:
    """The watch loop: keys, file changes and grade events, and the screen."""

    def __init__(
        self,
        root: Path,
        folders: list[ExerciseFolder],
        current: ExerciseFolder,
        keyboard: Keyboard,
        out: TextIO,
    ) -> None:
        self.root = root
        self.folders = folders
        self.current = current
        self.keyboard = keyboard
        self.out = out
        self.live = out.isatty()
        self.color = self.live and "NO_COLOR" not in os.environ
        self.progress = Progress.load(root)
        self.run: GradingRun | None = None
        self.attempt = Attempt(current.id, *rows_of(current))
        self.wanted = True
        self.show_hints = False
        self.notice = ""
        self.files = fingerprint(current.path)
        self.changed_at: float | None = None
        self.scanned = time.monotonic()
        self.dirty = True
        self.drawn = 0.0

    def loop(self) -> int:
        """Watch until `q`, Ctrl-C or the end of input; return the exit status."""
        try:
            while True:
                keys = self.keyboard.read(KEY_WAIT)
                if keys is None or "q" in keys or "Q" in keys:
                    break
                for key in keys:
                    self.press(key)
                self.pump()
                self.scan()
                self.advance()
                self.draw()
        except KeyboardInterrupt:
            pass
        self.finish()
        return EXIT_OK

    def press(self, key: str) -> None:
        if key in "hH":
            self.show_hints = not self.show_hints
        elif key in "nN":
            self.current = self.progress.next_unfinished(self.folders, self.current)
            self.attempt = Attempt(self.current.id, *rows_of(self.current))
            self.files = fingerprint(self.current.path)
            self.show_hints = False
            self.request_grade()
        elif key in "rR":
            self.request_grade()
        else:
            return
        self.dirty = True

    def request_grade(self) -> None:
        """Grade the current exercise as soon as any grade running has stopped."""
        self.wanted = True
        # A grade that is done is only exiting: let it, it has cleaned up already.
        if self.run is not None and self.run.attempt.phase != "done":
            self.run.stop()
            self.notice = "Stopping the previous grade and removing its containers..."

    def pump(self) -> None:
        run = self.run
        if run is None:
            return
        if run.pump():
            self.dirty = True
            if run.attempt.phase == "done" and not run.recorded:
                run.recorded = True
                self.progress.record(
                    run.attempt.exercise, list(run.attempt.results.values())
                )
                self.progress.save()
        if not run.finished:
            return
        run.pump()
        attempt = run.attempt
        if not run.stopping and attempt.phase not in ("done", "failed"):
            attempt.error = "The grader stopped before it finished:\n" + run.failure()
            attempt.phase = "failed"
        run.close()
        self.run = None
        self.dirty = True

    def scan(self) -> None:
        """Look at the files now and then; grade again once a change has settled."""
        now = time.monotonic()
        if now - self.scanned >= SCAN_EVERY:
            self.scanned = now
            files = fingerprint(self.current.path)
            if files != self.files:
                self.files = files
                self.changed_at = now
        if self.changed_at is not None and now - self.changed_at >= SETTLE:
            self.changed_at = None
            self.request_grade()
            self.dirty = True

    def advance(self) -> None:
        if self.run is None and self.wanted:
            self.wanted = False
            self.run = GradingRun(self.current)
            self.attempt = self.run.attempt
            self.notice = ""
            self.dirty = True

    def view(self) -> View:
        hints = None
        if self.show_hints:
            try:
                exercise = load_exercise(self.current.path)
            except SpecError as error:
                hints = [f"  {error}"]
            else:
                last = self.progress.exercises.get(exercise.id)
                hints = hint_lines(exercise, last, self.width() - 4)
        done = sum(self.progress.done(folder.id) for folder in self.folders)
        try:
            shown = self.current.path.relative_to(Path.cwd())
        except ValueError:
            shown = self.current.path
        return View(
            self.attempt,
            self.folders.index(self.current) + 1,
            len(self.folders),
            f"{shown}{os.sep}",
            done,
            hints,
            self.notice,
        )

    def width(self) -> int:
        return shutil.get_terminal_size((100, 40)).columns

    def draw(self, force: bool = False) -> None:
        """Draw the screen when something changed (on a terminal, also to tick)."""
        now = time.monotonic()
        ticking = (
            self.live and self.run is not None and now - self.drawn >= REDRAW_EVERY
        )
        if not (force or self.dirty or ticking):
            return
        lines = render_screen(self.view(), self.width() - 1, self.color)
        prefix = CLEAR if self.live else "\n"
        self.out.write(prefix + "\n".join(lines) + "\n")
        self.out.flush()
        self.dirty, self.drawn = False, now

    def finish(self) -> None:
        """Stop a grade still running, waiting for its cleanup, and say goodbye."""
        run = self.run
        if run is not None:
            if not run.finished and run.attempt.phase != "done":
                run.stop()
                self.notice = "Stopping: removing this grade's containers and images..."
                self.draw(force=True)
            run.wait(STOP_WAIT)
            run.close()
            self.run = None
        self.out.write(
            f"\nYour progress is saved in {self.root / STATE_FILE}."
            " Run `nox -s watch` to go on.\n"
        )
        self.out.flush()


def add_parser(commands: Any) -> None:
    """Add `watch` to the command line's subcommands."""
    parser = commands.add_parser(
        "watch",
        help="grade the current exercise again on every save (keys: h, n, r, q)",
    )
    parser.add_argument(
        "selector",
        nargs="?",
        metavar="SELECTOR",
        help="start at this exercise (default: the first not at full marks)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the tree whose exercises/ to watch (default: here)",
    )


def run(args: argparse.Namespace) -> int:
    """Watch the exercises until the student quits."""
    root = args.root.resolve()
    try:
        folders = require_exercises(root)
    except SelectionError as error:
        print(f"brickyard: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.selector:
        try:
            current = select(folders, [args.selector])[0]
        except SelectionError as error:
            print(f"brickyard: {error}", file=sys.stderr)
            return EXIT_USAGE
    else:
        current = Progress.load(root).first_unfinished(folders) or folders[0]
    # Say at once when no engine answers, rather than on every save.
    connect().close()

    out = sys.stdout
    with Keyboard() as keyboard:
        if out.isatty():
            out.write(HIDE_CURSOR)
        try:
            return Watcher(root, folders, current, keyboard, out).loop()
        finally:
            if out.isatty():
                out.write(SHOW_CURSOR)
                out.flush()

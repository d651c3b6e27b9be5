"""The grading half of `brickyard watch`: one exercise, events out as JSON lines.

`brickyard watch` runs `python -m grader.watch.worker EXERCISE_FOLDER` for each grade,
so a grade made stale by a save can be stopped at once: SIGTERM interrupts it as
Ctrl-C would, and the grading plugin removes what it created. The static checks run
first, in a pytest run of their own, so their verdicts arrive while the image still
builds; then the checks that need the engine. Standard output carries only events.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

import pytest

from grader.checks import Need, all_kinds
from grader.checks.result import CheckResult
from grader.cli import pytest_arguments
from grader.engine.client import EngineUnavailable, connect
from grader.engine.labels import RunIdentity
from grader.engine.progress import ProgressNote
from grader.interrupts import stop_on_sigterm
from grader.plugin import CheckItem, ExerciseResult, GradingPlugin
from grader.spec import Exercise

#: The two passes of a grade: the checks that need only the files, then the rest.
PHASES = ("static", "engine")


class Emitter:
    """Writes the grading plugin's events to a stream, one JSON object a line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def emit(self, event: str, **data: Any) -> None:
        self.stream.write(json.dumps({"event": event, **data}, default=str) + "\n")
        self.stream.flush()

    def listen(self, event: str, data: Any) -> None:
        """The plugin's listener: turn each event into data a parent can read."""
        if event == "exercise_start" and isinstance(data, Exercise):
            self.emit("exercise_start", **describe(data))
        elif event == "check_start":
            self.emit("check_start", check=str(data).rsplit("::", 1)[-1])
        elif event == "check_done" and isinstance(data, CheckResult):
            self.emit("check_done", result=data.to_dict())
        elif event == "progress" and isinstance(data, ProgressNote):
            # Of the build's output, only its steps are shown.
            if data.kind == "phase" or data.build_step:
                self.emit("progress", text=data.text, kind=data.kind)
        elif event == "exercise_error" and isinstance(data, ExerciseResult):
            self.emit("exercise_error", error=data.error or "")


def describe(exercise: Exercise) -> dict[str, Any]:
    """The parts of a spec the watch screen shows, checks in the order they run."""
    kinds = all_kinds()
    return {
        "exercise": exercise.id,
        "title": exercise.title,
        "checks": [
            {
                "id": check.id,
                "title": check.title,
                "points": check.points,
                "visibility": check.visibility,
                "static": kinds[check.kind].needs == Need.FILES,
            }
            for check in exercise.checks
        ],
    }


def is_static(item: pytest.Item) -> bool:
    """Tell whether an item needs only the files (a spec error counts as static)."""
    if isinstance(item, CheckItem):
        return all_kinds()[item.check.kind].needs == Need.FILES
    return True


class PhaseFilter:
    """A pytest plugin that keeps only the items of one phase of the grade."""

    def __init__(self, phase: str) -> None:
        self.static = phase == "static"

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        kept = [item for item in items if is_static(item) == self.static]
        dropped = [item for item in items if is_static(item) != self.static]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept


def grade(folder: Path, emitter: Emitter) -> int:
    """Grade the exercise in `folder` in two passes; return an exit status."""
    try:
        client = connect()
    except EngineUnavailable as error:
        emitter.emit("fatal", message=str(error))
        return 3
    identity = RunIdentity()
    spec = str(folder / "exercise.yaml")
    with tempfile.TemporaryDirectory(prefix="brickyard-watch-") as scratch:
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n")
        for phase in PHASES:
            plugin = GradingPlugin(client, identity, emitter.listen)
            status = pytest.main(
                pytest_arguments(ini, [spec]), plugins=[plugin, PhaseFilter(phase)]
            )
            if status == pytest.ExitCode.INTERRUPTED:
                return 130
            emitter.emit("phase_done", phase=phase)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.watch.worker")
    parser.add_argument("folder", type=Path, help="the exercise folder to grade")
    args = parser.parse_args(argv)
    emitter = Emitter(sys.stdout)
    try:
        with stop_on_sigterm():
            return grade(args.folder.resolve(), emitter)
    except KeyboardInterrupt:
        # Stopped by `brickyard watch` (a newer save, `n` or `q`): pytest has run
        # its session finish by now, so what this grade created is removed.
        return 130


if __name__ == "__main__":
    sys.exit(main())

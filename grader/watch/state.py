"""Saved progress: each exercise's last full grade, in `.brickyard/progress.json`.

`brickyard watch` and `brickyard grade` write it after every full grade; watch starts
at the first exercise not at full marks, and `brickyard hint` lists the checks that
failed last time first.
The file lives in the exercises' tree (git-ignored), so each clone keeps its own.
Scores count visible checks only: a hidden check's verdict is the teacher's.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.checks.result import CheckResult
from grader.workspace import ExerciseFolder

log = logging.getLogger(__name__)

#: The state file, relative to the tree that holds `exercises/`.
STATE_FILE = Path(".brickyard") / "progress.json"
VERSION = 1


@dataclass
class ExerciseProgress:
    """The last full grade of one exercise."""

    score: int
    max_score: int
    #: The ids of the visible checks that failed.
    failed: list[str] = field(default_factory=list)
    #: When it was graded, in UTC, ISO 8601.
    graded: str = ""

    @property
    def done(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score and not self.failed

    @classmethod
    def from_results(cls, checks: list[CheckResult]) -> ExerciseProgress:
        visible = [check for check in checks if check.visibility == "visible"]
        return cls(
            score=sum(check.score for check in visible),
            max_score=sum(check.max_score for check in visible),
            failed=[check.id for check in visible if not check.passed],
            graded=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )


@dataclass
class Progress:
    """Every exercise's last full grade, read from and written to the state file."""

    path: Path
    exercises: dict[str, ExerciseProgress] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> Progress:
        """Read the state file under `root`; a missing or damaged one starts afresh."""
        path = root / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            exercises = {
                str(key): ExerciseProgress(
                    int(value["score"]),
                    int(value["max_score"]),
                    [str(item) for item in value.get("failed", [])],
                    str(value.get("graded", "")),
                )
                for key, value in data.get("exercises", {}).items()
            }
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("ignoring the unreadable progress file %s: %s", path, error)
            return cls(path)
        return cls(path, exercises)

    def save(self) -> None:
        """Write the file whole (a temporary file renamed over it)."""
        data = {
            "version": VERSION,
            "exercises": {
                key: asdict(value) for key, value in sorted(self.exercises.items())
            },
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            log.warning("cannot save progress to %s: %s", self.path, error)

    def record(self, exercise_id: str, checks: list[CheckResult]) -> ExerciseProgress:
        """Remember a full grade of `exercise_id`."""
        self.exercises[exercise_id] = ExerciseProgress.from_results(checks)
        return self.exercises[exercise_id]

    def done(self, exercise_id: str) -> bool:
        found = self.exercises.get(exercise_id)
        return found is not None and found.done

    def first_unfinished(self, folders: list[ExerciseFolder]) -> ExerciseFolder | None:
        """The first exercise, in number order, not at full marks; None if all are."""
        return next((item for item in folders if not self.done(item.id)), None)

    def next_unfinished(
        self, folders: list[ExerciseFolder], current: ExerciseFolder
    ) -> ExerciseFolder:
        """The next exercise after `current` not at full marks, wrapping around.

        When every other exercise is at full marks, the one after `current`.
        """
        index = folders.index(current) if current in folders else -1
        after = folders[index + 1 :] + folders[: index + 1]
        others = [item for item in after if item != current]
        pending = [item for item in others if not self.done(item.id)]
        if pending:
            return pending[0]
        return others[0] if others else current

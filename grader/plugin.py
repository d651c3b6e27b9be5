"""The grading pipeline as a pytest plugin: each check of an exercise is a pytest item.

`brickyard grade` runs pytest on the selected `exercise.yaml` files with this plugin.
An `ExerciseFile` collector loads one spec and yields one `CheckItem` per check, ordered
by what the checks need (static checks first, destructive ones last). The collector's
setup and teardown own the exercise's `ExerciseSession`, so the image is built once and
everything is removed when the exercise's last check is done. Results travel in each
report's `user_properties`, so they survive pytest-xdist and land in JUnit XML.
"""

from __future__ import annotations

import json
import logging
import posixpath
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from grader.checks import Outcome, Unavailable, all_kinds
from grader.checks.result import CheckResult
from grader.engine import cleanup
from grader.engine.build import is_from
from grader.engine.image_bytes import describe_image
from grader.engine.labels import RunIdentity
from grader.engine.ledger import Ledger
from grader.engine.progress import ProgressNote
from grader.engine.session import ExerciseSession
from grader.spec import CheckSpec, Exercise, SpecError, load_exercise

log = logging.getLogger(__name__)

RESULT_PROPERTY = "brickyard.result"
SPEC_ERROR_PROPERTY = "brickyard.spec_error"


@dataclass
class ExerciseResult:
    """One exercise as graded: its checks' results, or the error that stopped it."""

    id: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None
    max_score_declared: int = 0
    #: Where the bytes of each image graded are (grader.engine.image_bytes), when
    #: the run was asked to measure them.
    images: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(check.score for check in self.checks)

    @property
    def max_score(self) -> int:
        return max(
            self.max_score_declared, sum(check.max_score for check in self.checks)
        )


class GradingPlugin:
    """Holds a run's identity and engine client; gathers results as checks finish."""

    def __init__(
        self,
        client: docker.DockerClient,
        identity: RunIdentity,
        listener: Callable[[str, Any], None] | None = None,
        display_ids: dict[Path, str] | None = None,
        collect_layers: bool = False,
    ) -> None:
        self.client = client
        #: Measure the layers of each exercise's image for the reports (slow-ish).
        self.collect_layers = collect_layers
        self.identity = identity
        self.ledger = Ledger(identity.run_id, identity.pid, identity.host)
        self.listener = listener or (lambda event, data: None)
        self.exercises: dict[str, ExerciseResult] = {}
        self.display_ids = display_ids or {}

    def exercise_result(self, exercise_id: str, title: str = "") -> ExerciseResult:
        if exercise_id not in self.exercises:
            self.exercises[exercise_id] = ExerciseResult(exercise_id, title)
        return self.exercises[exercise_id]

    # pytest hooks

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[PLUGIN_KEY] = self
        config.addinivalue_line(
            "markers", "brickyard(exercise, kind, points): a brickyard check"
        )

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            removed = cleanup.remove_orphans(self.client)
        except docker.errors.DockerException as error:
            # Tidying after other runs must never stop this one.
            log.warning("could not remove what earlier runs left: %s", error)
            removed = 0
        if removed:
            log.info(
                "removed %d objects left by earlier grading runs that were killed",
                removed,
            )

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        if file_path.name == "exercise.yaml":
            return ExerciseFile.from_parent(parent, path=file_path)
        return None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            folder = Path(report.nodeid.split("::")[0]).parent.name or report.nodeid
            result = self.exercise_result(folder)
            result.error = str(report.longrepr)
            self.listener("exercise_error", result)

    def pytest_runtest_logstart(
        self, nodeid: str, location: tuple[str, int | None, str]
    ) -> None:
        self.listener("check_start", nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if SPEC_ERROR_PROPERTY in properties:
            if report.when == "call":
                broken = self.exercise_result(str(properties["exercise"]))
                broken.error = str(properties[SPEC_ERROR_PROPERTY])
                self.listener("exercise_error", broken)
            return
        if report.when == "call" or (report.when == "setup" and report.failed):
            result = result_from_report(report)
            exercise = self.exercise_result(result.exercise)
            exercise.checks.append(result)
            self.listener("check_done", result)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # The sessions remove what they made; this catches anything a crash or an
        # interrupt left behind, labelled or listed in the ledger.
        self.listener("progress", ProgressNote("", "removing what this run created"))
        try:
            cleanup.remove_run_objects(self.client, self.identity.run_id)
            cleanup.remove_untagged_images(self.client, reversed(self.ledger.images))
            self.ledger.close()
        except docker.errors.DockerException as error:
            # The ledger stays, so the next run finishes the job.
            log.warning("cleanup did not finish: %s; the next run will", error)
        self.listener("run_done", None)


class ExerciseFile(pytest.File):
    """One `exercise.yaml`: yields a CheckItem for each check in the order they run."""

    exercise: Exercise
    exercise_session: ExerciseSession | None = None

    def collect(self) -> Iterator[pytest.Item]:
        try:
            self.exercise = load_exercise(self.path.parent)
        except SpecError as error:
            yield SpecErrorItem.from_parent(self, name="exercise-spec", error=error)
            return
        plugin = grading_plugin(self.config)
        plugin.exercise_result(
            self.exercise.id, self.exercise.title
        ).max_score_declared = self.exercise.max_score
        ordered = sorted(
            self.exercise.checks, key=lambda check: all_kinds()[check.kind].needs
        )
        for check in ordered:
            yield CheckItem.from_parent(self, name=check.id, check=check)

    def setup(self) -> None:
        plugin = grading_plugin(self.config)
        if hasattr(self, "exercise"):
            plugin.listener("exercise_start", self.exercise)
            self.exercise_session = ExerciseSession(
                self.exercise,
                plugin.client,
                plugin.identity,
                plugin.ledger,
                plugin.listener,
            )

    def teardown(self) -> None:
        session = self.exercise_session
        if session is not None:
            plugin = grading_plugin(self.config)
            try:
                if plugin.collect_layers:
                    record_layers(plugin, session)
            finally:
                session.report_progress("removing what this exercise created")
                session.close()
                self.exercise_session = None
            plugin.listener("exercise_done", self.exercise.id)


class CheckFailed(Exception):
    """Raised by a CheckItem whose check did not pass; carries the result."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.feedback)
        self.result = result


class CheckItem(pytest.Item):
    """One check of one exercise, run against the exercise's shared session."""

    def __init__(self, *, check: CheckSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        exercise = self.exercise_file.exercise
        self.user_properties.append(("exercise", exercise.id))
        self.user_properties.append(("max_score", check.points))
        self.add_marker(
            pytest.mark.brickyard(
                exercise=exercise.id, kind=check.kind, points=check.points
            )
        )

    @property
    def exercise_file(self) -> ExerciseFile:
        assert isinstance(self.parent, ExerciseFile)
        return self.parent

    def runtest(self) -> None:
        session = self.exercise_file.exercise_session
        assert session is not None
        kind = all_kinds()[self.check.kind]
        started = time.monotonic()
        spent = started - session.started
        try:
            if spent > session.exercise.deadline:
                raise Unavailable(
                    f"this exercise's {session.exercise.deadline} s time budget ran out"
                    f" after {spent:.0f} s of earlier checks; make the slow steps"
                    " faster (the evidence of earlier checks shows their times)"
                )
            outcome = kind.run(session, self.check.params)
        except docker.errors.APIError as refused:
            # The engine refused something the student's work asked for (a bad name,
            # a missing file): say what it said, as the verdict of this check.
            outcome = Outcome(
                False,
                "The Docker engine refused a request of this check:"
                f" {refused.explanation or refused}",
            )
        except Unavailable as missing:
            outcome = Outcome(
                False,
                f"This check could not run because {missing.message}",
                missing.evidence,
            )
        result = grade(
            self.exercise_file.exercise, self.check, outcome, time.monotonic() - started
        )
        self.user_properties.append(("score", result.score))
        self.user_properties.append((RESULT_PROPERTY, json.dumps(result.to_dict())))
        if not result.passed:
            raise CheckFailed(result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return excinfo.value.result.feedback
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.exercise_file.exercise.id}::{self.check.id}"


class SpecErrorItem(pytest.Item):
    """Stands for an exercise whose spec is invalid, so its error is reported."""

    def __init__(self, *, error: SpecError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.user_properties.append(("exercise", self.path.parent.name))
        self.user_properties.append((SPEC_ERROR_PROPERTY, str(error)))

    def runtest(self) -> None:
        raise self.error

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "exercise.yaml"


def grade(
    exercise: Exercise, check: CheckSpec, outcome: Outcome, seconds: float
) -> CheckResult:
    """Turn a check's outcome into a scored result with feedback and hint."""
    feedback = outcome.message
    if not outcome.passed and check.feedback:
        feedback = f"{outcome.message}\nWhy it matters: {check.feedback}"
    return CheckResult(
        exercise=exercise.id,
        id=check.id,
        title=check.title,
        kind=check.kind,
        status="passed" if outcome.passed else "failed",
        score=check.points if outcome.passed else 0,
        max_score=check.points,
        feedback=feedback,
        hint="" if outcome.passed else check.hint,
        evidence={
            key: value
            for key, value in outcome.evidence.items()
            if value not in (None, "")
        },
        seconds=round(seconds, 2),
        visibility=check.visibility,
    )


def result_from_report(report: pytest.TestReport) -> CheckResult:
    """Read a CheckResult back from a report, or describe the crash that left none."""
    properties = dict(report.user_properties)
    if RESULT_PROPERTY in properties:
        return CheckResult.from_dict(json.loads(str(properties[RESULT_PROPERTY])))
    path, _, name = report.nodeid.partition("::")
    exercise = str(properties.get("exercise") or Path(path).parent.name)
    reprcrash = getattr(report.longrepr, "reprcrash", None)
    lines = str(report.longrepr).strip().splitlines() or ["(no details)"]
    crash = reprcrash.message if reprcrash is not None else lines[-1]
    return CheckResult(
        exercise,
        name,
        name,
        "unknown",
        "error",
        0,
        int(str(properties.get("max_score", 0))),
        f"The grader could not finish this check: {crash}\nThis is a problem in the"
        " grader,"
        " not in your work; run again with --verbose and report it.",
    )


def record_layers(plugin: GradingPlugin, session: ExerciseSession) -> None:
    """Measure where the bytes of the exercise's image are, if it was built."""
    build = session.built
    if build is None or build.image_id is None or not build.ok:
        return
    session.report_progress("measuring the image's layers")
    froms = [step for step in build.steps if is_from(step)]
    base = froms[-1].image_id if froms else None
    try:
        spec = session.exercise.image
        name = posixpath.normpath(posixpath.join(spec.context, spec.dockerfile))
        described = describe_image(plugin.client, build.image_id, name, base)
    except (docker.errors.APIError, OSError, ValueError, tarfile.TarError) as error:
        # The chart is a help, not a grade: say why it is missing and go on.
        log.warning("could not measure the layers of %s: %s", build.tag, error)
        return
    plugin.exercise_result(session.exercise.id).images.append(described)


def grading_plugin(config: pytest.Config) -> GradingPlugin:
    """Return the grading run's plugin, which the run registered with pytest."""
    return config.stash[PLUGIN_KEY]


PLUGIN_KEY = pytest.StashKey[GradingPlugin]()

"""The typed objects an `exercise.yaml` becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from grader.spec.fields import bounded, memory


@dataclass(frozen=True)
class ImageSpec:
    """How the student's image is built."""

    #: The Dockerfile, relative to the build context.
    dockerfile: str = "Dockerfile"
    #: The build context, relative to the exercise folder.
    context: str = "."
    #: Seconds a build may take before it is stopped.
    build_timeout: int = bounded(300, 1, 3600, "seconds")
    #: Build arguments passed as `--build-arg NAME=VALUE`.
    build_args: dict[str, str] = field(default_factory=dict)
    #: The build's network. `none` (the default): RUN steps reach nothing, so grades
    #: depend on no outside server. `packages`: RUN steps reach only an offline copy
    #: of the Debian packages listed in `packages`, recorded once from the Debian
    #: mirror, so `apt-get update && apt-get install` works without a network (for
    #: exercises whose lesson is installing packages). `bridge`: RUN steps reach the
    #: internet; grades then depend on what outside servers answer.
    network: Literal["none", "packages", "bridge"] = "none"
    #: With `network: packages`, the Debian packages the build may install.
    packages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ContainerSpec:
    """How the student's container is run for the checks that need it running."""

    #: Environment variables passed as `-e NAME=VALUE`.
    env: dict[str, str] = field(default_factory=dict)
    #: Memory limit, in Docker's notation (256m, 1g).
    memory: str = memory("256m", "6m", "16g")
    #: Seconds to wait for the container's port before a check gives up.
    startup_timeout: int = bounded(20, 1, 600, "seconds")


@dataclass(frozen=True)
class ComposeSpec:
    """How the student's compose stack is brought up, for the compose checks."""

    #: The compose file, relative to the exercise folder.
    file: str = "compose.yaml"
    #: Seconds `docker compose up --wait` may take before the stack counts as failed.
    up_timeout: int = bounded(180, 1, 1800, "seconds")
    #: Whether the stack's networks may reach beyond the machine. By default every
    #: network of the stack is made internal: its services reach each other only.
    egress: bool = False


@dataclass(frozen=True)
class CheckSpec:
    """One graded check: a kind from the check library with its parameters."""

    id: str
    kind: str
    title: str
    points: int
    #: Why the check matters, shown with what the grader measured when it fails.
    feedback: str
    #: What to try next, shown when it fails and by `nox -s hint`.
    hint: str
    params: Any = None
    #: Who sees the result: `visible`, `hidden` (the teacher only), or
    #: `after_due_date`; the points count in every case.
    visibility: Literal["visible", "hidden", "after_due_date"] = "visible"


@dataclass(frozen=True)
class Exercise:
    """One exercise: its identity, how its work is built and run, and its checks."""

    id: str
    title: str
    concept: str
    folder: Path
    checks: tuple[CheckSpec, ...]
    image: ImageSpec = ImageSpec()
    container: ContainerSpec = ContainerSpec()
    compose: ComposeSpec = ComposeSpec()
    #: The ids of the checks the starter files are expected to fail.
    starter_fails: tuple[str, ...] = ()
    #: Seconds all the exercise's checks may take together; checks not started by
    #: then fail with a verdict saying so, and grading moves on.
    deadline: int = 600

    @property
    def number(self) -> str:
        """The two-digit number the exercise's id starts with."""
        return self.id.split("-", 1)[0]

    @property
    def slug(self) -> str:
        """The id without its number, e.g. `first-image`."""
        return self.id.split("-", 1)[-1]

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks)

    def check(self, check_id: str) -> CheckSpec:
        """Return the check called `check_id`."""
        return next(check for check in self.checks if check.id == check_id)

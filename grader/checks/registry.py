"""The vocabulary of check kinds: what each needs, its parameters, how it runs."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.engine.session import ExerciseSession


class Need(enum.IntEnum):
    """What a check needs before it can run; checks run in this order."""

    #: Only the files: static checks, instant feedback.
    FILES = 0
    #: The built image, never started.
    IMAGE = 1
    #: The shared running container.
    CONTAINER = 2
    #: A container of its own that the check may stop or break.
    OWN_CONTAINER = 3


@dataclass
class Outcome:
    """What a check measured: whether it holds, what was seen, and the evidence."""

    passed: bool
    #: What the grader saw, in a sentence or two a student can act on.
    message: str
    #: Measured values, log tails, failing commands: shown under the feedback.
    evidence: dict[str, Any] = field(default_factory=dict)


class Unavailable(Exception):
    """What a check needs could not be made (the image did not build, say)."""

    def __init__(self, message: str, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence or {}


CheckFunction = Callable[["ExerciseSession", Any], Outcome]


@dataclass(frozen=True)
class CheckKind:
    """A building block that `exercise.yaml` names in a check's `kind`."""

    name: str
    needs: Need
    params: type
    run: CheckFunction
    summary: str


KINDS: dict[str, CheckKind] = {}

#: The modules of `grader.checks` that register kinds when imported.
CHECK_MODULES = ("dockerfile_rules", "image", "container")


def all_kinds() -> dict[str, CheckKind]:
    """Return every registered check kind, importing the check modules on first use."""
    for module in CHECK_MODULES:
        importlib.import_module(f"grader.checks.{module}")
    return KINDS


@dataclass(frozen=True)
class NoParams:
    """A check kind that takes no parameters."""


def check_kind(
    name: str, needs: Need, params: type = NoParams
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check kind `name`."""

    def register(function: CheckFunction) -> CheckFunction:
        if name in KINDS:
            raise ValueError(f"check kind {name!r} is registered twice")
        summary = (
            (function.__doc__ or "").strip().splitlines()[0]
            if function.__doc__
            else name
        )
        KINDS[name] = CheckKind(name, needs, params, function, summary)
        return function

    return register

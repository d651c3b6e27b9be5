"""The vocabulary of check kinds: what each needs, its parameters, how it runs."""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.engine.session import ExerciseSession


class Need(enum.IntEnum):
    """What a check needs before it can run; an exercise's checks run in this order."""

    #: Only the files: static checks, instant feedback.
    FILES = 0
    #: The built image, never started.
    IMAGE = 10
    #: Builds of its own (a rebuild after an edit, for the cache checks).
    REBUILD = 20
    #: The shared running container.
    CONTAINER = 30
    #: Containers of its own that the check may stop, break or remove.
    OWN_CONTAINER = 40
    #: The shared compose stack, up and left as it is.
    STACK = 50
    #: The shared compose stack, which the check may take down, restart or scale.
    STACK_CHANGES = 60


@dataclass
class Outcome:
    """What a check measured: whether it holds, what was seen, and the evidence."""

    passed: bool
    #: What the grader saw, in a sentence or two a student can act on.
    message: str
    #: Measured values, log tails, failing commands: shown under the feedback.
    evidence: dict[str, Any] = field(default_factory=dict)


def brief(names: list[str], limit: int = 6) -> str:
    """Name the first `limit` of `names` and count the rest (`a, b and 4 more`)."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def sentences(problems: list[str]) -> str:
    """Join problems into one message: first letter raised, the rest as written."""
    text = "; ".join(problems)
    return text[:1].upper() + text[1:] + "."


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

#: Modules of `grader.checks` that hold no kinds; every other module registers some.
_NOT_KINDS = {"registry", "result"}


def all_kinds() -> dict[str, CheckKind]:
    """Return every registered check kind, importing the check modules on first use."""
    package = Path(__file__).parent
    for module in pkgutil.iter_modules([str(package)]):
        if module.name not in _NOT_KINDS and not module.name.startswith("_"):
            importlib.import_module(f"grader.checks.{module.name}")
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

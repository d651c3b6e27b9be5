"""The check library: every kind an `exercise.yaml` can name.

Every module of this package but `registry` and `result` registers kinds with the
`check_kind` decorator; `all_kinds()` imports them all and returns the registry, so
importing the package itself has no side effects.
"""

from grader.checks.registry import (
    KINDS,
    CheckKind,
    Need,
    Outcome,
    Unavailable,
    all_kinds,
)

__all__ = ["KINDS", "CheckKind", "Need", "Outcome", "Unavailable", "all_kinds"]

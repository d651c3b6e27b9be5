"""The check library: every kind an `exercise.yaml` can name.

The kinds live in the modules listed in `registry.CHECK_MODULES`; `all_kinds()` imports
them and returns the registry, so importing this package has no side effects.
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

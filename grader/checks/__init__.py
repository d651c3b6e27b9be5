"""The check library: every kind an `exercise.yaml` can name.

Importing this package registers every kind in `grader.checks.registry.KINDS`.
"""

from grader.checks import container, dockerfile_rules, image  # noqa: F401  (registration)
from grader.checks.registry import KINDS, CheckKind, Need, Outcome, Unavailable

__all__ = ["KINDS", "CheckKind", "Need", "Outcome", "Unavailable"]

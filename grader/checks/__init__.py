"""The check library: every kind an `exercise.yaml` can name.

Importing this package registers every kind in `grader.checks.registry.KINDS`.
"""

# The registry comes first: the check modules import the spec model, whose package
# reads KINDS from here while this package is still being imported.
from grader.checks.registry import KINDS, CheckKind, Need, Outcome, Unavailable

from grader.checks import container, dockerfile_rules, image  # noqa: E402, F401, I001

__all__ = ["KINDS", "CheckKind", "Need", "Outcome", "Unavailable"]

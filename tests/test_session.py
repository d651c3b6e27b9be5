"""Telling a build that lost its cache to another run from a build the student broke."""

from __future__ import annotations

import pytest

from grader.engine.build import lost_cache


@pytest.mark.parametrize(
    "error",
    [
        "No such image: sha256:4f1c2a9d0e7b",
        "failed to get layer sha256:0b2f13923e40: layer does not exist",
        "unknown parent image ID sha256:ab12",
        # Seen in CI: a quiz scenario's build whose cached parent another run removed.
        "failed to export image: failed to set parent sha256:0201351734: unknown"
        " parent image ID sha256:0201351734",
    ],
)
def test_engine_errors_of_a_vanished_cache_are_retried(error: str) -> None:
    assert lost_cache(error)


@pytest.mark.parametrize(
    "error",
    [
        "The command '/bin/sh -c pip install flask' returned a non-zero code: 1",
        "COPY failed: file not found in build context",
        "dockerfile parse error line 1: unknown instruction: FORM",
        "The build did not finish within 15 s and was stopped.",
    ],
)
def test_the_students_own_failures_are_not_retried(error: str) -> None:
    assert not lost_cache(error)

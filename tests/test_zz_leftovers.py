"""Runs last (files are collected in name order): nothing the grader created remains.

Objects of grading runs still going on the same engine (a benchmark beside the
suite, a student's own grade) are theirs, and not counted; everything else is.
"""

from __future__ import annotations

import docker
import pytest

from tests.conftest import count_left_by_ended_runs, step_images_of_live_runs

pytestmark = [pytest.mark.engine, pytest.mark.serial]


def test_no_object_created_by_grading_remains(engine: docker.DockerClient) -> None:
    assert count_left_by_ended_runs(engine) == {
        "containers": 0,
        "volumes": 0,
        "networks": 0,
        "images": 0,
    }


def test_no_dangling_image_was_left_by_failed_builds(
    engine: docker.DockerClient,
) -> None:
    live = step_images_of_live_runs()
    dangling = [
        image
        for image in engine.images.list(filters={"dangling": True})
        if image.id not in live
    ]

    assert dangling == [], [image.id for image in dangling]

"""Runs last (files are collected in name order): nothing the grader created remains."""

from __future__ import annotations

import docker
import pytest

from tests.conftest import count_labelled

pytestmark = [pytest.mark.engine, pytest.mark.serial]


def test_no_object_created_by_grading_remains(engine: docker.DockerClient) -> None:
    assert count_labelled(engine) == {
        "containers": 0,
        "volumes": 0,
        "networks": 0,
        "images": 0,
    }


def test_no_dangling_image_was_left_by_failed_builds(
    engine: docker.DockerClient,
) -> None:
    dangling = engine.images.list(filters={"dangling": True})

    assert dangling == [], [image.id for image in dangling]

"""Telling a build that lost its cache to another run from a build the student broke,
and removing the step images such a build leaves without a parent."""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import pytest

from grader.engine.build import lost_cache, remove_broken_commits


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


def parentless_step_image(engine: docker.DockerClient, tmp_path: Path) -> str:
    """Make what a lost parent leaves: an untagged step image with no parent.

    Saved by id and loaded again, a legacy build's image keeps its step's command
    and creation time but loses its parent and its tag.
    """
    (tmp_path / "Dockerfile").write_text(
        f"FROM debian:bookworm-slim\nRUN echo {uuid.uuid4().hex} > /made\n"
    )
    image, _ = engine.images.build(path=str(tmp_path), rm=True, forcerm=True)
    archive = b"".join(engine.api.get_image(image.id))
    engine.images.remove(image.id)
    engine.images.load(archive)
    loaded = engine.images.get(image.id)
    assert not loaded.tags and not loaded.attrs.get("Parent")
    return str(loaded.id)


@pytest.mark.engine
def test_a_step_image_that_lost_its_parent_during_the_build_is_removed(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    started = time.time()
    image_id = parentless_step_image(engine, tmp_path)
    try:
        # Made before the build began: someone else's, kept.
        assert remove_broken_commits(engine, time.time() + 60) == 0
        assert engine.images.get(image_id)

        assert remove_broken_commits(engine, started) >= 1

        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get(image_id)
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            engine.images.remove(image_id, force=True)

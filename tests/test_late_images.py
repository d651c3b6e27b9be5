"""A stopped build leaves no image behind, even one committed after it was stopped.

`brickyard watch` stops a grade whenever a file is saved, often in the middle of a
build; the engine then finishes the step it was on, and that image, which the build
never heard of, kept the earlier step images from being removed.
"""

from __future__ import annotations

import time
from pathlib import Path

import docker
import pytest

from grader.engine import cleanup
from grader.engine.build import BuildResult, adopt_late_images, read_chunk
from grader.engine.labels import RunIdentity

pytestmark = pytest.mark.engine


def present(client: docker.DockerClient, image_id: str) -> bool:
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_images_committed_after_the_stream_was_cut_are_adopted(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\n"
        f"RUN echo {tmp_path.name} > /marker\n"
        "ENV STAGE=late\n"
    )
    labels = RunIdentity().labels("late-images-test")
    started = time.monotonic()
    built = BuildResult(tag="")
    for chunk in engine.api.build(
        path=str(tmp_path), labels=labels, rm=True, forcerm=True, decode=True
    ):
        read_chunk(built, chunk)
    made = built.intermediate_ids()
    assert len(made) >= 4 and built.image_id is not None

    # As if the stream had been cut after the RUN step: the build knows only it.
    cut = BuildResult(tag="", steps=built.steps[:2])
    adopted: list[str] = []
    try:
        adopt_late_images(engine, cut, started, labels, adopted.append)

        assert sorted(adopted) == sorted(made[:-1])
        # Removed newest first, so no image is kept by a child.
        assert cut.intermediate_ids() == made
    finally:
        cleanup.remove_untagged_images(engine, cut.intermediate_ids())
        cleanup.remove_untagged_images(engine, made)

    assert not any(present(engine, image) for image in made)

"""The cache verdict is the same whichever builder made the images.

Students build with BuildKit (Docker Desktop, buildx); the grader's engine here has
only the legacy builder's API through the SDK. `docker compose build` reaches the
engine's BuildKit without buildx, so each answer below is built twice by each
builder, before and after the same edit, and the step-by-step verdicts of
grader.checks.cache.compare_images must agree.
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from pathlib import Path

import docker
import pytest

from grader.checks.cache import compare_images
from grader.dockerfile import mentions
from grader.engine import layers
from tests.conftest import CASES, REPO, lay_out_case

pytestmark = pytest.mark.engine
EXERCISE = REPO / "exercises" / "02-layer-caching"
BASE = "python:3.11-slim-bookworm"
#: Answer, and whether its install step survives an edit of app.py.
ANSWERS = {
    "solution": (REPO / "solutions" / "02-layer-caching", True),
    "starter": (None, False),
    "alt-venv": (CASES / "02-layer-caching" / "alt-venv", True),
    "wrong-app-copied-first": (
        CASES / "02-layer-caching" / "wrong-app-copied-first",
        False,
    ),
}


def build_with_buildkit(folder: Path, tag: str) -> None:
    (folder / "compose.yaml").write_text(
        f"services:\n  app:\n    build: .\n    image: {tag}\n"
    )
    subprocess.run(
        ["docker", "compose", "--project-directory", str(folder), "build", "-q"],
        check=True,
        capture_output=True,
        timeout=300,
    )


def build_with_legacy(client: docker.DockerClient, folder: Path, tag: str) -> None:
    client.images.build(path=str(folder), tag=tag, rm=True, forcerm=True)


def edit(folder: Path) -> None:
    with (folder / "app.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# an edit between two builds\n")


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_both_builders_get_the_same_cache_verdicts(
    engine: docker.DockerClient, tmp_path: Path, answer: str
) -> None:
    overlay, install_reused = ANSWERS[answer]
    prefix = f"brickyard-parity-{uuid.uuid4().hex[:8]}"
    verdicts: dict[str, list[layers.StepVerdict]] = {}
    tags = []
    try:
        for builder in ("buildkit", "legacy"):
            tree = lay_out_case(tmp_path / builder, EXERCISE.name, overlay)
            folder = tree / "exercises" / EXERCISE.name
            before, after = f"{prefix}-{builder}:before", f"{prefix}-{builder}:after"
            tags += [before, after]
            for tag in (before, after):
                if tag == after:
                    edit(folder)
                if builder == "buildkit":
                    build_with_buildkit(folder, tag)
                else:
                    build_with_legacy(engine, folder, tag)
            verdicts[builder] = compare_images(engine, before, after, BASE)
            made_by = " ".join(str(e["CreatedBy"]) for e in engine.api.history(after))
            # The proof that each builder really is the one named.
            assert ("# buildkit" in made_by) is (builder == "buildkit"), made_by
    finally:
        for tag in tags:
            with contextlib.suppress(docker.errors.ImageNotFound):
                engine.images.remove(tag, force=True)

    buildkit, legacy = verdicts["buildkit"], verdicts["legacy"]
    assert [v.reused for v in buildkit] == [v.reused for v in legacy], (
        f"BuildKit: {buildkit}\nlegacy: {legacy}"
    )
    for steps in (buildkit, legacy):
        install = [v for v in steps if mentions(v.instruction, "pip install")]
        assert len(install) == 1, steps
        assert install[0].reused is install_reused

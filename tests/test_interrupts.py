"""Interrupted grading runs leave nothing behind: SIGTERM cleans up, SIGKILL is
cleaned up by the next run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import docker
import pytest

from tests.conftest import (
    CASES,
    count_left_by_ended_runs,
    run_brickyard,
    wait_for_step_images,
)

pytestmark = [pytest.mark.engine, pytest.mark.serial]
SLOW = CASES / "interrupts" / "01-slow-build"


def start_grading(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """Start grading the slow build with its own ledger folder; return it running."""
    target = tmp_path / "tree" / "exercises" / SLOW.name
    shutil.copytree(SLOW, target)
    (target / "token.txt").write_text(uuid.uuid4().hex)
    cache = tmp_path / "cache"
    process = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "grade", "--root", str(tmp_path / "tree")],
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, cache / "brickyard" / "runs"


def present(client: docker.DockerClient, image_id: str) -> bool:
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_mid_build_removes_everything(
    engine: docker.DockerClient, tmp_path: Path, stop: signal.Signals
) -> None:
    process, ledgers = start_grading(tmp_path)
    images = wait_for_step_images(ledgers, 2)

    process.send_signal(stop)
    status = process.wait(timeout=60)

    # Ctrl-C (SIGINT) and SIGTERM both end the run as interrupted, exit 130.
    assert status == 130

    assert not any(present(engine, image) for image in images)
    assert count_left_by_ended_runs(engine) == dict.fromkeys(
        ("containers", "volumes", "networks", "images"), 0
    )
    assert not list(ledgers.glob("*.json"))


def quick_tree(tmp_path: Path) -> Path:
    """A tree of one exercise graded without the engine building anything."""
    target = tmp_path / "quick" / "exercises" / "01-quick"
    target.mkdir(parents=True)
    (target / "Dockerfile").write_text('FROM debian:bookworm-slim\nCMD ["true"]\n')
    (target / "exercise.yaml").write_text(
        "id: 01-quick\ntitle: A static check only\nconcept: cleanup\nchecks:\n"
        "  - id: pinned\n    kind: base_image_pinned\n    title: pinned\n"
        "    points: 1\n    feedback: The base is pinned.\n    hint: Pin it.\n"
    )
    return target.parent.parent


@pytest.mark.parametrize("next_run", ["clean", "grade"])
def test_sigkill_mid_build_is_cleaned_by_the_next_run(
    engine: docker.DockerClient, tmp_path: Path, next_run: str
) -> None:
    process, ledgers = start_grading(tmp_path)
    images = wait_for_step_images(ledgers, 2)

    process.kill()
    process.wait(timeout=30)
    # The engine cancels the build when its client dies; the step images stay.
    assert all(present(engine, image) for image in images)

    arguments = ["clean"]
    if next_run == "grade":
        arguments = ["grade", "--root", str(quick_tree(tmp_path))]
    cleaned = run_brickyard(*arguments, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})

    assert cleaned.returncode == 0, cleaned.stderr
    assert not any(present(engine, image) for image in images)
    assert not list(ledgers.glob("*.json"))
    assert count_left_by_ended_runs(engine)["containers"] == 0

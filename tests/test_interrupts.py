"""Interrupted grading runs leave nothing behind: SIGTERM cleans up, SIGKILL is
cleaned up by the next run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest

from tests.conftest import CASES, count_labelled, run_brickyard

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


def wait_for_step_images(ledgers: Path, count: int, timeout: float = 60) -> list[str]:
    """Wait until the run's ledger lists `count` step images; return them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in ledgers.glob("*.json"):
            try:
                images = json.loads(path.read_text())["images"]
            except (OSError, ValueError, KeyError):
                continue
            if len(images) >= count:
                return list(images)
        time.sleep(0.2)
    raise AssertionError(f"the build made no {count} step images in {timeout} s")


def present(client: docker.DockerClient, image_id: str) -> bool:
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_sigterm_mid_build_removes_everything(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    process, ledgers = start_grading(tmp_path)
    images = wait_for_step_images(ledgers, 2)

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)

    assert not any(present(engine, image) for image in images)
    assert count_labelled(engine) == dict.fromkeys(
        ("containers", "volumes", "networks", "images"), 0
    )
    assert not list(ledgers.glob("*.json"))


def test_sigkill_mid_build_is_cleaned_by_the_next_run(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    process, ledgers = start_grading(tmp_path)
    images = wait_for_step_images(ledgers, 2)

    process.kill()
    process.wait(timeout=30)
    # The engine cancels the build when its client dies; the step images stay.
    assert all(present(engine, image) for image in images)

    cleaned = run_brickyard("clean", env={"XDG_CACHE_HOME": str(tmp_path / "cache")})

    assert cleaned.returncode == 0
    assert not any(present(engine, image) for image in images)
    assert not list(ledgers.glob("*.json"))
    assert count_labelled(engine)["containers"] == 0

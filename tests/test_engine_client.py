"""The grader talks to the engine the docker CLI talks to, contexts included."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.engine import client
from tests.conftest import run_brickyard

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="the docker CLI makes the contexts"
)


def use_context(config: Path, host: str) -> dict[str, str]:
    """Make `brickyard-elsewhere` the current context of a docker config of its own."""
    environment = {**os.environ, "DOCKER_CONFIG": str(config)}
    environment.pop("DOCKER_HOST", None)
    environment.pop("DOCKER_CONTEXT", None)
    for command in (
        [
            "docker",
            "context",
            "create",
            "brickyard-elsewhere",
            "--docker",
            f"host={host}",
        ],
        ["docker", "context", "use", "brickyard-elsewhere"],
    ):
        subprocess.run(command, env=environment, check=True, capture_output=True)
    return environment


def test_the_current_cli_context_is_the_engine_tried(tmp_path: Path) -> None:
    socket = tmp_path / "no-engine-here.sock"
    environment = use_context(tmp_path / "docker", f"unix://{socket}")

    graded = run_brickyard("grade", "01", env=environment, timeout=60)

    # Had the context been ignored, the default socket's engine would have graded.
    assert graded.returncode == 3, graded.stdout + graded.stderr
    assert str(socket) in graded.stderr
    assert "context 'brickyard-elsewhere'" in graded.stderr
    assert "Traceback" not in graded.stderr


def test_docker_host_wins_over_the_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = use_context(tmp_path / "docker", "unix:///nowhere.sock")
    monkeypatch.setenv("DOCKER_CONFIG", environment["DOCKER_CONFIG"])
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")

    assert client.adopt_cli_context() is None
    assert os.environ["DOCKER_HOST"] == "tcp://127.0.0.1:1"

"""Cleanup by label: orphans of dead runs go, objects of live runs stay."""

from __future__ import annotations

import socket

import docker
import pytest

from grader.engine import cleanup, labels
from tests.conftest import run_brickyard

pytestmark = [pytest.mark.engine, pytest.mark.serial]


def test_clean_removes_orphans_of_dead_runs_only(engine: docker.DockerClient) -> None:
    host = socket.gethostname()
    dead = {labels.RUN: "deadrun00000", labels.PID: "999999999", labels.HOST: host}
    alive = {labels.RUN: "liverun00000", labels.PID: "1", labels.HOST: host}
    dead_volume = engine.volumes.create(labels=dead)
    dead_network = engine.networks.create("brickyard-test-dead", labels=dead)
    live_volume = engine.volumes.create(labels=alive)
    try:
        graded = run_brickyard("clean")

        assert graded.returncode == 0
        selector = {"label": labels.RUN}
        names = {volume.name for volume in engine.volumes.list(filters=selector)}
        assert dead_volume.name not in names
        assert live_volume.name in names
        assert not engine.networks.list(names=["brickyard-test-dead"])
    finally:
        cleanup.remove_run_objects(engine, "liverun00000")
        cleanup.attempt(dead_network.remove)

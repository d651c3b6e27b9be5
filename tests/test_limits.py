"""Build cgroups: named after the grading process, swept when their run has ended."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from grader.engine import limits
from grader.engine.cleanup import process_alive


def test_cgroup_name_carries_the_process_id() -> None:
    name = limits.build_cgroup_name("brickyard-01-first-image:abc123", "4242")

    assert name == "build-4242-brickyard-01-first-image-abc123"
    assert limits.build_cgroup_name("t:x", None) == "build-t-x"


def ended_pid() -> int:
    """A process id whose process has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.engine
def test_sweep_removes_empty_cgroups_of_ended_runs_only(engine: object) -> None:
    if limits.cgroup_parent() is None:
        pytest.skip("the grader cannot make cgroups here (not root, or no cgroupfs)")
    tag = f"brickyard-test-sweep:{uuid.uuid4().hex[:8]}"
    dead = limits.build_cgroup_name(tag, str(ended_pid()))
    live = limits.build_cgroup_name(tag, str(os.getpid()))
    busy = limits.build_cgroup_name(tag + "-busy", str(ended_pid()))
    for name in (dead, live, busy):
        (limits.pids_folder() / name).mkdir()
    # A cgroup with a cgroup inside is in use: the kernel refuses to remove it.
    (limits.pids_folder() / busy / "step").mkdir()
    try:
        limits.sweep_build_cgroups(process_alive)

        assert not (limits.pids_folder() / dead).exists()
        assert (limits.pids_folder() / live).is_dir()
        assert (limits.pids_folder() / busy).is_dir()
    finally:
        (limits.pids_folder() / busy / "step").rmdir()
        for name in (dead, live, busy):
            assert limits.release_cgroup(name, wait=1)
    assert not (limits.pids_folder() / live).exists()

"""Resource limits for everything the grader runs, and the cgroup that caps them all.

Every container gets memory, CPU and process-count limits. Builds get a memory limit
per step through the engine's build API, which has no process-count limit; a fork
bomb in a RUN step is held instead by a parent cgroup (`brickyard`) whose `pids.max`
caps all the grader's builds and containers together. That parent exists only where
the grader can create it (Linux, cgroupfs driver, cgroup files writable: a CI runner
or a root shell); elsewhere builds rely on their memory limit and time limit, and
the log says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import docker
import docker.errors

log = logging.getLogger(__name__)

CGROUP_PARENT = "brickyard"
_CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Limits:
    """Limits for one container, and for the steps of one build."""

    memory: str = "256m"
    cpus: float = 1.0
    pids: int = 256
    #: Memory for each build step's container.
    build_memory: str = "1g"
    #: Processes for all the grader's builds and containers together.
    total_pids: int = 2048
    #: Processes for the steps of one build, so that a fork bomb in one build cannot
    #: take the processes of builds and containers graded beside it.
    build_pids: int = 512


DEFAULT_LIMITS = Limits()


def memory_bytes(text: str) -> int:
    """Read Docker's memory notation (`256m`, `1g`, `512k`, plain bytes)."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    text = text.strip().lower().removesuffix("b")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


@cache
def cgroup_parent(limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Return the cgroup parent to run builds and containers under, or None.

    Creates `/sys/fs/cgroup/pids/brickyard` (cgroup v1) or `/sys/fs/cgroup/brickyard`
    (v2) with `pids.max` set, when the engine runs on this host with the cgroupfs
    driver and the files are writable.
    """
    try:
        info = docker.from_env(timeout=30).info()
    except (docker.errors.DockerException, OSError):
        return None
    if info.get("CgroupDriver") != "cgroupfs" or not is_local_engine():
        log.info("no parent cgroup: the engine is remote or not on cgroupfs")
        return None
    version = str(info.get("CgroupVersion") or "1")
    folder = _CGROUP_ROOT / ("pids" if version == "1" else "") / CGROUP_PARENT
    try:
        folder.mkdir(exist_ok=True)
        (folder / "pids.max").write_text(f"{limits.total_pids}\n")
    except OSError as error:
        log.info("no parent cgroup (%s): builds rely on memory and time limits", error)
        return None
    log.debug("builds and containers run under cgroup %s", folder)
    return "/" + CGROUP_PARENT


def build_cgroup(name: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Return a cgroup of its own for one build, under the grader's parent, or None.

    Its `pids.max` caps the build's steps alone; `release_cgroup` removes it.
    """
    parent = cgroup_parent(limits)
    if parent is None:
        return None
    folder = pids_folder() / name
    try:
        folder.mkdir(exist_ok=True)
        (folder / "pids.max").write_text(f"{limits.build_pids}\n")
    except OSError as error:
        log.info("no cgroup of its own for build %s (%s)", name, error)
        return parent
    return f"{parent}/{name}"


def release_cgroup(name: str) -> None:
    """Remove a build's cgroup from every controller the engine made it in."""
    for folder in _CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}/{name}"):
        with contextlib.suppress(OSError):
            folder.rmdir()
    with contextlib.suppress(OSError):
        (_CGROUP_ROOT / CGROUP_PARENT / name).rmdir()


def pids_folder() -> Path:
    """Where the grader's parent cgroup lives for the pids controller."""
    v1 = _CGROUP_ROOT / "pids"
    return (v1 if v1.is_dir() else _CGROUP_ROOT) / CGROUP_PARENT


def is_local_engine() -> bool:
    """Tell whether the engine runs on this host (a unix socket, no remote host)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host.startswith("unix://") and Path("/sys/fs/cgroup").is_dir()

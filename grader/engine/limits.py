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

import logging
import os
import re
import time
from collections.abc import Callable
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


def build_cgroup_name(tag: str, pid: str | None) -> str:
    """Name a build's cgroup after the image it builds and the grading process.

    The process id lets a later run tell the cgroups of ended runs from live ones.
    """
    safe = re.sub(r"[^a-zA-Z0-9_.-]", "-", tag)
    return f"build-{pid}-{safe}" if pid and pid.isdigit() else f"build-{safe}"


def release_cgroup(name: str, wait: float = 5.0) -> bool:
    """Remove a build's cgroup from every controller the engine made it in.

    Right after a build is stopped the engine may still be removing the step's
    container, whose processes keep the cgroup busy; removal is retried for up to
    `wait` s. Returns whether nothing of the cgroup is left.
    """
    deadline = time.monotonic() + wait
    while True:
        left = [
            folder for folder in build_cgroup_folders(name) if not remove_empty(folder)
        ]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    if left:
        log.info(
            "build cgroup %s is still busy after %ss; a later run removes it",
            name,
            wait,
        )
    return not left


def build_cgroup_folders(name: str) -> list[Path]:
    """The folders of the build cgroup `name` (a glob pattern) in every controller."""
    found = list(_CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}/{name}"))
    found += (_CGROUP_ROOT / CGROUP_PARENT).glob(name)
    return [folder for folder in found if folder.is_dir()]


def remove_empty(folder: Path) -> bool:
    """Remove a cgroup folder that holds no process and no cgroup; tell if it is gone.

    The kernel refuses to remove a cgroup that is in use, so this never takes one
    from a running step.
    """
    try:
        folder.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


#: A build cgroup named without a process id (older brickyard) counts as stale once
#: it is older than any build may take (the spec caps build_timeout at an hour).
STALE_UNNAMED_AGE = 3 * 3600.0


def sweep_build_cgroups(
    alive: Callable[[int], bool], unnamed_age: float = STALE_UNNAMED_AGE
) -> int:
    """Remove the empty build cgroups that runs which have ended left behind.

    A build that was killed never releases its cgroup. One named after a process
    that still runs is left alone, even when empty (a live build's cgroup is empty
    between its steps); so is one in use. Returns how many folders were removed.
    """
    removed = 0
    now = time.time()
    for folder in build_cgroup_folders("build-*"):
        match = re.match(r"^build-(\d+)-", folder.name)
        if match:
            stale = not alive(int(match[1]))
        else:
            try:
                stale = now - folder.stat().st_mtime > unnamed_age
            except OSError:
                continue
        if stale and remove_empty(folder):
            removed += 1
    if removed:
        log.info("removed %d empty build cgroups of ended runs", removed)
    return removed


def pids_folder() -> Path:
    """Where the grader's parent cgroup lives for the pids controller."""
    v1 = _CGROUP_ROOT / "pids"
    return (v1 if v1.is_dir() else _CGROUP_ROOT) / CGROUP_PARENT


def is_local_engine() -> bool:
    """Tell whether the engine runs on this host (a unix socket, no remote host)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host.startswith("unix://") and Path("/sys/fs/cgroup").is_dir()

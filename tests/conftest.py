"""Shared fixtures: the engine, and running the grader as a student runs it."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from grader.engine import cleanup, images, labels, ledger

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    """The real Docker engine; the suite fails loudly when none answers."""
    client = docker.from_env()
    client.ping()
    return client


@dataclass
class Graded:
    """One run of `brickyard` as a subprocess: exit status, output and JSON report."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    def exercise(self, exercise_id: str) -> dict[str, Any]:
        assert self.report is not None, self.stderr
        found = [item for item in self.report["exercises"] if item["id"] == exercise_id]
        assert found, (
            f"{exercise_id} is not in the report\n{self.stdout}\n{self.stderr}"
        )
        return found[0]

    def failed(self, exercise_id: str) -> set[str]:
        return {
            check["id"]
            for check in self.exercise(exercise_id)["checks"]
            if not check["passed"]
        }


def run_brickyard(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: int = 600
) -> Graded:
    """Run the `brickyard` command line and read its JSON report when it wrote one."""
    report_path = None
    arguments = list(args)
    if arguments and arguments[0] in ("grade",) and "--json" not in arguments:
        handle, name = tempfile.mkstemp(prefix="brickyard-report-", suffix=".json")
        os.close(handle)
        report_path = Path(name)
        arguments += ["--json", str(report_path)]
    elif "--json" in arguments:
        report_path = Path(arguments[arguments.index("--json") + 1])
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    report = None
    if report_path is not None and report_path.exists():
        text = report_path.read_text()
        report = json.loads(text) if text else None
        report_path.unlink()
    return Graded(done.returncode, done.stdout, done.stderr, report)


@pytest.fixture
def brickyard() -> Any:
    return run_brickyard


def lay_out_case(tmp_path: Path, exercise_id: str, case: Path | None) -> Path:
    """Copy an exercise's starter into a fresh tree and lay a case's files over it."""
    target = tmp_path / "exercises" / exercise_id
    shutil.copytree(REPO / "exercises" / exercise_id, target)
    if case is not None:
        shutil.copytree(
            case,
            target,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("expect.yaml"),
        )
    return tmp_path


def read_expectation(case: Path) -> dict[str, Any]:
    """A case's `expect.yaml`: `about` (what the answer is) and `fails` (check ids)."""
    data = yaml.safe_load((case / "expect.yaml").read_text())
    assert isinstance(data, dict) and "fails" in data and "about" in data, (
        f"{case}/expect.yaml needs `about` and `fails`"
    )
    return data


@functools.cache
def registry_answers() -> bool:
    """Whether this engine reaches a registry, asked once per test session."""
    return images.registry_answers(docker.from_env())


def unmet_need(expectation: dict[str, Any]) -> str | None:
    """Say why a case's expectation cannot hold on this machine, if it cannot.

    A case that `needs: [no registry]` fails only because its base image cannot be
    pulled; where a registry answers, the pull works and so would the build.
    """
    if "no registry" in expectation.get("needs", []) and registry_answers():
        return (
            "a registry answers here, so the base image this case names can be"
            " pulled and its build would pass"
        )
    return None


def count_labelled(
    client: docker.DockerClient, run_id: str | None = None
) -> dict[str, int]:
    """Count the containers, volumes, networks and images grading runs labelled.

    With `run_id`, only that run's; without, any run's.
    """
    selector = {"label": f"{labels.RUN}={run_id}" if run_id else labels.RUN}
    return {
        "containers": len(client.containers.list(all=True, filters=selector)),
        "volumes": len(client.volumes.list(filters=selector)),
        "networks": len(client.networks.list(filters=selector)),
        "images": len(client.images.list(all=True, filters=selector)),
    }


def count_left_by_ended_runs(client: docker.DockerClient) -> dict[str, int]:
    """Count what grading runs labelled and left behind once their process ended.

    Objects of runs still going (another grading run on the same engine, a benchmark
    beside the suite) are theirs to remove, and not counted.
    """
    host = socket.gethostname()

    def ended(object_labels: dict[str, str] | None) -> bool:
        object_labels = object_labels or {}
        pid = object_labels.get(labels.PID, "")
        mine = object_labels.get(labels.HOST) == host and pid.isdigit()
        return not (mine and cleanup.process_alive(int(pid)))

    selector = {"label": labels.RUN}
    containers = client.containers.list(all=True, filters=selector, sparse=True)
    return {
        "containers": sum(ended(c.attrs.get("Labels")) for c in containers),
        "volumes": sum(
            ended(v.attrs.get("Labels")) for v in client.volumes.list(filters=selector)
        ),
        "networks": sum(
            ended(n.attrs.get("Labels")) for n in client.networks.list(filters=selector)
        ),
        "images": sum(
            ended(i.labels) for i in client.images.list(all=True, filters=selector)
        ),
    }


def step_images_of_live_runs() -> set[str]:
    """The step images that the ledgers of runs still going on this host list."""
    host = socket.gethostname()
    dead = {path for path, _ in ledger.dead_ledgers(host, cleanup.process_alive)}
    images: set[str] = set()
    for path in ledger.ledger_folder().glob("*.json"):
        if path in dead:
            continue
        with contextlib.suppress(OSError, ValueError):
            images.update(str(i) for i in json.loads(path.read_text())["images"])
    return images


def wait_for_step_images(ledgers: Path, count: int, timeout: float = 120) -> list[str]:
    """Wait until a grading run's ledger under `ledgers` lists `count` step images."""
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
    raise AssertionError(f"no grading run made {count} step images in {timeout} s")

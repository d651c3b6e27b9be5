"""Two grading runs at once on one engine do not collide."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from tests.conftest import REPO, count_labelled

pytestmark = pytest.mark.engine


def test_two_runs_at_once_both_grade_fully(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    reports = [tmp_path / f"run{index}.json" for index in (1, 2)]
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader.cli",
                "grade",
                "--solutions",
                "01",
                "--json",
                str(report),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for report in reports
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr

    results = [json.loads(report.read_text()) for report in reports]
    assert results[0]["run_id"] != results[1]["run_id"]
    for result in results:
        assert result["score"] == result["max_score"] > 0
        assert count_labelled(engine, result["run_id"]) == dict.fromkeys(
            ("containers", "volumes", "networks", "images"), 0
        )

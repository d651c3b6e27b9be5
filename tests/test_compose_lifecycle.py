"""Restarts and logs of compose services, read from recorded engine and Compose output.

`inspect-restarts.json` holds the State, RestartCount and RestartPolicy parts of
`docker inspect` (Engine 20.10) for two services of one stack: `restarted`, which
exited with code 3 once under `restart: on-failure:5` and runs again, and `stopped`,
which exited with code 3 without a policy. `logs-driver-none.stderr` is what
`docker compose logs` (2.40) wrote to stderr for a service with `logging: {driver:
none}`; it exited with code 0.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from grader.checks import compose as checks
from grader.engine import compose
from tests.conftest import REPO

RECORDED = REPO / "tests" / "resources" / "compose"


def inspected(service: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / "inspect-restarts.json").read_text())[
        service
    ]
    return data


def test_a_restarted_container_reads_as_running_with_its_policy() -> None:
    life = checks.life_of(inspected("restarted"))

    assert life.running
    assert life.restarts == 1
    assert life.policy == "on-failure:5"


def test_a_container_without_a_policy_reads_as_policy_no() -> None:
    life = checks.life_of(inspected("stopped"))

    assert not life.running
    assert (life.status, life.exit_code, life.restarts) == ("exited", 3, 0)
    assert life.policy == "no"
    assert checks.describe_policy(life.policy) == "`no` (none is set)"


def test_a_crash_without_a_policy_names_the_missing_policy() -> None:
    params = checks.RestartParams(service="web", crash=["touch", "/tmp/crash"])
    before = checks.life_of(inspected("restarted"))
    after = checks.life_of(inspected("stopped"))

    problem = checks.restart_problem(params, before, after, baseline=0)

    assert "exited with code 3 and stayed down" in problem
    assert "no restart policy" in problem


def test_a_crash_command_that_changes_nothing_is_called_out() -> None:
    params = checks.RestartParams(service="web", crash=["touch", "/tmp/crash"])
    life = checks.life_of(inspected("restarted"))

    problem = checks.restart_problem(params, life, life, baseline=life.restarts)

    assert problem.startswith("web kept running after `touch /tmp/crash`")


def test_a_service_that_keeps_crashing_is_told_apart_from_one_never_restarted() -> None:
    params = checks.RestartParams(service="worker")
    before = checks.life_of(inspected("stopped"))
    gave_up = checks.ContainerLife("exited", 2, "later", 1, "on-failure:2")

    problem = checks.restart_problem(params, before, gave_up, baseline=0)

    assert "restarted 2 time(s) but did not stay up" in problem
    assert "exited with code 1 again" in problem


def test_a_logging_driver_without_reading_is_reported_with_the_engines_words() -> None:
    read = compose.CommandResult(
        ["docker", "compose", "logs", "silent"],
        0,
        "",
        (RECORDED / "logs-driver-none.stderr").read_text(),
        project="bxexp3",
    )

    assert checks.unreadable_log(read) == (
        "configured logging driver does not support reading"
    )


@pytest.mark.parametrize(
    ("returncode", "expected"),
    [(0, ""), (1, "`docker compose logs` exited with code 1")],
)
def test_a_readable_log_is_not_reported(returncode: int, expected: str) -> None:
    read = compose.CommandResult(["docker", "compose", "logs"], returncode, "a\n", "")

    assert checks.unreadable_log(read) == expected


def test_log_params_need_a_port_with_a_path_and_a_valid_pattern() -> None:
    with pytest.raises(ValueError, match="`port` is not"):
        checks.StackLogParams(service="web", pattern="GET", http_path="/")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        checks.StackLogParams(service="web", pattern="GET (")


def test_a_crash_command_is_shown_as_it_would_be_typed() -> None:
    command = ["python3", "-c", "import os; print('x')", "it's"]

    assert checks.show_command(command) == (
        'python3 -c "import os; print(\'x\')" "it\'s"'
    )
    assert checks.show_command(["sh", "-c", 'echo "$HOME"']) == (
        "sh -c 'echo \"$HOME\"'"
    )

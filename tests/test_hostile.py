"""The hostile suite: submissions that attack or break the grader, graded on the engine.

Each case under `tests/cases/hostile/` is an exercise with an `expect.yaml`: the
checks it must fail, `error: true` when the exercise itself cannot be graded,
`max_seconds`, the bound its grading must finish within, and `refused: true` when
its compose file must be refused, naming the line, before anything runs. Cases that
cannot live in the repository as files (25,000 files, an escaping symlink, binary
garbage, names that are not UTF-8, an empty folder, the address of the machine's
default gateway) are made by `SETUPS` in the temporary copy. All cases are graded in
one run; afterwards the engine must answer, the grader's cgroup must be idle, and
nothing of the run may remain.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from tests.conftest import CASES, count_labelled, read_expectation, run_brickyard

pytestmark = pytest.mark.engine
HOSTILE = CASES / "hostile"


def many_files(folder: Path) -> None:
    junk = folder / "generated"
    junk.mkdir()
    for index in range(25_000):
        (junk / f"{index}.txt").write_text("x")


def escaping_symlink(folder: Path) -> None:
    (folder / "secret").symlink_to("/etc/shadow")


def default_gateway() -> str:
    """The machine's default gateway: the next hop on its own network."""
    for line in Path("/proc/net/route").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) > 2 and fields[1] == "00000000" and fields[2] != "00000000":
            return socket.inet_ntoa(struct.pack("<L", int(fields[2], 16)))
    # No default route: a private address nothing answers at does as well.
    return "10.255.255.1"


def gateway_in_env(folder: Path) -> None:
    (folder / ".env").write_text(f"GATEWAY={default_gateway()}\n")


def binary_dockerfile(folder: Path) -> None:
    (folder / "Dockerfile").write_bytes(os.urandom(4096))


def binary_spec(folder: Path) -> None:
    (folder / "exercise.yaml").write_bytes(bytes(range(256)) * 8)


def non_utf8_names(folder: Path) -> None:
    for name in (b"caf\xe9.txt", b"\xff\xfe-bytes.txt"):
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(b"data\n")


def emptied(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()


SETUPS: dict[str, Callable[[Path], None]] = {
    "07-huge-context": many_files,
    "08-symlink-escape": escaping_symlink,
    "21-compose-symlink-escape": escaping_symlink,
    "22-compose-egress": gateway_in_env,
    "11-binary-garbage": binary_dockerfile,
    "12-non-utf8-names": non_utf8_names,
    "13-empty-folder": emptied,
    "15-binary-spec": binary_spec,
}


def test_hostile_submissions_cost_a_grade_not_the_host(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    cases = sorted(
        path for path in HOSTILE.iterdir() if (path / "expect.yaml").exists()
    )
    assert len(cases) >= 15
    for case in cases:
        target = tmp_path / "exercises" / case.name
        shutil.copytree(case, target, ignore=shutil.ignore_patterns("expect.yaml"))
        if case.name in SETUPS:
            SETUPS[case.name](target)

    graded = run_brickyard("grade", "--root", str(tmp_path), timeout=1500)

    assert graded.returncode == 0, graded.stderr
    assert "Traceback" not in graded.stdout + graded.stderr
    wrong = []
    timings = []
    for case in cases:
        expectation = read_expectation(case)
        exercise = graded.exercise(case.name)
        seconds = sum(check["seconds"] for check in exercise["checks"])
        timings.append(f"{case.name}: {seconds:.1f} s")
        if expectation.get("error"):
            if not exercise["error"]:
                wrong.append(f"{case.name}: expected an error verdict, got checks")
        elif exercise["error"]:
            wrong.append(f"{case.name}: cannot be graded: {exercise['error']}")
        elif graded.failed(case.name) != set(expectation["fails"]):
            wrong.append(
                f"{case.name}: failed {sorted(graded.failed(case.name))}, expected"
                f" {sorted(expectation['fails'])}"
            )
        if expectation.get("refused"):
            feedback = " ".join(check["feedback"] for check in exercise["checks"])
            if "was refused" not in feedback or " line " not in feedback:
                wrong.append(f"{case.name}: no refusal naming the line in {feedback!r}")
        if seconds > expectation["max_seconds"]:
            bound = expectation["max_seconds"]
            wrong.append(f"{case.name}: took {seconds:.0f} s, bound {bound} s")
    print("\nhostile case timings:\n  " + "\n  ".join(timings))
    assert not wrong, "\n".join(wrong) + "\n\n" + graded.stdout

    engine.ping()
    assert graded.report is not None
    assert count_labelled(engine, graded.report["run_id"]) == dict.fromkeys(
        ("containers", "volumes", "networks", "images"), 0
    )
    # The fork bombs are over: the grader's cgroup is far from its process limit
    # (other runs may use some of it meanwhile).
    pids = Path("/sys/fs/cgroup/pids/brickyard")
    if (pids / "pids.current").exists():
        current = int((pids / "pids.current").read_text())
        assert current < int((pids / "pids.max").read_text()) // 4

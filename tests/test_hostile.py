"""The hostile suite: submissions that attack or break the grader, graded on the engine.

Each case under `tests/cases/hostile/` is an exercise with an `expect.yaml`: the
checks it must fail, `error: true` when the exercise itself cannot be graded,
`max_seconds`, the bound its grading must finish within, and `refused: true` when
its compose file must be refused, naming the line, before anything runs. Cases that
cannot live in the repository as files (25,000 files, an escaping symlink, binary
garbage, names that are not UTF-8, an empty folder, the address of a host outside
every Docker network, which `outside_host` runs in a network namespace of this
machine) are made by `SETUPS` in the temporary copy. All cases are graded in
one run; afterwards the engine must answer, the grader's cgroup must be idle, and
nothing of the run may remain.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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


#: Where `outside_host` tells the egress case the address of the host outside.
OUTSIDE_VARIABLE = "BRICKYARD_TEST_OUTSIDE_HOST"


@contextlib.contextmanager
def outside_host() -> Iterator[None]:
    """Run a TCP listener in a network namespace of its own, outside every Docker
    network, and name its address in OUTSIDE_VARIABLE while the block runs.

    A container on an ordinary bridge network reaches it through the machine's
    forwarding (as it would reach any other host); one on an internal network must
    not. Every packet stays on this machine. Needs root and iproute2; without them
    the variable stays unset and the egress case is left out.
    """
    if os.geteuid() != 0 or shutil.which("ip") is None:
        yield
        return
    tag = os.getpid() % 1_000_000
    namespace, host_end, inner_end = f"brk-out-{tag}", f"bko{tag}h", f"bko{tag}n"
    # A /30 of the benchmarking range 198.18.0.0/15 that no network here uses.
    block = (tag % 16_000) * 4
    host_ip = f"198.{18 + block // 65536}.{block // 256 % 256}.{block % 256 + 1}"
    inner_ip = host_ip.rsplit(".", 1)[0] + f".{block % 256 + 2}"
    inside = ["ip", "netns", "exec", namespace]
    commands = [
        ["ip", "netns", "add", namespace],
        ["ip", "link", "add", host_end, "type", "veth", "peer", "name", inner_end],
        ["ip", "link", "set", inner_end, "netns", namespace],
        ["ip", "addr", "add", f"{host_ip}/30", "dev", host_end],
        ["ip", "link", "set", host_end, "up"],
        [*inside, "ip", "addr", "add", f"{inner_ip}/30", "dev", inner_end],
        [*inside, "ip", "link", "set", inner_end, "up"],
        [*inside, "ip", "route", "add", "default", "via", host_ip],
    ]
    listener = None
    try:
        for command in commands:
            subprocess.run(command, check=True, capture_output=True, timeout=10)
        listener = subprocess.Popen(
            [*inside, sys.executable, "-c", LISTENER, inner_ip, "8099"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        os.environ[OUTSIDE_VARIABLE] = f"{inner_ip}:8099"
        yield
    finally:
        os.environ.pop(OUTSIDE_VARIABLE, None)
        if listener is not None:
            listener.kill()
            listener.wait(timeout=10)
        # Deleting the namespace deletes its end of the pair, and so the pair.
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", host_end], capture_output=True)


LISTENER = """
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], int(sys.argv[2])))
server.listen()
while True:
    connection, _ = server.accept()
    connection.close()
"""


def outside_in_env(folder: Path) -> bool:
    """Name the outside host in the case's .env; False when there is none here."""
    address = os.environ.get(OUTSIDE_VARIABLE)
    if not address:
        return False
    host, port = address.rsplit(":", 1)
    (folder / ".env").write_text(f"TARGET={host}\nPORT={port}\n")
    return True


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


#: What each case needs made in its copy; a setup that returns False could not make
#: it on this machine, and its case is left out of the run.
SETUPS: dict[str, Callable[[Path], bool | None]] = {
    "07-huge-context": many_files,
    "08-symlink-escape": escaping_symlink,
    "21-compose-symlink-escape": escaping_symlink,
    "22-compose-egress": outside_in_env,
    "11-binary-garbage": binary_dockerfile,
    "12-non-utf8-names": non_utf8_names,
    "13-empty-folder": emptied,
    "15-binary-spec": binary_spec,
}


def lay_out(cases: list[Path], root: Path) -> list[Path]:
    """Copy each case into `root/exercises/`, making what cannot be a file there.

    Return the cases laid out: a case whose setup cannot be made here is left out,
    and said so.
    """
    laid_out = []
    for case in cases:
        target = root / "exercises" / case.name
        shutil.copytree(case, target, ignore=shutil.ignore_patterns("expect.yaml"))
        if case.name in SETUPS and SETUPS[case.name](target) is False:
            shutil.rmtree(target)
            print(f"{case.name}: left out, its setup cannot be made on this machine")
            continue
        laid_out.append(case)
    return laid_out


def test_hostile_submissions_cost_a_grade_not_the_host(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    cases = sorted(
        path for path in HOSTILE.iterdir() if (path / "expect.yaml").exists()
    )
    assert len(cases) >= 15
    with outside_host():
        cases = lay_out(cases, tmp_path)
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

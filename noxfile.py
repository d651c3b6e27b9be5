"""Every entry point a person runs: `nox -s grade`, `nox -s tests`, and the rest.

Each session that needs Docker first makes sure an engine, Compose and the base
images are there (installing them where it can), printing what it does.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.sessions = ["grade"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).parent
PROVISION = ROOT / "scripts" / "provision-engine"


def engine_ready() -> bool:
    """Tell whether `docker info` and `docker compose version` both answer."""
    if shutil.which("docker") is None:
        return False
    for command in (["docker", "info"], ["docker", "compose", "version"]):
        try:
            done = subprocess.run(command, capture_output=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        if done.returncode != 0:
            return False
    return True


def prepare_engine(session: nox.Session) -> None:
    """Make a Docker engine and Compose v2 answer, provisioning them where possible."""
    if engine_ready():
        return
    if platform.system() == "Linux":
        session.log(
            "No Docker engine or Compose answers; running scripts/provision-engine"
        )
        session.run("bash", str(PROVISION), external=True)
        return
    session.error(
        "No Docker engine answers. Start Docker Desktop (or your engine) and run this"
        " again; see README.md, section 'Prerequisites'."
    )


def prepare_browser(session: nox.Session) -> None:
    """Install Debian's chromium for the HTML report's test, where it can be.

    As with the engine: only on Debian or Ubuntu, as root, and only when missing.
    Elsewhere, or when apt fails, that one test is skipped and says why.
    """
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    debian = Path("/etc/debian_version").exists() and shutil.which("apt-get")
    if platform.system() != "Linux" or not debian or os.geteuid() != 0:
        session.log("No chromium: the HTML report's browser test will be skipped.")
        return
    session.log("Installing Debian's chromium for the HTML report's browser test")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        done = subprocess.run(command, env=environment, check=False)
        if done.returncode != 0:
            session.log(
                f"`{' '.join(command)}` failed (exit {done.returncode}): the HTML"
                " report's browser test will be skipped."
            )
            return


def install(session: nox.Session, *extras: str) -> None:
    """Install brickyard into the session's environment (editable, so edits count)."""
    target = f".[{','.join(extras)}]" if extras else "."
    session.install("--quiet", "--disable-pip-version-check", "-e", target)


def prepare(session: nox.Session) -> None:
    """Everything grading needs: the package, an engine, Compose and the base images."""
    install(session)
    prepare_engine(session)
    session.run("brickyard", "images")


@nox.session
def grade(session: nox.Session) -> None:
    """Grade the exercises: `nox -s grade -- [01 ...] [--json FILE] [-v]`."""
    prepare(session)
    session.run("brickyard", "grade", *session.posargs)


@nox.session
def quiz(session: nox.Session) -> None:
    """Answer the concepts quiz in the terminal; `-- --restart` starts from the top."""
    install(session)
    session.run("brickyard", "quiz", *session.posargs)


@nox.session
def watch(session: nox.Session) -> None:
    """Grade the current exercise on every save; keys h (hint), n (next), q (quit)."""
    prepare(session)
    session.run("brickyard", "watch", *session.posargs)


@nox.session
def hint(session: nox.Session) -> None:
    """Show an exercise's hints, failing checks first: `nox -s hint [-- 03]`."""
    install(session)
    session.run("brickyard", "hint", *session.posargs)


@nox.session
def validate(session: nox.Session) -> None:
    """Prove solutions score full marks and starters fail as their specs say."""
    prepare(session)
    session.run("brickyard", "validate", *session.posargs)


@nox.session
def images(session: nox.Session) -> None:
    """Make the base images available: pulled, or built as offline stand-ins."""
    install(session)
    prepare_engine(session)
    session.run("brickyard", "images", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run brickyard's own test suite on the real Docker engine."""
    install(session, "test")
    prepare_engine(session)
    prepare_browser(session)
    session.run("brickyard", "images")
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    if session.posargs:
        session.run("pytest", *session.posargs, env=env)
        return
    # Most tests wait on the engine more than they compute, so three workers share
    # the two cores well. Tests that kill grading runs or count what is left on the
    # engine run alone afterwards.
    session.run(
        "pytest", "-ra", "-n", "3", "--dist", "load", "-m", "not serial", env=env
    )
    session.run("pytest", "-ra", "-m", "serial", env=env)


BENCHMARKS = ("determinism", "hostile", "bulk")


@nox.session
def benchmark(session: nox.Session) -> None:
    """Measure: `-- determinism [--runs N]`, `-- hostile [CASE ...]`, `-- bulk`."""
    prepare(session)
    if session.posargs and session.posargs[0] in BENCHMARKS:
        name, *arguments = session.posargs
        session.run("python", f"benchmarks/{name}.py", *arguments)
        return
    # All three; any arguments go to the determinism benchmark.
    session.run("python", "benchmarks/determinism.py", *session.posargs)
    session.run("python", "benchmarks/hostile.py")
    session.run("python", "benchmarks/bulk.py")


@nox.session
def docs(session: nox.Session) -> None:
    """Write docs/checks.md and schema/exercise.schema.json from the check kinds."""
    install(session)
    session.run("brickyard", "docs", *session.posargs)


@nox.session
def template(session: nox.Session) -> None:
    """Write the student template into a new folder: `nox -s template -- OUT`."""
    if not session.posargs:
        session.error("Name the folder to write: `nox -s template -- OUT`.")
    install(session)
    session.run("brickyard", "template", *session.posargs)


@nox.session
def bulk(session: nox.Session) -> None:
    """Grade a class into a gradebook: `nox -s bulk -- DIR [-j N] [--reports]`."""
    if not session.posargs:
        session.error(
            "Name the folder of submissions (one per student): `nox -s bulk -- DIR`."
        )
    prepare(session)
    session.run("brickyard", "bulk", *session.posargs)


@nox.session
def new(session: nox.Session) -> None:
    """Scaffold an exercise and its solution: `nox -s new -- NN-slug`."""
    if not session.posargs:
        session.error("Name the exercise: `nox -s new -- NN-slug`.")
    install(session)
    session.run("brickyard", "new", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check formatting (ruff format), lint rules (ruff) and types (mypy)."""
    install(session, "dev")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run("mypy")


@nox.session
def clean(session: nox.Session) -> None:
    """Remove Docker objects left by grading runs that were killed."""
    install(session)
    session.run("brickyard", "clean")

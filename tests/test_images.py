"""Stand-in base images: mirror discovery from apt sources, and the commands built."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from grader.engine import images

DEB822 = """\
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
"""

ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib
"""


def test_mirror_from_deb822_sources() -> None:
    assert images.parse_mirror(DEB822, deb822=True) == "http://mirror.example/debian"


def test_mirror_from_one_line_sources() -> None:
    assert images.parse_mirror(ONE_LINE, deb822=False) == "http://mirror.example/debian"


def test_no_mirror_is_an_explained_error(tmp_path: Path) -> None:
    (tmp_path / "other.sources").write_text(
        "Types: deb\nURIs: http://x\nSuites: trixie\n"
    )

    with pytest.raises(images.StandInError, match="No Debian mirror"):
        images.find_debian_mirror((tmp_path,))


def test_python_stand_in_keeps_the_official_contract() -> None:
    python = images.find_base_image("python:3.11-slim-bookworm")
    assert python is not None

    command = images.stand_in_command(python, "http://mirror.example/debian")

    included = next(part for part in command if part.startswith("--include="))
    # Full python3, not python3-minimal (no http, no most of the standard library).
    assert "python3," in included + "," and "python-is-python3" in included
    assert command[-3:] == ["bookworm", "-", "http://mirror.example/debian"]
    changes = images.import_changes(python)
    assert 'CMD ["python3"]' in changes
    assert any(images.labels.STAND_IN in change for change in changes)


@pytest.mark.engine
def test_python_image_on_the_engine_keeps_its_contract(
    engine: docker.DockerClient,
) -> None:
    script = (
        "python --version && pip --version && python3 -c 'import http.server, sqlite3'"
    )

    output = engine.containers.run(
        "python:3.11-slim-bookworm",
        ["sh", "-c", script],
        remove=True,
        network_mode="none",
    ).decode()

    assert "Python 3.11" in output
    assert "pip " in output

"""The reference a student writes for registry_roundtrip: read, split and judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.registry_roundtrip import (
    PushParams,
    Reference,
    parse_reference,
    read_variable,
    reference_problem,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "localhost:5000/bricks/greeter:1.4.0",
            Reference("localhost:5000", "bricks/greeter", "1.4.0"),
        ),
        ("localhost/greeter:1.0", Reference("localhost", "greeter", "1.0")),
        (
            "registry.example.org/team/app",
            Reference("registry.example.org", "team/app", None),
        ),
        ("127.0.0.1:5000/greeter", Reference("127.0.0.1:5000", "greeter", None)),
        # No dot, no colon, not localhost: a Docker Hub namespace, not a host.
        ("bricks/greeter:1.4.0", Reference(None, "bricks/greeter", "1.4.0")),
        ("greeter", Reference(None, "greeter", None)),
        (
            "localhost:5000/greeter@sha256:abc",
            Reference("localhost:5000", "greeter", None, "sha256:abc"),
        ),
        ("  Bricks/Greeter:Latest \n", Reference(None, "Bricks/Greeter", "Latest")),
    ],
)
def test_references_are_split_as_docker_splits_them(
    text: str, expected: Reference
) -> None:
    assert parse_reference(text) == expected


RELEASE_ENV = """\
# Where the release goes.
IMAGE=first
export IMAGE="localhost:5000/bricks/greeter:1.4.0"
OTHER=x
"""


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (RELEASE_ENV, "localhost:5000/bricks/greeter:1.4.0"),
        ("IMAGE = 'a:1'\n", "a:1"),
        ("IMAGE=a:1 # the release\n", "a:1"),
        ('IMAGE="a:1"  # the release\n', "a:1"),
        ("# IMAGE=a:1\n", None),
        ("IMAGES=a:1\n", None),
        ("IMAGE=\n", ""),
    ],
)
def test_the_last_assignment_of_the_variable_is_read(
    text: str, value: str | None
) -> None:
    assert read_variable(text, "IMAGE") == value


PARAMS = PushParams(
    repository="bricks/greeter",
    tag="1.4.0",
    reference_file="release.env",
    registry_hosts=["localhost:5000", "127.0.0.1:5000"],
)


def judge(tmp_path: Path, text: str | None) -> str | None:
    if text is not None:
        (tmp_path / "release.env").write_text(text)
    return reference_problem(tmp_path, PARAMS, {})


@pytest.mark.parametrize(
    "text",
    [
        "IMAGE=localhost:5000/bricks/greeter:1.4.0\n",
        "export IMAGE='127.0.0.1:5000/bricks/greeter:1.4.0'\n",
    ],
)
def test_the_reference_asked_for_passes(tmp_path: Path, text: str) -> None:
    assert judge(tmp_path, text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "There is no release.env"),
        ("TAG=1.4.0\n", "does not set IMAGE"),
        ("IMAGE=bricks/greeter:1.4.0\n", "Docker Hub"),
        ("IMAGE=registry.example.org/bricks/greeter:1.4.0\n", "not localhost:5000"),
        ("IMAGE=localhost:5000/Bricks/Greeter:1.4.0\n", "capital letters"),
        ("IMAGE=localhost:5000/greeter:1.4.0\n", "its repository is `greeter`"),
        ("IMAGE=localhost:5000/bricks/greeter\n", "would push `latest`"),
        ("IMAGE=localhost:5000/bricks/greeter:1.4\n", "its tag is `1.4`"),
        ("IMAGE=localhost:5000/bricks/greeter@sha256:ab\n", "digest"),
    ],
)
def test_each_mistake_is_named(tmp_path: Path, text: str | None, says: str) -> None:
    problem = judge(tmp_path, text)

    assert problem is not None and says in problem, problem

"""The base_image_pinned rule, run on Dockerfiles written to a temporary exercise."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.dockerfile_rules import base_image_pinned
from grader.checks.registry import NoParams
from grader.engine.labels import RunIdentity
from grader.engine.session import ExerciseSession
from grader.spec.model import CheckSpec, Exercise


def rule_on(tmp_path: Path, text: str) -> tuple[bool, str]:
    (tmp_path / "Dockerfile").write_text(text)
    check = CheckSpec("pinned", "base_image_pinned", "t", 1, "", "", NoParams())
    exercise = Exercise("01-x", "x", "x", tmp_path, (check,))
    # Static checks never touch the engine, so no client is needed.
    session = ExerciseSession(exercise, None, RunIdentity())  # type: ignore[arg-type]
    outcome = base_image_pinned(session, NoParams())
    return outcome.passed, outcome.message


@pytest.mark.parametrize(
    "text",
    [
        "FROM python:3.11-slim-bookworm\n",
        "ARG TAG=3.11-slim\nFROM python:${TAG}\n",
        "FROM python:3.11 AS build\nFROM build\n",
        "FROM golang:1.22 AS Build\nFROM scratch\nCOPY --from=Build /a /a\n",
        "FROM python@sha256:0123abcd\n",
        "FROM localhost:5000/base:1.0\n",
    ],
)
def test_pinned(tmp_path: Path, text: str) -> None:
    assert rule_on(tmp_path, text)[0]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("FROM python\n", "has no tag"),
        ("FROM python:latest\n", "asks for `latest`"),
        ("FROM localhost:5000/base\n", "has no tag"),
        ("FROM python:3.11 AS build\nFROM debian\n", "line 2"),
        ("ARG TAG\nFROM python:${TAG}\n", "no default"),
        ("# only a comment\n", "no FROM"),
    ],
)
def test_not_pinned(tmp_path: Path, text: str, says: str) -> None:
    passed, message = rule_on(tmp_path, text)

    assert not passed
    assert says in message

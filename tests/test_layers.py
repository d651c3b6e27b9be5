"""Deciding which steps a rebuild reused, on history recorded from the engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.checks.cache import clip
from grader.dockerfile import mentions
from grader.engine import layers
from tests.conftest import CASES, run_brickyard

RECORDED = Path(__file__).parent / "resources" / "history-legacy-app-edit.json"


def load(name: str) -> tuple[list[layers.Step], list[str]]:
    data = json.loads(RECORDED.read_text())[name]
    digests = data["layers"]
    return layers.steps_of(data["history"], len(digests)), digests


def test_steps_mark_layers_including_empty_workdir() -> None:
    steps, digests = load("a")

    # WORKDIR makes an empty layer; ENV, `RUN true` and CMD make none.
    assert [step.has_layer for step in steps] == [
        True, True, False, True, True, False, True, False,
    ]  # fmt: skip
    assert sum(step.has_layer for step in steps) == len(digests)


def test_compare_after_editing_the_app() -> None:
    before, digests_before = load("a")
    after, digests_after = load("b")

    verdicts = layers.compare(before, after, digests_before, digests_after, skip=1)

    assert [(v.instruction.split()[0], v.reused) for v in verdicts] == [
        ("WORKDIR", True),
        ("ENV", True),
        ("COPY", True),
        ("RUN", True),
        ("RUN", True),
        ("COPY", False),
        ("CMD", False),
    ]


def test_compare_identical_builds_reuses_everything() -> None:
    steps, digests = load("a")

    assert all(v.reused for v in layers.compare(steps, steps, digests, digests))


def test_readable_for_both_builders() -> None:
    assert (
        layers.readable("/bin/sh -c pip install -r r.txt") == "RUN pip install -r r.txt"
    )
    assert (
        layers.readable("/bin/sh -c #(nop) COPY file:ab in . ") == "COPY file:ab in ."
    )
    buildkit = "RUN /bin/sh -c pip install -r r.txt # buildkit"
    assert layers.readable(buildkit) == "RUN pip install -r r.txt"
    assert mentions("RUN pip  install -r r.txt", "PIP INSTALL")


def test_long_instructions_are_clipped_at_a_word_with_an_ellipsis() -> None:
    text = "RUN pip install --no-cache-dir -r requirements.txt && rm -rf /root/.cache"

    clipped = clip(text, 40)

    assert clipped == "RUN pip install --no-cache-dir -r…"
    assert len(clipped) <= 40
    assert clip("COPY  app.py\n  .", 40) == "COPY app.py ."


@pytest.mark.engine
def test_cache_evidence_shows_the_dockerfiles_lines_and_no_grader_steps(
    engine: object, tmp_path: Path
) -> None:
    scenario = CASES / "kinds" / "cache_reuse" / "01-manifest-first"
    target = tmp_path / "exercises" / scenario.name
    shutil.copytree(scenario, target, ignore=shutil.ignore_patterns("expect.yaml"))

    graded = run_brickyard("grade", "--root", str(tmp_path))

    check = graded.exercise(scenario.name)["checks"][0]
    table = check["evidence"]["steps after editing app.py"]
    assert "reused   COPY requirements.txt ." in table, table
    assert "REBUILT  COPY . ." in table
    assert "brickyard" not in table and "file:" not in table and "dir:" not in table

"""The legacy builder's stream: pieces joined, grader steps hidden, failures told."""

from __future__ import annotations

import shutil
from pathlib import Path

import docker
import pytest

from grader.engine import explain, images
from grader.engine.build import BuildResult, build_image, read_chunk
from tests.conftest import CASES

# Recorded from a failed `apt-get install` in a build: apt's coloured "E" and the
# rest of its line arrive as separate chunks, and a step line may be split too.
CHUNKS = [
    {"stream": "Step 2/3 : RUN apt-get install -y"},
    {"stream": " curl\n"},
    {"stream": " ---> Running in 0d17de7d2e6f\n"},
    {"stream": "\x1b[91mE"},
    {"stream": ": Failed to fetch http://deb.debian.org/curl.deb  404  Not Found\n"},
    {"stream": "\x1b[0m\x1b[91mE: Unable to fetch some archives\r\n\x1b[0m"},
    {"stream": "Half a line the engine never ended"},
    {"error": "The command '/bin/sh -c apt-get install -y curl' returned 100"},
]


def test_lines_sent_in_pieces_are_joined() -> None:
    result = BuildResult(tag="t")
    for chunk in CHUNKS:
        read_chunk(result, chunk)

    assert result.log_lines == [
        "Step 2/3 : RUN apt-get install -y curl",
        " ---> Running in 0d17de7d2e6f",
        "E: Failed to fetch http://deb.debian.org/curl.deb  404  Not Found",
        "E: Unable to fetch some archives",
        "Half a line the engine never ended",
        "The command '/bin/sh -c apt-get install -y curl' returned 100",
    ]
    assert [step.instruction for step in result.steps] == [
        "RUN apt-get install -y curl"
    ]
    assert result.error is not None and result.error.endswith("returned 100")


# Recorded from the legacy builder given two labels: it appends one LABEL step per
# label after the Dockerfile's own three steps.
LABELLED = [
    "Step 1/5 : FROM debian:bookworm-slim\n",
    " ---> 55a3c446c3e4\n",
    "Step 2/5 : RUN echo hi > /f\n",
    " ---> Running in 0e7fb89e9f15\n",
    "Removing intermediate container 0e7fb89e9f15\n",
    " ---> 548854b5bcfb\n",
    'Step 3/5 : CMD ["true"]\n',
    " ---> Running in 469dea02f1d5\n",
    "Removing intermediate container 469dea02f1d5\n",
    " ---> 6e2a5831eafb\n",
    "Step 4/5 : LABEL brickyard.pid=4242\n",
    " ---> Running in 57d1c0a3f0aa\n",
    "Removing intermediate container 57d1c0a3f0aa\n",
    " ---> 7b0c0d2c1e11\n",
    "Step 5/5 : LABEL brickyard.run=r1\n",
    " ---> Using cache\n",
    " ---> debc3c3e180f\n",
    "Successfully built debc3c3e180f\n",
]


def test_grader_label_steps_are_hidden_and_steps_renumbered() -> None:
    result = BuildResult(tag="t", hidden_steps=2)
    made = [read_chunk(result, {"stream": text}) for text in LABELLED]

    assert [line for line in result.log_lines if line.startswith("Step")] == [
        "Step 1/3 : FROM debian:bookworm-slim",
        "Step 2/3 : RUN echo hi > /f",
        'Step 3/3 : CMD ["true"]',
    ]
    hidden = [
        line for line in result.log_lines if "brickyard" in line or "57d1" in line
    ]
    assert hidden == []
    assert "Successfully built debc3c3e180f" in result.log_lines
    assert [step.number for step in result.student_steps] == [1, 2, 3]
    # The label steps' images are still this build's, to be removed with it.
    assert "7b0c0d2c1e11" in made
    assert "7b0c0d2c1e11" in result.intermediate_ids()


def test_a_students_own_label_step_is_kept() -> None:
    result = BuildResult(tag="t", hidden_steps=1)
    for text in [
        "Step 1/3 : FROM x\n",
        "Step 2/3 : LABEL brickyard.mine=1\n",
        "Step 3/3 : LABEL brickyard.run=r1\n",
    ]:
        read_chunk(result, {"stream": text})

    assert result.log_lines == [
        "Step 1/2 : FROM x",
        "Step 2/2 : LABEL brickyard.mine=1",
    ]


@pytest.mark.parametrize(
    "message",
    [
        'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io'
        " on 10.255.255.53:53: no such host",
        'Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout',
    ],
)
def test_no_registry_is_recognised(message: str) -> None:
    assert images.registry_unreachable(message)


def test_a_registry_that_answers_no_is_not_unreachable() -> None:
    assert not images.registry_unreachable(
        "pull access denied for nosuch, repository does not exist or may require"
        " 'docker login': denied: requested access to the resource is denied"
    )


BUILDKIT = """\
# syntax=docker/dockerfile:1.6
FROM python:3.11-slim-bookworm
RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt
COPY --link --chmod=755 run.sh /run.sh
RUN <<END
echo one
END
COPY --chown=1000 app.py .
"""


def test_buildkit_syntax_is_found_with_its_lines() -> None:
    uses = explain.find_buildkit_syntax(BUILDKIT)

    assert [(use.line, use.feature) for use in uses] == [
        (3, "`RUN --mount`"),
        (4, "`COPY --link`"),
        (4, "`COPY --chmod`"),
        (5, "a heredoc `RUN <<`"),
    ]
    explained = explain.explain_buildkit(uses, BUILDKIT)
    assert "BuildKit syntax (`RUN --mount` on line 3)" in explained.reason
    assert "legacy builder" in explained.reason
    assert "line 5: write the heredoc's commands" in explained.advice
    assert "`# syntax=` directive on line 1" in explained.advice


def test_legacy_syntax_is_not_mistaken_for_buildkit() -> None:
    legacy = "FROM a AS b\nCOPY --from=b --chown=1 x /x\nRUN cat <<< word\n"

    assert explain.find_buildkit_syntax(legacy) == []


@pytest.mark.engine
def test_buildkit_heredoc_build_is_explained(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    case = CASES / "kinds" / "image_builds" / "05-buildkit-heredoc"
    shutil.copy(case / "Dockerfile", tmp_path / "Dockerfile")
    (tmp_path / "app.py").write_text("print('hi')\n")

    result = build_image(
        engine, tmp_path, "Dockerfile", "brickyard-test-heredoc:x", {}, timeout=60
    )

    assert not result.ok
    assert result.explanation is not None, result.error
    assert "a heredoc `RUN <<` on line 6" in result.explanation.reason
    assert "one RUN line joined with `&&`" in result.explanation.advice

"""The Dockerfile parser, on recorded Dockerfile text."""

from __future__ import annotations

import pytest

from grader import dockerfile

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
ARG PY=3.11
FROM python:${PY}-slim-bookworm AS build
RUN apt-get update && \\
    # a comment inside a continuation is dropped
    apt-get install -y gcc
RUN <<EOF
echo one
echo two
EOF
FROM scratch
COPY --from=build --chown=1000 /out /app
CMD ["/app/run"]
"""


def test_instructions_lines_and_continuations() -> None:
    parsed = dockerfile.parse(MULTI_STAGE)

    keywords = [(item.keyword, item.line) for item in parsed.instructions]
    assert keywords == [
        ("ARG", 2),
        ("FROM", 3),
        ("RUN", 4),
        ("RUN", 7),
        ("FROM", 11),
        ("COPY", 12),
        ("CMD", 13),
    ]
    assert (
        parsed.instructions[2].arguments == "apt-get update && apt-get install -y gcc"
    )
    assert parsed.instructions[3].heredocs == ("echo one\necho two",)


def test_stages_args_and_flags() -> None:
    parsed = dockerfile.parse(MULTI_STAGE)

    stages = [(stage.base, stage.name) for stage in parsed.stages]
    assert stages == [("python:${PY}-slim-bookworm", "build"), ("scratch", None)]
    assert parsed.global_args == {"PY": "3.11"}
    expanded = dockerfile.substitute(parsed.stages[0].base, parsed.global_args)
    assert expanded == ("python:3.11-slim-bookworm", [])
    assert parsed.find("COPY")[0].flags() == {"from": "build", "chown": "1000"}


@pytest.mark.parametrize(
    ("text", "exec_form"),
    [
        ('CMD ["python3", "app.py"]', ["python3", "app.py"]),
        ("CMD python3 app.py", None),
        ("CMD [python3, app.py]", None),
        ('ENTRYPOINT [ "/bin/app" ]', ["/bin/app"]),
    ],
)
def test_exec_form(text: str, exec_form: list[str] | None) -> None:
    parsed = dockerfile.parse("FROM scratch\n" + text)

    assert parsed.instructions[-1].exec_form == exec_form


@pytest.mark.parametrize(
    ("text", "expanded", "unknown"),
    [
        ("python:${TAG}", "python:", ["TAG"]),
        ("python:${TAG:-3.11}", "python:3.11", []),
        ("python:$TAG", "python:", ["TAG"]),
    ],
)
def test_substitute(text: str, expanded: str, unknown: list[str]) -> None:
    assert dockerfile.substitute(text, {}) == (expanded, unknown)


@pytest.mark.parametrize(
    ("reference", "repository", "tag", "digest"),
    [
        ("python", "python", None, None),
        ("python:3.11-slim", "python", "3.11-slim", None),
        ("localhost:5000/team/app", "localhost:5000/team/app", None, None),
        ("localhost:5000/team/app:v2", "localhost:5000/team/app", "v2", None),
        ("python@sha256:abc", "python", None, "sha256:abc"),
    ],
)
def test_split_reference(
    reference: str, repository: str, tag: str | None, digest: str | None
) -> None:
    expected = dockerfile.ImageReference(repository, tag, digest)

    assert dockerfile.split_reference(reference) == expected


def test_unclosed_heredoc_names_the_line() -> None:
    with pytest.raises(dockerfile.DockerfileSyntaxError, match="line 2"):
        dockerfile.parse("FROM scratch\nRUN <<END\necho\n")


def test_escape_directive() -> None:
    parsed = dockerfile.parse("# escape=`\nFROM scratch\nRUN a `\n  b\n")

    assert parsed.instructions[-1].arguments == "a b"

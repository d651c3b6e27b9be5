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


CHAINED = """\
ARG USER_NAME=app
FROM python:3.11-slim-bookworm AS base
ENV HOME_DIR=/home/app
ARG UNUSED=1
FROM base AS runtime
ARG USER_NAME
ARG UID=1000
ENV APP_UID=${UID} GREETING="hello world"
ENV LEGACY some value
USER ${USER_NAME}
FROM debian:bookworm-slim
COPY --from=1 /a /b
"""


def test_stage_named_by_name_or_index() -> None:
    parsed = dockerfile.parse(CHAINED)

    assert parsed.stage_named("BASE") is parsed.stages[0]
    assert parsed.stage_named("1") is parsed.stages[1]
    assert parsed.stage_named("runtime", before=1) is None
    assert parsed.stage_named("nginx:1.25") is None


def test_chain_follows_from_an_earlier_stage() -> None:
    parsed = dockerfile.parse(CHAINED)

    assert parsed.chain(parsed.stages[1]) == parsed.stages[:2]
    assert parsed.chain(parsed.stages[2]) == [parsed.stages[2]]
    assert parsed.parent(parsed.stages[0]) is None


def test_variables_in_scope() -> None:
    parsed = dockerfile.parse(CHAINED)
    runtime = parsed.stages[1]

    values = parsed.variables_at(runtime, 10)

    assert values == {
        "USER_NAME": "app",
        "UID": "1000",
        "HOME_DIR": "/home/app",
        "APP_UID": "1000",
        "GREETING": "hello world",
        "LEGACY": "some value",
    }
    assert "UNUSED" not in values
    assert parsed.variables_at(runtime, 6) == {"HOME_DIR": "/home/app"}


def test_build_args_override_arg_defaults_not_env() -> None:
    parsed = dockerfile.parse(CHAINED)

    values = parsed.variables_at(
        parsed.stages[1], 10, {"USER_NAME": "bob", "UID": "2000", "HOME_DIR": "/x"}
    )

    assert values["USER_NAME"] == "bob"
    assert values["APP_UID"] == "2000"
    assert values["HOME_DIR"] == "/home/app"


def test_an_arg_without_default_or_global_is_none() -> None:
    parsed = dockerfile.parse("FROM scratch\nARG NAME\nUSER $NAME\n")

    assert parsed.variables_at(parsed.stages[0], 3) == {"NAME": None}


@pytest.mark.parametrize(
    ("text", "sources", "destination", "flags"),
    [
        ("COPY requirements.txt ./", ("requirements.txt",), "./", {}),
        (
            'COPY --chown=app:app ["a b.txt", "c.txt", "/app/"]',
            ("a b.txt", "c.txt"),
            "/app/",
            {"chown": "app:app"},
        ),
        ("ADD --chmod=644 . /app", (".",), "/app", {"chmod": "644"}),
        ("COPY --from=build /out /app", ("/out",), "/app", {"from": "build"}),
        ("COPY <<EOF /etc/conf\nx\nEOF", (), "/etc/conf", {}),
        ("COPY onlyone", (), "onlyone", {}),
    ],
)
def test_transfer(
    text: str, sources: tuple[str, ...], destination: str, flags: dict[str, str]
) -> None:
    instruction = dockerfile.parse("FROM scratch\n" + text).instructions[1]

    transfer = instruction.transfer()

    assert (transfer.sources, transfer.destination, transfer.flags) == (
        sources,
        destination,
        flags,
    )


def test_script_holds_flags_free_text_and_heredocs() -> None:
    text = "FROM scratch\nRUN --mount=type=cache,target=/c <<EOF\npip install x\nEOF\n"
    instruction = dockerfile.parse(text).instructions[1]

    assert instruction.after_flags() == "<<EOF"
    assert instruction.script() == "<<EOF\npip install x"


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("ENV A=1 B='two words'", [("A", "1"), ("B", "two words")]),
        ("ENV LEGACY some value", [("LEGACY", "some value")]),
        ("ARG NAME", [("NAME", None)]),
        ("ARG A=1 B", [("A", "1"), ("B", None)]),
    ],
)
def test_parse_assignments(text: str, pairs: list[tuple[str, str | None]]) -> None:
    instruction = dockerfile.parse("FROM scratch\n" + text).instructions[1]

    assert dockerfile.parse_assignments(instruction) == pairs


def test_known_instructions() -> None:
    parsed = dockerfile.parse("FROM scratch\nFOO bar\nhealthcheck NONE\n")

    unknown = [
        i.keyword
        for i in parsed.instructions
        if i.keyword not in dockerfile.INSTRUCTIONS
    ]

    assert unknown == ["FOO"]

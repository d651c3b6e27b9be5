"""The static Dockerfile rules, run on Dockerfiles written to a temporary exercise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader import dockerfile
from grader.checks import dockerfile_rules as rules
from grader.checks.registry import NoParams, Outcome
from grader.engine.labels import RunIdentity
from grader.engine.session import ExerciseSession
from grader.spec.model import Exercise, ImageSpec


def grade(
    tmp_path: Path,
    kind: Any,
    params: object,
    text: str,
    build_args: dict[str, str] | None = None,
) -> Outcome:
    (tmp_path / "Dockerfile").write_text(text)
    image = ImageSpec(build_args=build_args or {})
    exercise = Exercise("01-x", "x", "x", tmp_path, (), image=image)
    # Static checks never touch the engine, so no client is needed.
    session = ExerciseSession(exercise, None, RunIdentity())  # type: ignore[arg-type]
    outcome: Outcome = kind(session, params)
    return outcome


BASE = "FROM python:3.11-slim-bookworm\n"


@pytest.mark.parametrize(
    "text",
    [
        BASE + 'CMD ["python3", "app.py"]\n',
        BASE + "CMD exec python3 app.py\n",
        BASE + 'ENTRYPOINT ["python3", "app.py"]\n',
        BASE + 'ENTRYPOINT ["python3"]\nCMD ["app.py"]\n',
        BASE + 'CMD ["/bin/sh", "-c", "exec python3 app.py"]\n',
        BASE + 'CMD ["bash", "-c", "python3 app.py"]\n',
        BASE + "CMD python3 app.py\n" + 'CMD ["python3", "app.py"]\n',
        'FROM python:3.11 AS base\nCMD ["python3", "app.py"]\nFROM base\nRUN true\n',
    ],
)
def test_exec_form_passes(tmp_path: Path, text: str) -> None:
    outcome = grade(tmp_path, rules.exec_form, rules.ExecFormParams(), text)

    assert outcome.passed, outcome.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (BASE + "CMD python3 app.py\n", 'Write `CMD ["python3", "app.py"]`'),
        (BASE + "CMD ['python3', 'app.py']\n", "not valid JSON"),
        (BASE + 'CMD ["sh", "-c", "python3 app.py"]\n', "`sh -c`"),
        (BASE + 'ENTRYPOINT ["python3"]\nCMD app.py\n', "/bin/sh -c app.py"),
        (BASE + "ENTRYPOINT python3 app.py\n", "Line 2: `ENTRYPOINT"),
        (BASE + 'CMD ["python3", "app.py"]\nCMD python3 app.py\n', "Line 3"),
        (BASE + "RUN true\n", "base image `python:3.11-slim-bookworm`"),
        (
            'FROM python:3.11 AS base\nCMD ["x"]\nFROM python:3.11\n',
            "earlier build stage",
        ),
        (BASE + "CMD python3 app.py | tee log\n", "Start the command with `exec`"),
    ],
)
def test_exec_form_fails(tmp_path: Path, text: str, says: str) -> None:
    outcome = grade(tmp_path, rules.exec_form, rules.ExecFormParams(), text)

    assert not outcome.passed
    assert says in outcome.message


def test_exec_form_params(tmp_path: Path) -> None:
    strict = rules.ExecFormParams(allow_shell_exec=False)
    needs_cmd = rules.ExecFormParams(require_cmd=True)
    optional = rules.ExecFormParams(require_cmd_or_entrypoint=False)

    shell_exec = grade(tmp_path, rules.exec_form, strict, BASE + "CMD exec app\n")
    cleared = grade(
        tmp_path,
        rules.exec_form,
        needs_cmd,
        'FROM python:3.11 AS b\nCMD ["a"]\nFROM b\nENTRYPOINT ["x"]\n',
    )
    nothing = grade(tmp_path, rules.exec_form, optional, BASE)

    assert not shell_exec.passed
    assert not cleared.passed
    assert "also clears any CMD" in cleared.message
    assert nothing.passed


@pytest.mark.parametrize(
    ("text", "build_args"),
    [
        (BASE + "RUN useradd app\nUSER app\n", None),
        (BASE + "USER 1000\n", None),
        (BASE + "USER 1000:0\n", None),
        (BASE + "USER nobody:nogroup\n", None),
        (BASE + "ARG APP_USER=app\nUSER ${APP_USER}\n", None),
        ("ARG APP_USER=app\n" + BASE + "ARG APP_USER\nUSER $APP_USER\n", None),
        (BASE + "ARG APP_USER\nUSER ${APP_USER}\n", {"APP_USER": "app"}),
        (BASE + "ENV APP_USER=app\nUSER ${APP_USER}:${APP_USER}\n", None),
        (BASE + "USER root\nRUN apt-get update\nUSER app\n", None),
        ("FROM python:3.11 AS b\nUSER app\nFROM b\nRUN true\n", None),
    ],
)
def test_user_not_root_passes(
    tmp_path: Path, text: str, build_args: dict[str, str] | None
) -> None:
    outcome = grade(tmp_path, rules.user_not_root, NoParams(), text, build_args)

    assert outcome.passed, outcome.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (BASE + "RUN true\n", "has no USER instruction"),
        (BASE + "USER root\n", "names root"),
        (BASE + "USER 0\n", "names root"),
        (BASE + "USER 0:0\n", "names root"),
        (BASE + "USER root:root\n", "names root"),
        (BASE + "USER 00:app\n", "names root"),
        (BASE + "USER app\nUSER root\n", "Line 3"),
        (BASE + "ENV U=root\nUSER $U\n", "resolves to `root`"),
        (BASE + "ARG APP_USER\nUSER ${APP_USER}\n", "has no value"),
        ("ARG APP_USER=app\n" + BASE + "USER $APP_USER\n", "has no value"),
        ("FROM python:3.11 AS b\nUSER app\nFROM python:3.11\n", "earlier build"),
    ],
)
def test_user_not_root_fails(tmp_path: Path, text: str, says: str) -> None:
    outcome = grade(tmp_path, rules.user_not_root, NoParams(), text)

    assert not outcome.passed
    assert says in outcome.message


@pytest.mark.parametrize(
    ("text", "passed", "says"),
    [
        (BASE + "HEALTHCHECK CMD python3 -c 'print(1)'\n", True, "Line 2"),
        (BASE + 'HEALTHCHECK --interval=5s --retries=3 CMD ["true"]\n', True, ""),
        ("FROM python:3.11 AS b\nHEALTHCHECK CMD true\nFROM b\n", True, "Line 2"),
        (BASE + "HEALTHCHECK NONE\n", False, "switches the health check off"),
        (BASE + "HEALTHCHECK CMD true\nHEALTHCHECK NONE\n", False, "Line 3"),
        (BASE + "HEALTHCHECK --interval=5s true\n", False, "CMD <command>"),
        (BASE + "RUN true\n", False, "has no HEALTHCHECK"),
        ("FROM a:1 AS b\nHEALTHCHECK CMD x\nFROM a:1\n", False, "earlier build"),
    ],
)
def test_healthcheck_defined(
    tmp_path: Path, text: str, passed: bool, says: str
) -> None:
    outcome = grade(tmp_path, rules.healthcheck_defined, NoParams(), text)

    assert outcome.passed is passed, outcome.message
    assert says in outcome.message


@pytest.mark.parametrize(
    ("text", "params", "passed", "says"),
    [
        ("FROM a:1 AS build\nFROM a:1\nCOPY --from=build /o /o\n", {}, True, "`build`"),
        ("FROM a:1 AS Build\nFROM a:1\nCOPY --from=build /o /o\n", {}, True, ""),
        ("FROM a:1\nFROM a:1\nCOPY --from=0 /o /o\n", {}, True, "number 0"),
        (
            "FROM a:1 AS b\nCOPY x y\nFROM a:1 AS t\nFROM a:1\nCOPY --from=b /o /o\n",
            {"min_stages": 3},
            True,
            "3 build stages",
        ),
        ("FROM a:1\nCMD x\n", {}, False, "has 1 build stage"),
        ("FROM a:1 AS b\nFROM b\n", {}, False, "copies nothing"),
        ("FROM a:1\nFROM a:1\nCOPY --from=nginx:1 /o /o\n", {}, False, "an image"),
        ("FROM a:1\nFROM a:1\n", {"copy_from": False}, True, "2 build stages"),
    ],
)
def test_stages(
    tmp_path: Path, text: str, params: dict[str, Any], passed: bool, says: str
) -> None:
    outcome = grade(tmp_path, rules.stages, rules.StagesParams(**params), text)

    assert outcome.passed is passed, outcome.message
    assert says in outcome.message


def test_stages_params_refuse_zero() -> None:
    with pytest.raises(ValueError, match="min_stages is 0"):
        rules.StagesParams(min_stages=0)


ORDER = rules.InstructionOrderParams()


@pytest.mark.parametrize(
    "body",
    [
        "WORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\n"
        "COPY . .\n",
        "COPY requirements*.txt /app/\nRUN pip install -r /app/requirements.txt\n"
        "COPY . /app\n",
        'COPY --chown=app:app ["requirements.txt", "."]\n'
        "RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt\n"
        "COPY --chown=app:app . .\n",
        "COPY ./requirements.txt /tmp/\nRUN python3 -m pip install --upgrade pip\n"
        "ENV PIP_NO_CACHE_DIR=1\nRUN pip3 install -r /tmp/requirements.txt\n"
        "WORKDIR /srv\nCOPY . .\n",
        "COPY requirements.txt .\nRUN <<EOF\nset -e\npip install -r requirements.txt\n"
        "EOF\nCOPY . .\n",
        "RUN --mount=type=bind,source=requirements.txt,target=/tmp/r.txt"
        " pip install -r /tmp/r.txt\nCOPY . .\n",
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY app.py .\n",
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n"
        "RUN pip install --no-deps -e .\n",
    ],
)
def test_instruction_order_passes(tmp_path: Path, body: str) -> None:
    outcome = grade(tmp_path, rules.instruction_order, ORDER, BASE + body)

    assert outcome.passed, outcome.message


def test_instruction_order_reads_the_stage_copied_from(tmp_path: Path) -> None:
    text = (
        "FROM python:3.11 AS deps\nCOPY requirements.txt .\n"
        "RUN pip install --prefix=/install -r requirements.txt\n"
        "FROM python:3.11\nCOPY --from=deps /install /usr/local\nCOPY . /app\n"
    )

    outcome = grade(tmp_path, rules.instruction_order, ORDER, text)

    assert outcome.passed, outcome.message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("COPY . .\nRUN pip install -r requirements.txt\n", "after line 2: `COPY . .`"),
        ("ADD . /app\nRUN pip install -r /app/requirements.txt\n", "`ADD . /app`"),
        ("COPY ./ /app/\nRUN pip install -r /app/requirements.txt\n", "whole source"),
        ("COPY * ./\nRUN pip install -r requirements.txt\n", "whole source"),
        (
            "COPY requirements.txt .\nCOPY . .\nRUN pip install -r requirements.txt\n",
            "after line 3: `COPY . .`",
        ),
        (
            "RUN pip install --upgrade pip\nCOPY . .\n"
            "RUN pip install -r requirements.txt\n",
            "Line 4",
        ),
        ("RUN pip install flask\nCOPY . .\n", "No COPY before line 2"),
        ("COPY . .\nRUN echo built\n", "No RUN in the final stage"),
        (
            "RUN --mount=type=bind,target=/src pip install -r /src/requirements.txt\n",
            "whole source",
        ),
    ],
)
def test_instruction_order_fails(tmp_path: Path, body: str, says: str) -> None:
    outcome = grade(tmp_path, rules.instruction_order, ORDER, BASE + body)

    assert not outcome.passed
    assert says in outcome.message


def test_instruction_order_params(tmp_path: Path) -> None:
    node = rules.InstructionOrderParams(manifest="package.json", install="npm ci")
    nested = rules.InstructionOrderParams(manifest="app/requirements.txt")
    named = rules.InstructionOrderParams(stage="build")
    text = "FROM node:20\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\n"
    folder = BASE + "COPY app/ /app/\nRUN pip install -r /app/requirements.txt\n"

    assert grade(tmp_path, rules.instruction_order, node, text).passed
    whole = grade(tmp_path, rules.instruction_order, nested, folder)
    assert "whole source" in whole.message
    missing = grade(tmp_path, rules.instruction_order, named, BASE)
    assert "no stage named `build`" in missing.message


@pytest.mark.parametrize(
    ("source", "manifest", "brings", "whole"),
    [
        (".", "requirements.txt", True, True),
        ("./", "requirements.txt", True, True),
        ("/requirements.txt", "requirements.txt", True, False),
        ("requirements*.txt", "requirements.txt", True, False),
        ("*.txt", "requirements.txt", True, False),
        ("*", "requirements.txt", True, True),
        ("app.py", "requirements.txt", False, False),
        ("app", "app/requirements.txt", True, True),
        ("app/*", "app/requirements.txt", True, True),
        ("app/req*.txt", "app/requirements.txt", True, False),
        ("src", "app/requirements.txt", False, False),
    ],
)
def test_brings_and_whole_source(
    source: str, manifest: str, brings: bool, whole: bool
) -> None:
    assert rules.brings(source, manifest) is brings
    assert rules.whole_source(source, manifest) is whole


@pytest.mark.parametrize(
    ("script", "install", "found"),
    [
        ("pip3 install -r r.txt", "pip install", True),
        ("python3.11 -m pip   install -r r.txt", "pip install", True),
        ("pip3.11 install x", "pip install", True),
        ("npm ci --omit=dev", r"npm (ci|install)", True),
        ("pip download x", "pip install", False),
        ("apt-get install -y python3-pip", "pip install", False),
        ("pip install (x)", "install (", True),
        ("RUN PIP  install -r r.txt", "pip install", True),
    ],
)
def test_mentions_finds_the_install_step(
    script: str, install: str, found: bool
) -> None:
    assert dockerfile.mentions(script, install) is found

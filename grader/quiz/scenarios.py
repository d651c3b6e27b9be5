"""Predict scenarios: the files and commands that decide a predict question.

A scenario is a folder `quiz/scenarios/<id>/` holding `scenario.yaml` and the files
the commands use (a Dockerfile, an app, a compose file). `scenario.yaml` lists the
commands, as a student would type them, and what to measure after the last one:

```yaml
commands:
  - docker build -t shop .
  - echo "print('v2')" >> app.py
  - docker build -t shop .
measure: rebuilt
```

The quiz shows the files and the commands with the question; the test suite runs the
commands on the engine (grader/quiz/prove.py) and compares the measurement with the
key. A scenario holds no answer: only what the student also sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from grader.dockerfile import DockerfileSyntaxError, Instruction, parse
from grader.quiz import commands
from grader.quiz.yamlfile import YamlFileError, line_of, read_yaml

Measure = Literal["output", "rebuilt", "layers", "same-output", "line-count"]

#: What each measure turns the run into, as the quiz explains it to an author.
MEASURES: dict[str, str] = {
    "output": "the last command's output (stripped), or `exit N` when it fails",
    "rebuilt": "the Dockerfile steps (1 = FROM) the last build ran again",
    "layers": "the number of layers the last build added to its base image",
    "same-output": "`same` when the last two commands printed the same, else"
    " `different`",
    "line-count": "the number of lines the last command printed",
}

#: The only images a scenario may run or build from: present offline as stand-ins.
BASE_IMAGES = ("python:3.11-slim-bookworm", "debian:bookworm-slim")

#: Docker subcommands a scenario may use, with the options the runner understands.
DOCKER_COMMANDS: dict[tuple[str, ...], frozenset[str]] = {
    ("build",): frozenset({"--tag", "--file"}),
    ("run",): frozenset(
        {
            "--rm",
            "--detach",
            "--name",
            "--volume",
            "--env",
            "--workdir",
            "--user",
            "--entrypoint",
        }
    ),
    ("rm",): frozenset({"--force", "--volumes"}),
    ("stop",): frozenset({"--time"}),
    ("start",): frozenset(),
    ("restart",): frozenset({"--time"}),
    ("exec",): frozenset({"--env", "--user", "--workdir"}),
    ("wait",): frozenset(),
    ("logs",): frozenset(),
    ("volume", "create"): frozenset(),
    ("volume", "rm"): frozenset({"--force"}),
    ("volume", "ls"): frozenset({"--quiet"}),
    ("compose", "up"): frozenset({"--detach", "--scale", "--wait"}),
    ("compose", "down"): frozenset({"--volumes"}),
    ("compose", "exec"): frozenset({"--no-TTY"}),
    ("compose", "run"): frozenset({"--rm", "--no-TTY"}),
    ("compose", "ps"): frozenset({"--quiet", "--all"}),
    ("compose", "stop"): frozenset(),
    ("compose", "start"): frozenset(),
    ("compose", "rm"): frozenset({"--force", "--stop", "--volumes"}),
}

#: Commands run on the host, in the scenario's folder (a copy).
_HOST_COMMANDS = re.compile(
    r"^(?:echo .+ >>? \S+|rm \S+|cat \S+|uname -r|sed -i \S.* \S+)$"
)
_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml")


class ScenarioError(ValueError):
    """A scenario is not well formed, or could not be run; the message says why."""


@dataclass(frozen=True)
class Scenario:
    """One scenario folder: its commands, what to measure, the files it shows."""

    id: str
    folder: Path
    commands: tuple[str, ...]
    measure: Measure
    #: The files shown with the question, relative to the folder, in order.
    show: tuple[str, ...]

    def built_dockerfile(self) -> str | None:
        """Return the Dockerfile the last `docker build` reads, if any build runs."""
        name = None
        for text in self.commands:
            if is_host_command(text):
                continue
            command = commands.parse(text)
            if command.path == ("build",):
                name = (command.values("--file") or ["Dockerfile"])[-1]
        return name

    def steps(self) -> list[Instruction]:
        """Return the instructions of the Dockerfile built last (FROM is step 1)."""
        name = self.built_dockerfile()
        if name is None:
            return []
        return parse((self.folder / name).read_text(encoding="utf-8")).instructions

    def files(self) -> list[tuple[str, str]]:
        """Return the shown files as (name, text)."""
        return [
            (name, (self.folder / name).read_text(encoding="utf-8"))
            for name in self.show
        ]


def is_host_command(text: str) -> bool:
    """Tell whether a scenario command runs on the host rather than through docker."""
    return not text.lstrip().startswith(("docker ", "docker-compose "))


def step_text(instruction: Instruction) -> str:
    """Show one Dockerfile instruction on one line, as a choice of a steps question."""
    return f"{instruction.keyword} {' '.join(instruction.arguments.split())}"


def load_scenario(folder: Path) -> Scenario:
    """Read and check `folder/scenario.yaml`; raise ScenarioError naming the problem."""
    path = folder / "scenario.yaml"
    if not path.is_file():
        raise ScenarioError(f"{path}: missing; every predict scenario needs one")
    try:
        data = read_yaml(path)
    except YamlFileError as error:
        raise ScenarioError(str(error)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: must be a mapping with `commands` and `measure`")
    where = f"{path}: line {line_of(data)}"

    raw_commands = data.get("commands")
    if not isinstance(raw_commands, list) or not raw_commands:
        raise ScenarioError(f"{where}: `commands` must be a list of command lines")
    for text in raw_commands:
        if not isinstance(text, str):
            raise ScenarioError(f"{where}: every command must be a string: {text!r}")
        check_command(text, f"{path}: command `{text}`")

    measure = data.get("measure")
    if measure not in get_args(Measure):
        raise ScenarioError(
            f"{where}: `measure` is {measure!r}; choose one of"
            f" {', '.join(get_args(Measure))}"
        )

    show = data.get("show")
    if show is None:
        show = default_shown(folder)
    if not isinstance(show, list) or not all(isinstance(name, str) for name in show):
        raise ScenarioError(f"{where}: `show` must be a list of file names")
    for name in show:
        if not (folder / name).is_file():
            raise ScenarioError(f"{where}: `show` names {name}, which is not there")

    scenario = Scenario(
        folder.name,
        folder,
        tuple(raw_commands),
        cast(Measure, measure),
        tuple(show),
    )
    check_measure(scenario, where)
    return scenario


def check_command(text: str, where: str) -> None:
    """Raise ScenarioError unless the runner can run `text`."""
    if is_host_command(text):
        if not _HOST_COMMANDS.match(text.strip()):
            raise ScenarioError(
                f"{where}: a host command must be `echo TEXT > FILE`, `echo TEXT >>"
                " FILE`, `rm FILE`, `cat FILE`, `sed -i 's/OLD/NEW/' FILE` or"
                " `uname -r`"
            )
        return
    try:
        command = commands.parse(text)
    except commands.CommandError as error:
        raise ScenarioError(f"{where}: {error}") from None
    allowed = DOCKER_COMMANDS.get(command.path)
    if allowed is None:
        known = ", ".join("docker " + " ".join(path) for path in DOCKER_COMMANDS)
        raise ScenarioError(f"{where}: the runner knows only {known}")
    unknown = sorted({name for name, _ in command.options} - allowed)
    if unknown:
        raise ScenarioError(
            f"{where}: the runner does not know the option(s) {', '.join(unknown)}"
        )
    if command.compose_options:
        raise ScenarioError(f"{where}: give compose no -f or -p; the runner sets them")
    if command.path == ("compose", "up") and not command.has("--detach"):
        raise ScenarioError(f"{where}: run `docker compose up -d`, detached")
    if command.path == ("run",) and not command.arguments:
        raise ScenarioError(f"{where}: `docker run` needs an image")


def check_measure(scenario: Scenario, where: str) -> None:
    """Raise ScenarioError when the commands cannot give what the measure needs."""
    docker_commands = [
        commands.parse(text) for text in scenario.commands if not is_host_command(text)
    ]
    builds = [command for command in docker_commands if command.path == ("build",)]
    if scenario.measure == "rebuilt" and len(builds) < 2:
        raise ScenarioError(f"{where}: `rebuilt` needs two `docker build` commands")
    if scenario.measure == "layers" and not builds:
        raise ScenarioError(f"{where}: `layers` needs a `docker build` command")
    if scenario.measure == "same-output" and len(scenario.commands) < 2:
        raise ScenarioError(f"{where}: `same-output` compares the last two commands")
    if builds:
        try:
            scenario.steps()
        except (OSError, DockerfileSyntaxError) as error:
            raise ScenarioError(
                f"{where}: the Dockerfile cannot be read: {error}"
            ) from None
    uses_compose = any(command.path[0] == "compose" for command in docker_commands)
    if uses_compose and not any(
        (scenario.folder / name).is_file() for name in _COMPOSE_FILES
    ):
        raise ScenarioError(f"{where}: compose commands need a compose.yaml")


def default_shown(folder: Path) -> list[str]:
    """Every file but scenario.yaml: the Dockerfile and compose file first."""
    names = sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name != "scenario.yaml"
    )
    first = [name for name in ("Dockerfile", *_COMPOSE_FILES) if name in names]
    return first + [name for name in names if name not in first]

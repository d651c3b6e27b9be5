"""Running a predict scenario on the engine and measuring what Docker really did.

The commands are read with the same parser as command answers and carried out
through the docker SDK (compose through the `docker compose` CLI), as the docker CLI
would carry them out, with three differences that change no outcome:

- names are made unique per run (`web` becomes `bq<run>-web`), so runs and other
  users of the engine never meet, and are shown back as written;
- every object gets brickyard's labels, containers run without a network, builds
  without one, and everything is removed afterwards, anonymous volumes included;
- `docker stop` and compose stops wait one second, not ten, before the kill that a
  process ignoring SIGTERM gets anyway.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import yaml
from docker.models.containers import Container
from docker.types import Mount

from grader.dockerfile import parse as parse_dockerfile
from grader.engine import cleanup, layers
from grader.engine.build import BuildResult, build_image_retrying
from grader.engine.client import first_line
from grader.engine.labels import RunIdentity
from grader.quiz import commands
from grader.quiz.scenarios import (
    BASE_IMAGES,
    Scenario,
    ScenarioError,
    is_host_command,
)

log = logging.getLogger(__name__)

#: Seconds a build, a foreground container or a compose command may take.
STEP_TIMEOUT = 180
_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml")
_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class StepResult:
    """One command as run: its exit status and what it printed."""

    command: str
    exit_code: int = 0
    output: str = ""
    error: str = ""

    def describe(self) -> str:
        text = f"$ {self.command}  -> exit {self.exit_code}"
        shown = (self.output or self.error).strip()
        if shown:
            text += "\n" + "\n".join("    " + line for line in shown.splitlines()[-8:])
        return text


@dataclass
class Measured:
    """What a scenario measured, and the transcript that shows how."""

    value: str | int | frozenset[int]
    transcript: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    #: The volumes and built images the run used, all removed by the time it ends.
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return "\n".join(step.describe() for step in self.transcript)


def prove(
    scenario: Scenario,
    client: docker.DockerClient,
    identity: RunIdentity | None = None,
) -> Measured:
    """Run `scenario` in a scratch copy of its folder; measure; remove everything."""
    identity = identity or RunIdentity()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"brickyard-quiz-{scenario.id}-") as temp:
        workdir = Path(temp) / scenario.id
        copy_folder(scenario.folder, workdir)
        run = ScenarioRun(scenario, client, identity, workdir)
        try:
            for text in scenario.commands:
                run.results.append(run.step(text))
            value = run.measure()
        finally:
            run.clean_up()
    return Measured(
        value,
        run.results,
        time.monotonic() - started,
        sorted(run.volumes_seen),
        [build.result.image_id for build in run.builds if build.result.image_id],
    )


def copy_folder(source: Path, target: Path) -> None:
    """Copy the scenario's files, without scenario.yaml (the commands do not see it)."""
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
        elif path.name != "scenario.yaml":
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_bytes(path.read_bytes())


@dataclass
class Build:
    """One `docker build` of the scenario."""

    result: BuildResult
    dockerfile: Path


class ScenarioRun:
    """The state of one run: the names given, the objects created, the builds."""

    def __init__(
        self,
        scenario: Scenario,
        client: docker.DockerClient,
        identity: RunIdentity,
        workdir: Path,
    ) -> None:
        self.scenario = scenario
        self.client = client
        self.identity = identity
        self.workdir = workdir
        self.labels = identity.labels(f"quiz-{scenario.id}")
        self.prefix = f"bq{identity.run_id[:8]}-"
        self.project = f"{self.prefix}{scenario.id}".lower()
        self.container_names: dict[str, str] = {}
        self.volume_names: dict[str, str] = {}
        self.image_tags: dict[str, str] = {}
        self.containers: list[Container] = []
        self.volumes_seen: set[str] = set()
        self.builds: list[Build] = []
        #: Builds that lost a cached layer to another run and were made again.
        self.failed_attempts: list[BuildResult] = []
        self.results: list[StepResult] = []
        self.compose_used = False

    # Running commands

    def step(self, text: str) -> StepResult:
        """Run one command; an engine's refusal is its exit status, as in a shell."""
        log.debug("scenario %s: %s", self.scenario.id, text)
        if is_host_command(text):
            return self.host(text)
        command = commands.parse(text)
        handler = getattr(self, "docker_" + "_".join(command.path).replace("-", "_"))
        try:
            result: StepResult = handler(text, command)
        except docker.errors.APIError as error:
            return StepResult(text, 1, error=str(error.explanation or error))
        return result

    def host(self, text: str) -> StepResult:
        words = shlex.split(text)
        if words[0] == "uname":
            return StepResult(text, 0, os.uname().release + "\n")
        if words[0] == "echo":
            redirect = words[-2]
            path = self.inside(words[-1])
            content = " ".join(words[1:-2]) + "\n"
            mode = "a" if redirect == ">>" else "w"
            with path.open(mode, encoding="utf-8") as stream:
                stream.write(content)
            return StepResult(text)
        if words[0] == "rm":
            path = self.inside(words[1])
            if not path.exists():
                return StepResult(text, 1, error=f"rm: cannot remove '{words[1]}'")
            path.unlink()
            return StepResult(text)
        if words[0] == "cat":
            path = self.inside(words[1])
            if not path.is_file():
                return StepResult(text, 1, error=f"cat: {words[1]}: No such file")
            return StepResult(text, 0, path.read_text(encoding="utf-8"))
        if words[0] == "sed":
            return self.sed(text, words)
        raise ScenarioError(f"{self.scenario.id}: cannot run `{text}`")

    def sed(self, text: str, words: list[str]) -> StepResult:
        """`sed -i 's/OLD/NEW/[g]' FILE`, with OLD taken literally."""
        expression, name = words[2], words[3]
        match = re.fullmatch(r"s/((?:[^/\\]|\\.)*)/((?:[^/\\]|\\.)*)/(g?)", expression)
        if match is None:
            raise ScenarioError(f"{self.scenario.id}: `{text}`: use s/OLD/NEW/")
        old, new, every = match[1], match[2], bool(match[3])
        path = self.inside(name)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        edited = [line.replace(old, new, -1 if every else 1) for line in lines]
        path.write_text("".join(edited), encoding="utf-8")
        return StepResult(text)

    def inside(self, name: str) -> Path:
        """Resolve a path of the scenario; refuse one outside its folder."""
        for prefix in ("$PWD/", "$(pwd)/", "${PWD}/"):
            if name.startswith(prefix):
                name = name[len(prefix) :]
        path = (self.workdir / name).resolve()
        if not path.is_relative_to(self.workdir.resolve()):
            raise ScenarioError(
                f"{self.scenario.id}: {name} is outside the scenario's folder"
            )
        return path

    def docker_build(self, text: str, command: commands.Command) -> StepResult:
        context = self.inside(command.arguments[0] if command.arguments else ".")
        dockerfile = (command.values("--file") or ["Dockerfile"])[-1]
        tags = command.values("--tag")
        shown = tags[-1] if tags else f"build{len(self.builds) + 1}"
        real = self.image_tag(shown)
        result = build_image_retrying(
            self.client,
            context,
            dockerfile,
            real,
            self.labels,
            timeout=STEP_TIMEOUT,
            network_mode="none",
            on_failed_attempt=self.failed_attempts.append,
        )
        self.builds.append(Build(result, context / dockerfile))
        if not result.ok:
            return StepResult(text, 1, error=f"{result.error}\n{result.log_tail()}")
        return StepResult(text, 0, "\n".join(result.log_lines))

    def image_tag(self, shown: str) -> str:
        """Map an image name the scenario builds to one unique to this run."""
        name = shown if ":" in shown else f"{shown}:latest"
        if name not in self.image_tags:
            safe = re.sub(r"[^a-z0-9]+", "-", name.split(":")[0].lower()).strip("-")
            self.image_tags[name] = (
                f"brickyard-quiz-{self.scenario.id}-{safe}:{self.identity.run_id}"
            )
        return self.image_tags[name]

    def resolve_image(self, shown: str) -> str:
        name = shown if ":" in shown else f"{shown}:latest"
        if name in self.image_tags:
            return self.image_tags[name]
        if shown in BASE_IMAGES:
            return shown
        raise ScenarioError(
            f"{self.scenario.id}: `{shown}` is neither built by the scenario nor one"
            f" of {', '.join(BASE_IMAGES)}"
        )

    def docker_run(self, text: str, command: commands.Command) -> StepResult:
        image = self.resolve_image(command.arguments[0])
        argv = list(command.arguments[1:]) or None
        mounts = [self.mount(spec) for spec in command.values("--volume")]
        environment = {}
        for item in command.values("--env"):
            name, equals, value = item.partition("=")
            environment[name] = value if equals else os.environ.get(name, "")
        options: dict[str, Any] = {}
        if names := command.values("--name"):
            options["name"] = self.prefix + names[-1]
            self.container_names[names[-1]] = options["name"]
        if workdir := command.values("--workdir"):
            options["working_dir"] = workdir[-1]
        if user := command.values("--user"):
            options["user"] = user[-1]
        if entrypoint := command.values("--entrypoint"):
            options["entrypoint"] = entrypoint[-1]
        container = self.client.containers.create(
            image,
            argv,
            labels=self.labels,
            mounts=mounts,
            environment=environment,
            network_mode="none",
            **options,
        )
        self.containers.append(container)
        container.start()
        self.note_volumes(container)
        if command.has("--detach"):
            return StepResult(text, 0, f"{container.id}\n")
        status = container.wait(timeout=STEP_TIMEOUT)
        output = container.logs(stdout=True, stderr=False).decode(errors="replace")
        error = container.logs(stdout=False, stderr=True).decode(errors="replace")
        if command.has("--rm"):
            # `--rm` removes the container and its anonymous volumes when it exits.
            container.remove(v=True)
        return StepResult(text, int(status.get("StatusCode", 1)), output, error)

    def mount(self, spec: str) -> Mount:
        """Turn a `-v` spec into a mount: anonymous, named or bind, as the CLI does."""
        parts = spec.split(":")
        read_only = len(parts) == 3 and parts[2] == "ro"
        if len(parts) == 1:
            return Mount(parts[0], None, type="volume", labels=self.labels)
        source, target = parts[0], parts[1]
        if source.startswith((".", "/", "$", "~")):
            path = self.inside(source)
            # `-v` creates a missing host folder, unlike `--mount`.
            path.mkdir(parents=True, exist_ok=True)
            return Mount(target, str(path), type="bind", read_only=read_only)
        return Mount(target, self.volume(source), type="volume", read_only=read_only)

    def volume(self, shown: str) -> str:
        """Return the real name of the named volume `shown`, creating it labelled."""
        if shown not in self.volume_names:
            real = self.prefix + shown
            self.client.volumes.create(real, labels=self.labels)
            self.volume_names[shown] = real
            self.volumes_seen.add(real)
        return self.volume_names[shown]

    def note_volumes(self, container: Container) -> None:
        """Remember every volume a container uses, so anonymous ones are removed too."""
        container.reload()
        for mount in container.attrs.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                self.volumes_seen.add(mount["Name"])

    def container(self, shown: str) -> Container:
        real = self.container_names.get(shown, self.prefix + shown)
        return self.client.containers.get(real)

    def docker_rm(self, text: str, command: commands.Command) -> StepResult:
        output = []
        for name in command.arguments:
            self.container(name).remove(
                force=command.has("--force"), v=command.has("--volumes")
            )
            output.append(name)
        return StepResult(text, 0, "\n".join(output) + "\n")

    def docker_stop(self, text: str, command: commands.Command) -> StepResult:
        for name in command.arguments:
            self.container(name).stop(timeout=1)
        return StepResult(text, 0, "\n".join(command.arguments) + "\n")

    def docker_restart(self, text: str, command: commands.Command) -> StepResult:
        for name in command.arguments:
            self.container(name).restart(timeout=1)
        return StepResult(text, 0, "\n".join(command.arguments) + "\n")

    def docker_start(self, text: str, command: commands.Command) -> StepResult:
        for name in command.arguments:
            container = self.container(name)
            container.start()
            self.note_volumes(container)
        return StepResult(text, 0, "\n".join(command.arguments) + "\n")

    def docker_exec(self, text: str, command: commands.Command) -> StepResult:
        container = self.container(command.arguments[0])
        environment = [item for item in command.values("--env")]
        workdir = command.values("--workdir")
        code, streams = container.exec_run(
            list(command.arguments[1:]),
            demux=True,
            environment=environment or None,
            user=(command.values("--user") or [""])[-1],
            workdir=workdir[-1] if workdir else None,
        )
        # With demux, the output is a pair: what went to stdout, what to stderr.
        output, error = streams if isinstance(streams, tuple) else (streams, None)
        return StepResult(
            text,
            int(code if code is not None else 1),
            decode(output),
            decode(error),
        )

    def docker_wait(self, text: str, command: commands.Command) -> StepResult:
        codes = [
            str(self.container(name).wait(timeout=STEP_TIMEOUT).get("StatusCode"))
            for name in command.arguments
        ]
        return StepResult(text, 0, "\n".join(codes) + "\n")

    def docker_logs(self, text: str, command: commands.Command) -> StepResult:
        container = self.container(command.arguments[0])
        output = container.logs(stdout=True, stderr=False).decode(errors="replace")
        return StepResult(text, 0, output)

    def docker_volume_create(self, text: str, command: commands.Command) -> StepResult:
        for name in command.arguments:
            self.volume(name)
        return StepResult(text, 0, "\n".join(command.arguments) + "\n")

    def docker_volume_rm(self, text: str, command: commands.Command) -> StepResult:
        for name in command.arguments:
            real = self.volume_names.get(name, self.compose_volume(name))
            self.client.volumes.get(real).remove(force=command.has("--force"))
        return StepResult(text, 0, "\n".join(command.arguments) + "\n")

    def docker_volume_ls(self, text: str, command: commands.Command) -> StepResult:
        """List the volumes this run made that still exist, under the names shown."""
        names = []
        for volume in self.run_volumes():
            names.append(self.shown_volume(volume.name))
        return StepResult(text, 0, "".join(f"{name}\n" for name in sorted(names)))

    def run_volumes(self) -> list[Any]:
        found = {}
        for volume in self.client.volumes.list(
            filters={"label": f"com.docker.compose.project={self.project}"}
        ):
            found[volume.name] = volume
        for name in self.volumes_seen:
            try:
                found[name] = self.client.volumes.get(name)
            except docker.errors.NotFound:
                continue
        return list(found.values())

    def compose_volume(self, shown: str) -> str:
        project = self.scenario.id.lower()
        if shown.startswith(project + "_"):
            return self.project + shown[len(project) :]
        return shown

    def shown_volume(self, real: str) -> str:
        for shown, name in self.volume_names.items():
            if name == real:
                return shown
        if real.startswith(self.project + "_"):
            return self.scenario.id.lower() + real[len(self.project) :]
        if _ANONYMOUS.match(real):
            return "(an anonymous volume)"
        return real

    # Compose

    def compose_words(self) -> list[str]:
        """`docker compose` with this run's project name and the labelling override."""
        source = next(
            (name for name in _COMPOSE_FILES if (self.workdir / name).is_file()), None
        )
        if source is None:
            raise ScenarioError(f"{self.scenario.id}: no compose.yaml")
        override = self.workdir.parent / "brickyard-labels.yaml"
        if not override.exists():
            override.write_text(self.compose_override(self.workdir / source))
        self.compose_used = True
        return [
            "docker",
            "compose",
            "--project-name",
            self.project,
            "--project-directory",
            str(self.workdir),
            "--file",
            str(self.workdir / source),
            "--file",
            str(override),
        ]

    def compose_override(self, source: Path) -> str:
        """Labels on every service, volume and network; a short stop grace period."""
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        override: dict[str, Any] = {
            "services": {
                name: {"labels": self.labels, "stop_grace_period": "1s"}
                for name in data.get("services") or {}
            },
            "networks": {"default": {"labels": self.labels, "internal": True}},
        }
        for name, network in (data.get("networks") or {}).items():
            if not (network or {}).get("external"):
                override["networks"][name] = {"labels": self.labels}
        volumes = {
            name: {"labels": self.labels}
            for name, volume in (data.get("volumes") or {}).items()
            if not (volume or {}).get("external")
        }
        if volumes:
            override["volumes"] = volumes
        return yaml.safe_dump(override)

    def compose(self, text: str, command: commands.Command) -> StepResult:
        words = commands.split_words(text)
        index = words.index("compose") if "compose" in words else 0
        argv = self.compose_words() + words[index + 1 :]
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return StepResult(text, 124, error="timed out")
        for container in self.client.containers.list(
            all=True, filters={"label": f"com.docker.compose.project={self.project}"}
        ):
            self.note_volumes(container)
        output = done.stdout.replace(self.project, self.scenario.id.lower())
        return StepResult(text, done.returncode, output, done.stderr)

    docker_compose_up = compose
    docker_compose_down = compose
    docker_compose_exec = compose
    docker_compose_run = compose
    docker_compose_ps = compose
    docker_compose_stop = compose
    docker_compose_start = compose
    docker_compose_rm = compose

    # Measuring

    def measure(self) -> str | int | frozenset[int]:
        """Turn the run into the value the scenario's `measure` names."""
        last = self.results[-1]
        measure = self.scenario.measure
        if measure == "output":
            return (
                last.output.strip() if last.exit_code == 0 else f"exit {last.exit_code}"
            )
        if measure == "line-count":
            if last.exit_code != 0:
                raise ScenarioError(f"{self.scenario.id}: {last.describe()}")
            return len([line for line in last.output.splitlines() if line.strip()])
        if measure == "same-output":
            before = self.results[-2]
            same = (before.exit_code, before.output.strip()) == (
                last.exit_code,
                last.output.strip(),
            )
            return "same" if same else "different"
        builds = [build for build in self.builds if build.result.ok]
        if len(builds) != len(self.builds):
            failed = next(build for build in self.builds if not build.result.ok)
            raise ScenarioError(
                f"{self.scenario.id}: a build failed: {failed.result.error}\n"
                f"{failed.result.log_tail()}"
            )
        if measure == "layers":
            return self.added_layers(builds[-1])
        return self.rebuilt_steps(builds[-2], builds[-1])

    def base_of(self, build: Build) -> str:
        stage = parse_dockerfile(
            build.dockerfile.read_text(encoding="utf-8")
        ).final_stage()
        if stage is None or stage.base not in BASE_IMAGES:
            raise ScenarioError(
                f"{self.scenario.id}: the last stage must start FROM one of"
                f" {', '.join(BASE_IMAGES)}"
            )
        return stage.base

    def added_layers(self, build: Build) -> int:
        """Count the layers the build added on top of its base image."""
        image = self.client.images.get(build.result.image_id or "")
        base = self.client.images.get(self.base_of(build))
        return len(image.attrs["RootFS"]["Layers"]) - len(
            base.attrs["RootFS"]["Layers"]
        )

    def rebuilt_steps(self, before: Build, after: Build) -> frozenset[int]:
        """Decide which steps the second build ran again, from its layer digests.

        Steps are numbered as the build numbers them, FROM being 1. The legacy
        builder also says `Using cache` per reused step: the two must agree.
        """
        base = self.base_of(after)
        skip = len(self.client.api.history(base))
        images = [
            self.client.images.get(build.result.image_id or "")
            for build in (before, after)
        ]
        digests = [image.attrs["RootFS"].get("Layers") or [] for image in images]
        steps = [
            layers.steps_of(self.client.api.history(image.id), len(found))
            for image, found in zip(images, digests, strict=True)
        ]
        verdicts = layers.compare(steps[0], steps[1], digests[0], digests[1], skip=skip)
        stage = parse_dockerfile(
            after.dockerfile.read_text(encoding="utf-8")
        ).final_stage()
        assert stage is not None
        count = len(stage.instructions) - 1
        # The build's labels are one more step after the Dockerfile's own.
        extra = verdicts[count:]
        if len(verdicts) < count or any(
            not verdict.instruction.startswith("LABEL") for verdict in extra
        ):
            raise ScenarioError(
                f"{self.scenario.id}: the image history has {len(verdicts)} steps"
                f" after the base, the Dockerfile {count}"
            )
        rebuilt = frozenset(
            index + 2
            for index, verdict in enumerate(verdicts[:count])
            if not verdict.reused
        )
        logged = after.result.steps
        if logged:
            said = frozenset(
                step.number
                for step in logged
                if 2 <= step.number <= count + 1 and not step.cached
            )
            if said != rebuilt:
                raise ScenarioError(
                    f"{self.scenario.id}: the layer digests say steps"
                    f" {sorted(rebuilt)} ran again, the build log says {sorted(said)}"
                )
        return rebuilt

    # Cleaning up

    def clean_up(self) -> None:
        """Remove every container, volume, network and image this run created."""
        if self.compose_used:
            try:
                subprocess.run(
                    [*self.compose_words(), "down", "--volumes", "--remove-orphans"],
                    capture_output=True,
                    timeout=STEP_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                log.warning("compose down failed: %s", first_line(error))
        project: cleanup.Filters = {
            "label": f"com.docker.compose.project={self.project}"
        }
        for container in self.client.containers.list(all=True, filters=project):
            self.note_volumes(container)
            cleanup.attempt(container.remove, force=True, v=True)
        for container in self.containers:
            cleanup.attempt(container.remove, force=True, v=True)
        for volume in self.run_volumes():
            cleanup.attempt(volume.remove, force=True)
        for network in self.client.networks.list(filters=project):
            cleanup.attempt(network.remove)
        for build in reversed(self.builds):
            for tag in set(self.image_tags.values()):
                cleanup.attempt(self.client.images.remove, tag, force=True)
            ids = [build.result.image_id] if build.result.image_id else []
            cleanup.remove_untagged_images(
                self.client, ids + build.result.intermediate_ids()
            )
        for failed in self.failed_attempts:
            cleanup.remove_untagged_images(self.client, failed.intermediate_ids())
        cleanup.remove_run_objects(self.client, self.identity.run_id)


def decode(data: object) -> str:
    """Text of a stream the SDK returned as bytes, or nothing."""
    return data.decode(errors="replace") if isinstance(data, bytes) else ""

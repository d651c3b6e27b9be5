"""Compose stacks for grading: checked, labelled, limited, probed and removed.

A student's compose file runs through the `docker compose` command-line plugin with a
second file that brickyard writes beside it (an override): it labels every service,
image, volume and network with the run's labels, caps each service's memory, CPU and
process count, makes every network internal unless the exercise allows egress (the
host reaches a service at its address on the network, not by a host port), publishes
ports on 127.0.0.1 only and on ports the engine picks, and takes away the global names
(`container_name`, a volume's `name`) that would collide with another run. Before
anything runs, `refusals()` reads the normalized model from `docker compose config`,
and `file_refusals()` the files the student's file makes Compose read, and refuse
what would reach outside the exercise: privileged services, the host's namespaces,
the Docker socket, bind mounts and files outside the folder, sysctls.

A service's `build:` is built by the grader's own builder, as a single image is
(context guards, memory limit, the build's own cgroup, time limit, no network), into
a run-scoped tag that the override names; Compose then runs with `--no-build`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import docker
import docker.errors
import requests.exceptions
import yaml
from docker.models.containers import Container

from grader.checks.registry import Unavailable
from grader.engine import cleanup, labels
from grader.engine.build import BuildResult, build_image_retrying
from grader.engine.client import first_line
from grader.engine.containers import Limits

log = logging.getLogger(__name__)

#: The image the connectivity probe runs: present wherever the exercises can run.
PROBE_IMAGE = "python:3.11-slim-bookworm"
#: Carried by every object of one stack, valued with the Compose project name.
STACK_LABEL = f"{labels.PREFIX}.stack"
#: Labels Compose itself puts on the containers, volumes and networks it creates.
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
#: The file names Compose looks for, in its own order of preference.
DEFAULT_FILES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
#: More replicas than this is refused: a stack for learning needs a handful at most.
MAX_REPLICAS = 10
#: Environment variables that would make Compose read other files or profiles than
#: the grader names; they are dropped so a student's shell cannot change the grade.
_FOREIGN_SETTINGS = (
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PROFILES",
    "COMPOSE_ENV_FILES",
    "COMPOSE_PATH_SEPARATOR",
)
_PROJECT_NAME = re.compile(r"[^a-z0-9_-]+")
#: Compose's notices about its own build tooling: nothing a student can act on.
_NOISE = re.compile(r"level=warning msg=.*(Bake|buildx|buildkit|compose builder)")
#: The drivers a stack's volumes and networks may use: the engine's local ones.
_PLAIN_DRIVERS = {"volumes": ("local",), "networks": ("bridge",)}
#: Build settings only BuildKit has; the grader builds with the classic builder.
_BUILDKIT_ONLY = ("additional_contexts", "secrets", "ssh", "cache_to", "platforms")


@dataclass
class CommandResult:
    """One run of a `docker compose` command: what it printed and how it ended."""

    command: list[str]
    #: None when the command was stopped at its deadline.
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    #: The project name, left out of what is shown: `web-1`, not `brickyard-...-web-1`.
    project: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def shown(self) -> str:
        """The command as a student would type it, without the grader's own files."""
        shown: list[str] = []
        skip = False
        for word in self.command:
            if skip:
                skip = False
                continue
            if word in ("-f", "--project-directory", "-p"):
                skip = True
                continue
            shown.append(word)
        return " ".join(shown)

    def outcome(self) -> str:
        """How the command ended, in a few words."""
        if self.timed_out:
            return f"was stopped after {self.seconds:.0f} s"
        return f"exited with code {self.returncode}"

    def error_line(self) -> str:
        """The last line Compose wrote to stderr: where it says what went wrong."""
        lines = self.lines(self.stderr)
        return lines[-1].strip() if lines else ""

    def output_tail(self, lines: int = 15) -> str:
        """The last lines of everything the command wrote."""
        return "\n".join(self.lines(self.stdout + "\n" + self.stderr)[-lines:])

    def lines(self, text: str) -> list[str]:
        """The lines of `text` worth showing, with the project name left out."""
        if self.project:
            text = text.replace(f"{self.project}-", "").replace(f"{self.project}_", "")
        return [
            line.rstrip()
            for line in text.splitlines()
            if line.strip() and not _NOISE.search(line)
        ]


def compose_environment() -> dict[str, str]:
    """The environment every `docker compose` command runs with."""
    environment = {
        key: value for key, value in os.environ.items() if key not in _FOREIGN_SETTINGS
    }
    environment.setdefault("COMPOSE_ANSI", "never")
    environment.setdefault("COMPOSE_PROGRESS", "plain")
    return environment


def run_command(command: list[str], timeout: float) -> CommandResult:
    """Run `command`, stopping it at `timeout` s; never raise for its exit status."""
    log.debug("running %s", " ".join(command))
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=compose_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return CommandResult(
            command,
            None,
            as_text(expired.stdout),
            as_text(expired.stderr),
            time.monotonic() - started,
        )
    except FileNotFoundError as error:
        raise Unavailable(
            "the `docker` command is not installed, so Compose cannot run: install"
            " Docker (or run scripts/provision-engine on Debian)",
            {"error": first_line(error)},
        ) from error
    return CommandResult(
        command, done.returncode, done.stdout, done.stderr, time.monotonic() - started
    )


def as_text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


@dataclass(frozen=True)
class Project:
    """A compose file under a project name: the arguments every command starts with."""

    name: str
    folder: Path
    file: Path
    #: The grader's override, laid over the student's file once it is written.
    override: Path | None = None

    def command(self, *arguments: str) -> list[str]:
        files = ["-f", str(self.file)]
        if self.override is not None:
            files += ["-f", str(self.override)]
        return [
            "docker",
            "compose",
            "-p",
            self.name,
            *files,
            "--project-directory",
            str(self.folder),
            *arguments,
        ]

    def run(self, *arguments: str, timeout: float) -> CommandResult:
        result = run_command(self.command(*arguments), timeout)
        result.project = self.name
        return result


def project_name(exercise_id: str, run_id: str) -> str:
    """Return a Compose project name unique to one exercise in one run."""
    name = _PROJECT_NAME.sub("-", f"brickyard-{exercise_id}-{run_id}".lower())
    return name.strip("-_")


def find_compose_file(folder: Path, name: str) -> Path:
    """Return the compose file the exercise names, or one Compose itself would find.

    A student who saves `docker-compose.yml` where the exercise says `compose.yaml`
    wrote a compose file all the same; Compose accepts all four names.
    """
    named = folder / name
    if named.is_file():
        return named
    if name in DEFAULT_FILES:
        for other in DEFAULT_FILES:
            if (folder / other).is_file():
                return folder / other
    raise Unavailable(
        f"there is no {name} in {folder.name}/: write your compose file there"
    )


def load_config(project: Project, timeout: float = 60) -> dict[str, Any]:
    """Return the normalized model of the compose file (`docker compose config`)."""
    result = project.run("config", "--format", "json", timeout=timeout)
    if not result.ok:
        if "is not a docker command" in result.stderr or "unknown command" in (
            result.stderr
        ):
            raise Unavailable(
                "Compose v2 is not installed as a docker plugin: install Docker"
                " Desktop, or run scripts/provision-engine on Debian",
                {"docker said": result.output_tail(3)},
            )
        reason = result.error_line() or result.outcome()
        raise Unavailable(
            f"the compose file is not valid: {reason}",
            {"command": result.shown(), "compose said": result.output_tail()},
        )
    try:
        config: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise Unavailable(
            f"`docker compose config` printed no model: {first_line(error)}",
            {"output": result.output_tail()},
        ) from error
    config.setdefault("services", {})
    return config


def services_of(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = config.get("services") or {}
    return services


# Refusals: what a compose file may not do on the grading machine.


class Refusal(str):
    """Why a compose file is refused, with the place in the file it is about.

    `where` is the path to the refused entry itself, key by key, with a list
    position (or a `KEY=value` entry's key) where the file has a list, so that the
    line shown is that of the entry and not of the section holding it.
    """

    where: tuple[str | int, ...]

    def __new__(cls, text: str, *where: str | int) -> Refusal:
        refusal = super().__new__(cls, text)
        refusal.where = where
        return refusal


def refusals(config: dict[str, Any], folder: Path) -> list[Refusal]:
    """Return why this stack must not run on the grader's engine; empty when safe.

    Each reason names the field, says why it is refused and what to do instead.
    Bind mounts and build contexts inside the exercise folder are fine.
    """
    home = folder.resolve()
    found: list[Refusal] = []
    for name, service in services_of(config).items():
        found += service_refusals(name, service, home)
    for kind in ("volumes", "networks", "secrets", "configs"):
        for name, item in (config.get(kind) or {}).items():
            where = f"{kind}.{name}"
            item = item or {}
            if item.get("external"):
                found.append(
                    Refusal(
                        f"`{where}` is external: the stack must create its own"
                        f" {kind}; remove `external: true`",
                        kind,
                        name,
                        "external",
                    )
                )
            source = item.get("file")
            if source and not inside(source, home):
                found.append(
                    Refusal(
                        f"`{where}.file` reads {source}, which is outside the exercise"
                        " folder: keep the file in the exercise folder",
                        kind,
                        name,
                        "file",
                    )
                )
            driver = item.get("driver")
            if driver and driver not in _PLAIN_DRIVERS.get(kind, (driver,)):
                found.append(
                    Refusal(
                        f"`{where}.driver` is `{driver}`: use the default driver",
                        kind,
                        name,
                        "driver",
                    )
                )
            options = item.get("driver_opts") or {}
            if kind == "volumes" and (
                "bind" in str(options.get("o", ""))
                or (options.get("device") and options.get("type") != "tmpfs")
            ):
                found.append(
                    Refusal(
                        f"`{where}.driver_opts` mounts the host path"
                        f" {options.get('device')}: use a plain named volume",
                        kind,
                        name,
                        "driver_opts",
                    )
                )
    for key in ("models",):
        if config.get(key):
            found.append(
                Refusal(f"`{key}` needs tools the grader does not run: remove it", key)
            )
    return found


def file_refusals(file: Path, folder: Path) -> list[str]:
    """Return the refusals of what the file makes Compose read besides itself.

    `env_file`, `label_file`, `extends.file` and `include` are read by Compose
    while it loads the file, and leave no trace in the normalized model, so they
    are read from the student's own YAML, and from the files it includes or
    extends inside the folder.
    """
    home = folder.resolve()
    found: list[str] = []
    seen: set[Path] = set()
    pending = [file.resolve()]
    while pending and len(seen) < 20:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            model = yaml.safe_load(current.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            # `docker compose config` reports an unreadable file in its own words.
            continue
        if not isinstance(model, dict):
            continue
        reasons: list[Refusal] = []
        for path, where in read_files(model):
            target = (current.parent / path).resolve()
            shown = ".".join(str(step) for step in where[:3])
            if "$" in path:
                reasons.append(
                    Refusal(
                        f"`{shown}` names {path}, a path made of variables: write"
                        " the path of a file in the exercise folder itself",
                        *where,
                    )
                )
            elif not inside(str(target), home):
                reasons.append(
                    Refusal(
                        f"`{shown}` reads {path}, which is outside the exercise"
                        " folder: Compose would read that file of the grading"
                        " machine; keep the file in the exercise folder",
                        *where,
                    )
                )
            elif "extends" in where or (
                where[0] == "include" and "env_file" not in where
            ):
                pending.append(target)
        found += [with_line(reason, current) for reason in reasons]
    return found


def read_files(model: dict[str, Any]) -> list[tuple[str, tuple[str | int, ...]]]:
    """Return the other files a compose model names, each with where it names it."""
    named: list[tuple[str, tuple[str | int, ...]]] = []
    includes = model.get("include") or []
    for index, entry in enumerate(includes if isinstance(includes, list) else []):
        if isinstance(entry, str):
            named.append((entry, ("include", index)))
        elif isinstance(entry, dict):
            for key in ("path", "env_file"):
                paths = entry.get(key) or []
                for position, path in enumerate(
                    [paths] if isinstance(paths, str) else paths
                ):
                    step: tuple[str | int, ...] = (
                        (key,) if isinstance(paths, str) else (key, position)
                    )
                    named.append((str(path), ("include", index, *step)))
    services = model.get("services") or {}
    for name, service in services.items() if isinstance(services, dict) else []:
        if not isinstance(service, dict):
            continue
        for key in ("env_file", "label_file"):
            value = service.get(key)
            if isinstance(value, str):
                named.append((value, ("services", name, key)))
            for index, item in enumerate(value if isinstance(value, list) else []):
                if isinstance(item, dict) and item.get("path"):
                    named.append((str(item["path"]), ("services", name, key, index)))
                elif isinstance(item, str):
                    named.append((item, ("services", name, key, index)))
        extends = service.get("extends")
        if isinstance(extends, dict) and extends.get("file"):
            named.append((str(extends["file"]), ("services", name, "extends", "file")))
    return named


def with_line(refusal: Refusal, file: Path) -> str:
    """Prefix a refusal with the line of the student's file it is about.

    The line is that of the deepest step of the refusal's path to its entry that the
    file spells out itself.
    """
    try:
        node = yaml.compose(file.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return str(refusal)
    line = line_of(node, refusal.where)
    return f"{file.name} line {line}: {refusal}" if line else str(refusal)


def line_of(node: yaml.Node | None, where: tuple[str | int, ...]) -> int | None:
    """Return the line of the deepest step of `where` found under `node`."""
    line = None
    for step in where:
        if isinstance(node, yaml.MappingNode):
            pair = next(
                (pair for pair in node.value if pair[0].value == str(step)), None
            )
            if pair is None:
                break
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode):
            if isinstance(step, int):
                node = node.value[step] if step < len(node.value) else None
            else:
                # A `KEY=value` list (sysctls, environment) names the entry by key.
                node = next(
                    (
                        item
                        for item in node.value
                        if isinstance(item, yaml.ScalarNode)
                        and str(item.value).split("=", 1)[0] == step
                    ),
                    None,
                )
            if node is None:
                break
            line = node.start_mark.line + 1
        else:
            break
    return line


#: The fields that share a namespace of the host or of another container.
_NAMESPACES = ("network_mode", "pid", "ipc", "uts", "userns_mode", "cgroup")


def service_refusals(name: str, service: dict[str, Any], home: Path) -> list[Refusal]:
    """Return the refusals of one service."""
    at = ("services", name)
    where = f"services.{name}"
    found: list[Refusal] = []
    if service.get("privileged"):
        found.append(
            Refusal(
                f"`{where}.privileged` is true: such a container controls the host;"
                " remove it (nothing in an exercise needs it)",
                *at,
                "privileged",
            )
        )
    for key in _NAMESPACES:
        value = str(service.get(key) or "")
        owner = "the host" if value == "host" else "a container outside the stack"
        if value == "host" or value.startswith("container:"):
            found.append(
                Refusal(
                    f"`{where}.{key}` is `{value}`: that shares a namespace of"
                    f" {owner} with the service; remove `{key}` so the stack keeps to"
                    " its own",
                    *at,
                    key,
                )
            )
    if str(service.get("network_mode") or "") in ("bridge", "default"):
        found.append(
            Refusal(
                f"`{where}.network_mode` is `{service['network_mode']}`: the engine's"
                " default network reaches beyond the stack; leave `network_mode` out"
                " and use the stack's own networks",
                *at,
                "network_mode",
            )
        )
    for key in ("cap_add", "devices", "device_cgroup_rules"):
        for index, value in enumerate(service.get(key) or []):
            shown = value.get("source", value) if isinstance(value, dict) else value
            found.append(
                Refusal(
                    f"`{where}.{key}` adds `{shown}`: containers get no extra"
                    f" privileges; remove the entry",
                    *at,
                    key,
                    index,
                )
            )
    if service.get("cgroup_parent"):
        found.append(
            Refusal(
                f"`{where}.cgroup_parent` is set: the grader places containers under"
                " its own limits; remove it",
                *at,
                "cgroup_parent",
            )
        )
    for index, option in enumerate(service.get("security_opt") or []):
        if "unconfined" in option or "disable" in option:
            found.append(
                Refusal(
                    f"`{where}.security_opt` turns off confinement (`{option}`):"
                    " remove the entry",
                    *at,
                    "security_opt",
                    index,
                )
            )
    for key, value in sorted((service.get("sysctls") or {}).items()):
        found.append(
            Refusal(
                f"`{where}.sysctls` sets {key}={value}: the grader runs containers"
                " with the engine's kernel settings, and no exercise needs another;"
                " remove the entry",
                *at,
                "sysctls",
                str(key),
            )
        )
    if service.get("oom_kill_disable"):
        found.append(
            Refusal(
                f"`{where}.oom_kill_disable` is true: the kernel could then not stop"
                " a container that reaches its memory limit, which would stall"
                " instead; remove it",
                *at,
                "oom_kill_disable",
            )
        )
    if service.get("use_api_socket"):
        found.append(
            Refusal(
                f"`{where}.use_api_socket` hands the Docker engine to a container:"
                " remove it",
                *at,
                "use_api_socket",
            )
        )
    if service.get("provider"):
        found.append(
            Refusal(
                f"`{where}.provider` runs a program on the grading machine: use"
                " `image:` or `build:`",
                *at,
                "provider",
            )
        )
    for key in ("post_start", "pre_stop"):
        for index, hook in enumerate(service.get(key) or []):
            if (hook or {}).get("privileged"):
                found.append(
                    Refusal(
                        f"`{where}.{key}` has a privileged lifecycle hook: remove"
                        " `privileged` from it",
                        *at,
                        key,
                        index,
                        "privileged",
                    )
                )
    for index, mount in enumerate(service.get("volumes") or []):
        found += mount_refusals(name, index, mount, home)
    for index, source in enumerate(service.get("volumes_from") or []):
        if str(source).startswith("container:"):
            found.append(
                Refusal(
                    f"`{where}.volumes_from` names `{source}`, a container outside the"
                    " stack: share a named volume between services instead",
                    *at,
                    "volumes_from",
                    index,
                )
            )
    found += build_refusals(name, service.get("build"), home)
    replicas = max(
        int(service.get("scale") or 0),
        int((service.get("deploy") or {}).get("replicas") or 0),
    )
    if replicas > MAX_REPLICAS:
        found.append(
            Refusal(
                f"`{where}` asks for {replicas} replicas; the grader runs at most"
                f" {MAX_REPLICAS}: ask for fewer",
                *at,
                "deploy" if (service.get("deploy") or {}).get("replicas") else "scale",
            )
        )
    return found


def mount_refusals(
    name: str, index: int, mount: dict[str, Any], home: Path
) -> list[Refusal]:
    """Return the refusals of one entry of a service's `volumes`."""
    at = ("services", name, "volumes", index)
    where = f"services.{name}.volumes"
    kind = mount.get("type")
    source = str(mount.get("source") or "")
    if kind == "bind":
        if source.endswith("docker.sock"):
            return [
                Refusal(
                    f"`{where}` mounts the Docker socket ({source}), which hands"
                    " the whole engine to a container: remove the entry",
                    *at,
                )
            ]
        if not inside(source, home):
            return [
                Refusal(
                    f"`{where}` mounts {source}, which is outside the exercise"
                    " folder: bind-mount files of the exercise, or use a named volume",
                    *at,
                )
            ]
    elif kind not in ("volume", "tmpfs"):
        return [
            Refusal(
                f"`{where}` uses a `{kind}` mount: use a volume or a bind mount of"
                " the exercise's files",
                *at,
            )
        ]
    return []


def build_refusals(
    name: str, build: dict[str, Any] | None, home: Path
) -> list[Refusal]:
    """Return the refusals of one service's `build`."""
    if not build:
        return []
    at = ("services", name, "build")
    where = f"services.{name}"
    found: list[Refusal] = []
    contexts: dict[str, tuple[Any, tuple[str, ...]]] = {
        "context": (build.get("context") or ".", ("context",))
    }
    contexts |= {
        f"additional_contexts.{key}": (value, ("additional_contexts", key))
        for key, value in (build.get("additional_contexts") or {}).items()
    }
    for key, (context, steps) in contexts.items():
        context = str(context)
        if "://" in context or context.startswith("git@"):
            found.append(
                Refusal(
                    f"`{where}.build.{key}` is {context}: builds use the exercise's"
                    " own files, with no network; point it at a folder of the"
                    " exercise",
                    *at,
                    *steps,
                )
            )
        elif not context.startswith(("service:", "docker-image:")) and not inside(
            context, home
        ):
            found.append(
                Refusal(
                    f"`{where}.build.{key}` is {context}, which is outside the"
                    " exercise folder: point it at a folder of the exercise",
                    *at,
                    *steps,
                )
            )
    dockerfile = build.get("dockerfile")
    context = str(build.get("context") or ".")
    remote = "://" in context
    if dockerfile and not remote and not inside(f"{context}/{dockerfile}", home):
        found.append(
            Refusal(
                f"`{where}.build.dockerfile` is {dockerfile}, which is outside the"
                " exercise folder: keep the Dockerfile in the exercise folder",
                *at,
                "dockerfile",
            )
        )
    for key in ("privileged", "entitlements", "ssh"):
        if build.get(key):
            found.append(
                Refusal(
                    f"`{where}.build.{key}` is set: builds get no extra access;"
                    " remove it",
                    *at,
                    key,
                )
            )
    return found


def inside(path: str, home: Path) -> bool:
    """Tell whether `path` (absolute, as Compose normalizes it) lies in `home`."""
    try:
        Path(path).resolve().relative_to(home)
    except ValueError:
        return False
    return True


# The override: labels, limits, local ports, run-scoped names.


class Replace(list[Any]):
    """A list that replaces the student's instead of adding to it (`!override`)."""


class Drop:
    """Removes the student's value altogether (`!reset`)."""


class _OverrideDumper(yaml.SafeDumper):
    """Writes the two Compose merge tags that plain YAML has no notation for."""


_OverrideDumper.add_representer(
    Replace, lambda dumper, value: dumper.represent_sequence("!override", list(value))
)
_OverrideDumper.add_representer(
    Drop, lambda dumper, value: dumper.represent_scalar("!reset", "")
)


def override_for(
    config: dict[str, Any],
    object_labels: dict[str, str],
    limits: Limits,
    name: str,
    egress: bool = False,
) -> dict[str, Any]:
    """Return the override laid over the student's file for project `name`.

    Without `egress`, every network of the stack is made internal: its services
    reach each other by name, and nothing beyond the machine.
    """
    services = services_of(config)
    built_images = {
        str(service["image"]): built_tag(name, service_name)
        for service_name, service in services.items()
        if service.get("build") and service.get("image")
    }
    override: dict[str, Any] = {"services": {}}
    for service_name, service in services.items():
        settings: dict[str, Any] = {"labels": dict(object_labels)}
        settings |= limit_settings(service, limits)
        if service.get("build"):
            # A run-scoped tag: a student's `image: python:3.11-slim-bookworm` next to
            # `build:` must not overwrite the base image on the grading machine.
            settings["image"] = built_tag(name, service_name)
            # The grader builds that image itself (Stack.build_service); Compose
            # must never build, so the build section is taken away.
            settings["build"] = Drop()
        elif str(service.get("image")) in built_images:
            settings["image"] = built_images[str(service["image"])]
        if not egress and not service.get("network_mode"):
            # On an internal network the engine's DNS never answers for a name it
            # does not know (Engine 20.10 drops the query), so each lookup of a
            # missing name would take the resolver's full 10 s; one try of 1 s
            # keeps a service that looks up an unreachable name from stalling.
            settings["dns_opt"] = ["timeout:1", "attempts:1"]
        if service.get("container_name"):
            settings["container_name"] = Drop()
        if service.get("ports"):
            settings["ports"] = Replace(local_port(port) for port in service["ports"])
        override["services"][service_name] = settings
    for kind in ("volumes", "networks"):
        declared = {key: value or {} for key, value in (config.get(kind) or {}).items()}
        if kind == "networks":
            declared.setdefault("default", {})
        section: dict[str, Any] = {}
        for key, item in declared.items():
            if item.get("external"):
                continue
            section[key] = {"labels": dict(object_labels)}
            if kind == "networks" and not egress:
                section[key]["internal"] = True
            # Compose names what the file does not name `<project>_<key>`; any other
            # name is global to the engine and is dropped.
            if "name" in item and item["name"] != f"{config.get('name')}_{key}":
                section[key]["name"] = Drop()
        if section:
            override[kind] = section
    return override


def built_tag(project: str, service: str) -> str:
    """The tag the grader builds a service's image into: one per run and service."""
    return f"{project}-{service}:latest"


def local_port(port: dict[str, Any]) -> dict[str, Any]:
    """Publish a port on 127.0.0.1 only, on a host port the engine picks."""
    return {
        "target": port["target"],
        "protocol": port.get("protocol") or "tcp",
        "host_ip": "127.0.0.1",
    }


def limit_settings(service: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """Cap memory, CPUs and processes, in the fields the student used.

    Compose refuses a service whose `cpus` differs from its
    `deploy.resources.limits.cpus` (and likewise for memory and pids), and counts
    an unset limit under a written `deploy.resources.limits` as 0. So a student who
    wrote `deploy.resources.limits` gets every cap there, plain fields are capped
    where the student wrote them, and a service with neither gets plain fields. A
    student's lower limit is kept.
    """
    deploy = ((service.get("deploy") or {}).get("resources") or {}).get("limits")
    settings: dict[str, Any] = {}
    deploy_limits: dict[str, Any] = {}
    caps = (
        ("mem_limit", "memory", parse_bytes(limits.memory)),
        ("cpus", "cpus", limits.cpus),
        ("pids_limit", "pids", limits.pids),
    )
    for plain, nested, cap in caps:
        written = [
            value
            for value in (service.get(plain), (deploy or {}).get(nested))
            if value is not None and float(parse_number(value)) > 0
        ]
        value = min([cap, *(parse_number(item) for item in written)])
        if deploy is not None:
            # Compose's schema wants sizes under `deploy` as text.
            deploy_limits[nested] = str(int(value)) if nested == "memory" else value
        if deploy is None or plain in service:
            settings[plain] = value
    memory = int(deploy_limits.get("memory", settings.get("mem_limit", 0)))
    # Memory plus swap equal to memory: the cap holds without swapping to disk.
    settings["memswap_limit"] = memory
    if deploy_limits:
        settings["deploy"] = {"resources": {"limits": deploy_limits}}
    return settings


def parse_number(value: object) -> float | int:
    """Read a limit as Compose normalizes it: bytes as text, CPUs as a number."""
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return parse_bytes(text)


_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_bytes(text: str) -> int:
    """Read a size in Docker's notation (`256m`, `1g`, `512mb`) as bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(float(match[1]) * _UNITS[match[2]])


def dump_override(override: dict[str, Any]) -> str:
    """Write the override as YAML, with Compose's `!override` and `!reset` tags."""
    text: str = yaml.dump(override, Dumper=_OverrideDumper, sort_keys=False)
    return text


# The running stack.


@dataclass(frozen=True)
class ServiceState:
    """One container of the stack as `docker compose ps` shows it."""

    service: str
    name: str
    container_id: str
    #: created, running, restarting, exited, paused, dead
    state: str
    #: healthy, unhealthy, starting, or empty without a health check.
    health: str = ""
    exit_code: int = 0
    status: str = ""
    #: The published ports, as `docker compose ps` shows them.
    ports: str = ""

    @property
    def label(self) -> str:
        """The service, and which replica when there are several: `web #2`."""
        number = replica_number(self.name)
        return self.service if number <= 1 else f"{self.service} #{number}"

    def describe(self) -> str:
        """The container's state in words: `exited with code 1`, `unhealthy`."""
        if self.state == "exited":
            return f"exited with code {self.exit_code}"
        if self.state == "created":
            return "was created but never started"
        if self.state == "running" and self.health in ("unhealthy", "starting"):
            return (
                "is unhealthy" if self.health == "unhealthy" else "is not healthy yet"
            )
        return f"is {self.state}"


def parse_ps(text: str) -> list[ServiceState]:
    """Read `docker compose ps --format json`: one object per line, or one array."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    states = [
        ServiceState(
            service=str(row.get("Service", "")),
            name=str(row.get("Name", "")),
            container_id=str(row.get("ID", "")),
            state=str(row.get("State", "")).lower(),
            health=str(row.get("Health", "")).lower(),
            exit_code=int(row.get("ExitCode") or 0),
            status=str(row.get("Status", "")),
            ports=str(row.get("Ports", "")),
        )
        for row in rows
    ]
    return sorted(states, key=lambda state: (state.service, replica_number(state.name)))


def replica_number(container_name: str) -> int:
    """The replica number Compose appends to a container's name (`app-web-2`: 2)."""
    tail = container_name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@dataclass(frozen=True)
class StackEvent:
    """A container event of the stack, as the engine reported it."""

    service: str
    container_id: str
    #: `create`, `start`, `die`, `health_status: healthy`, ...
    action: str
    #: Nanoseconds since the epoch, the engine's own clock.
    time_ns: int


def parse_event(line: str) -> StackEvent | None:
    """Read one line of `docker events --format '{{json .}}'`; None if not one."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict):
        return None
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    action = str(event.get("Action") or event.get("status") or "")
    time_ns = int(event.get("timeNano") or int(event.get("time") or 0) * 10**9)
    return StackEvent(
        str(attributes.get(SERVICE_LABEL, "")),
        str(actor.get("ID") or event.get("id") or ""),
        action.strip(),
        time_ns,
    )


class EventRecorder:
    """Records the stack's container events while a command runs.

    `docker events` runs as a subprocess, so it can be stopped at once when the
    command is done; the SDK's event stream blocks its reader past a close.
    """

    def __init__(self, project: str, longest: float) -> None:
        self.project = project
        #: Seconds after which `docker events` ends by itself, should the grader be
        #: killed before it can stop the subprocess.
        self.longest = longest
        self.events: list[StackEvent] = []
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> EventRecorder:
        now = time.time()
        try:
            self._process = subprocess.Popen(
                [
                    "docker",
                    "events",
                    "--since",
                    f"{now - 1:.3f}",
                    "--until",
                    f"{now + self.longest:.0f}",
                    "--format",
                    "{{json .}}",
                    "--filter",
                    "type=container",
                    "--filter",
                    f"label={PROJECT_LABEL}={self.project}",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=compose_environment(),
            )
        except OSError as error:
            log.debug("docker events could not start: %s", error)
            return self
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            event = parse_event(line)
            if event is not None:
                self.events.append(event)

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        # The last events of the command may still be in flight to the subprocess.
        time.sleep(0.3)
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()


class Stack:
    """One student's compose stack on the engine, under a run-scoped project name."""

    def __init__(
        self,
        client: docker.DockerClient,
        project: Project,
        config: dict[str, Any],
        object_labels: dict[str, str],
        limits: Limits,
        on_step_image: Callable[[str], None] | None = None,
        on_line: Callable[[str], None] | None = None,
        egress: bool = False,
    ) -> None:
        self.client = client
        #: Whether the stack's networks may reach beyond the machine.
        self.egress = egress
        #: Told of every step image a build makes (the run's ledger), and of every
        #: line of build output (progress).
        self.on_step_image = on_step_image
        self.on_line = on_line
        #: The builds of the services' images, in the order they ran.
        self.builds: list[BuildResult] = []
        self.config = config
        self.labels = {**object_labels, STACK_LABEL: project.name}
        self.limits = limits
        self._scratch = Path(tempfile.mkdtemp(prefix="brickyard-compose-"))
        self.project = Project(
            project.name,
            project.folder,
            project.file,
            self._scratch / "brickyard-override.yaml",
        )
        #: The first `up` of the stack, which the checks of a running stack grade.
        self.first_up: CommandResult | None = None
        #: The container events recorded during the first `up`.
        self.first_events: list[StackEvent] = []
        self._volumes: set[str] = set()

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        return services_of(self.config)

    def start(self, build_timeout: float, up_timeout: float) -> None:
        """Build the stack's images and bring it up, recording its events.

        Raises Unavailable when the images do not build or no container could be
        created; a stack whose containers exit or stay unhealthy is left for the
        checks to describe.
        """
        override = override_for(
            self.config, self.labels, self.limits, self.name, self.egress
        )
        assert self.project.override is not None
        self.project.override.write_text(dump_override(override), encoding="utf-8")

        for service_name, service in self.services.items():
            if service.get("build"):
                self.build_service(service_name, service["build"], build_timeout)

        with EventRecorder(self.name, up_timeout + 120) as recorder:
            self.first_up = self.up(timeout=up_timeout)
        self.first_events = list(recorder.events)
        if not self.first_up.ok and not self.ps():
            reason = self.first_up.error_line() or self.first_up.outcome()
            if "No such image" in reason:
                reason += (
                    " (the grader never pulls images: use an image that `docker"
                    " images` lists, or build one with `build:`)"
                )
            raise Unavailable(
                f"the stack could not be created: {reason}",
                {
                    "command": self.first_up.shown(),
                    "exit": self.first_up.outcome(),
                    "compose said": self.first_up.output_tail(),
                },
            )

    def build_service(
        self, service: str, build: dict[str, Any], timeout: float
    ) -> BuildResult:
        """Build the image of `service` with the grader's own limited builder.

        Compose's builder takes no memory, process or time limit and no parent
        cgroup, and reads the context unchecked; the grader's builder guards the
        context and builds under all of those, with no network, into the tag the
        override gives the service (`up --no-build` then runs it). Raises
        Unavailable when the image does not build.
        """
        unsupported = sorted(key for key in _BUILDKIT_ONLY if build.get(key))
        if unsupported:
            raise Unavailable(
                f"`services.{service}.build` uses {', '.join(unsupported)}, which the"
                " grader's builder (the classic `docker build`) does not offer:"
                " build from a context folder and a Dockerfile only",
                {"build": json.dumps(build, indent=1)[:600]},
            )
        context = Path(str(build.get("context") or self.project.folder))
        dockerfile = str(build.get("dockerfile") or "Dockerfile")
        if build.get("dockerfile_inline"):
            written = self._scratch / f"{service}.Dockerfile"
            written.write_text(str(build["dockerfile_inline"]), encoding="utf-8")
            dockerfile = str(written)
        arguments = {
            str(key): str(value)
            for key, value in (build.get("args") or {}).items()
            if value is not None
        }
        if self.on_line:
            self.on_line(f"building the image of service {service}")
        result = build_image_retrying(
            self.client,
            context,
            dockerfile,
            built_tag(self.name, service),
            self.labels,
            timeout=timeout,
            network_mode="none",
            buildargs=arguments,
            folder=self.project.folder,
            limits=self.limits,
            on_step_image=self.on_step_image,
            on_line=self.on_line,
            target=str(build["target"]) if build.get("target") else None,
            on_failed_attempt=self.builds.append,
        )
        self.builds.append(result)
        if not result.ok:
            raise Unavailable(
                f"the image of service {service} did not build: "
                + (result.error or "").rstrip("."),
                {
                    "service": service,
                    "context": str(context),
                    "build log (last lines)": result.log_tail(20),
                },
            )
        return result

    def up(self, *arguments: str, timeout: float) -> CommandResult:
        """Run `up --wait` (no build, no pull), giving up after `timeout` s."""
        wait = max(int(timeout), 1)
        return self.project.run(
            "up",
            "--detach",
            "--wait",
            "--wait-timeout",
            str(wait),
            "--no-build",
            "--pull",
            "never",
            "--remove-orphans",
            *arguments,
            timeout=wait + 60,
        )

    def down(self, *, volumes: bool, timeout: float = 120) -> CommandResult:
        """Stop and remove the containers; remove the volumes too when asked."""
        self.remember_volumes()
        arguments = ["down", "--remove-orphans"] + (["--volumes"] if volumes else [])
        return self.project.run(*arguments, timeout=timeout)

    def ps(self) -> list[ServiceState]:
        """Return every container of the stack, running or not."""
        result = self.project.run("ps", "--all", "--format", "json", timeout=60)
        if not result.ok:
            return []
        try:
            return parse_ps(result.stdout)
        except (json.JSONDecodeError, ValueError):
            log.debug("unreadable compose ps output: %s", result.stdout[:200])
            return []

    def states(self, service: str) -> list[ServiceState]:
        return [state for state in self.ps() if state.service == service]

    def status_table(self) -> str:
        """The stack's containers, their status and ports, for evidence."""
        states = self.ps()
        width = max([len(state.label) for state in states] + [7])
        return "\n".join(
            f"{state.label:<{width}}  {state.status}"
            + (f"  ({state.ports})" if state.ports else "")
            for state in states
        )

    def logs(self, services: list[str], lines: int = 15) -> str:
        """The last lines each of `services` wrote."""
        if not services:
            return ""
        result = self.project.run(
            "logs", "--no-color", "--tail", str(lines), *services, timeout=60
        )
        return result.output_tail(lines * len(services))

    def read_logs(self, service: str, timeout: float = 60) -> CommandResult:
        """Everything the containers of `service` wrote, without Compose's prefixes.

        Compose reads the log through the engine, so only what the containers wrote
        to their standard output and error is there; a warning on stderr says when
        the service's logging driver keeps nothing readable.
        """
        return self.project.run(
            "logs", "--no-color", "--no-log-prefix", service, timeout=timeout
        )

    def container(self, state: ServiceState) -> Container | None:
        """Return the docker SDK container of `state`, or None when it is gone."""
        try:
            return self.client.containers.get(state.container_id)
        except docker.errors.NotFound:
            return None

    def port(self, service: str, target: int, protocol: str = "tcp") -> str | None:
        """Return `host:port` where the first replica publishes `target`, if it does."""
        result = self.project.run(
            "port", "--protocol", protocol, service, str(target), timeout=30
        )
        address = result.stdout.strip().splitlines()
        return address[0] if result.ok and address and address[0] != ":0" else None

    def address(self, state: ServiceState) -> str | None:
        """Return the container's IP address on the stack's networks, if it has one.

        The stack's networks are internal, so the engine publishes no host port for
        them; the host reaches a container at its address on the network instead.
        """
        container = self.container(state)
        if container is None:
            return None
        networks = (container.attrs.get("NetworkSettings") or {}).get("Networks")
        addresses = [
            str(settings.get("IPAddress"))
            for _, settings in sorted((networks or {}).items())
            if (settings or {}).get("IPAddress")
        ]
        return addresses[0] if addresses else None

    def exec(self, service: str, command: list[str], timeout: float) -> CommandResult:
        """Run `command` in the first replica of `service` (no TTY)."""
        return self.project.run("exec", "-T", service, *command, timeout=timeout)

    def remember_volumes(self) -> None:
        """Note the volumes the stack's containers mount, anonymous ones included.

        Engine 20.10 labels no anonymous volume, and `down` without `--volumes`
        leaves them behind, so they are found here and removed at the end.
        """
        selector: cleanup.Filters = {"label": [f"{PROJECT_LABEL}={self.name}"]}
        try:
            found = self.client.containers.list(all=True, filters=selector, sparse=True)
        except docker.errors.APIError:
            return
        for container in found:
            for mount in container.attrs.get("Mounts") or []:
                if mount.get("Type") == "volume" and mount.get("Name"):
                    self._volumes.add(mount["Name"])

    def remove(self) -> None:
        """Take the stack down and remove every object it made, whatever happened."""
        self.remember_volumes()
        if self.project.override is not None and self.project.override.exists():
            self.project.run(
                "down",
                "--volumes",
                "--remove-orphans",
                "--rmi",
                "local",
                "--timeout",
                "0",
                timeout=120,
            )
        for volume in sorted(self._volumes):
            cleanup.attempt(self.client.api.remove_volume, volume, force=True)
        for build in self.builds:
            cleanup.remove_build(self.client, build)
        cleanup.remove_matching(self.client, [f"{STACK_LABEL}={self.name}"])
        cleanup.remove_matching(self.client, [f"{PROJECT_LABEL}={self.name}"])
        shutil.rmtree(self._scratch, ignore_errors=True)


# The connectivity probe.


@dataclass(frozen=True)
class Target:
    """Where the probe connects: a name (or address) and a port, maybe an HTTP path."""

    host: str
    port: int
    path: str | None = None


ProbeOutcome = Literal[
    "connected", "answered", "no-http", "unresolved", "refused", "timeout", "error"
]


@dataclass
class ProbeResult:
    """What one connection attempt from inside a service met."""

    target: Target
    outcome: ProbeOutcome
    #: The address the name resolved to.
    address: str | None = None
    detail: str = ""
    #: The HTTP status, for a target with a path.
    status: int | None = None
    seconds: float = 0.0

    @property
    def reachable(self) -> bool:
        return self.outcome in ("connected", "answered")

    def describe(self) -> str:
        """What happened, in words: `accepted a connection at 172.18.0.2`."""
        at = f" at {self.address}" if self.address else ""
        return {
            "connected": f"accepted a connection{at}",
            "answered": f"answered GET {self.target.path} with HTTP {self.status}{at}",
            "no-http": f"accepted a connection{at} but gave no HTTP answer"
            f" ({self.detail})",
            "unresolved": f"the name {self.target.host} does not resolve",
            "refused": f"the connection was refused{at}: nothing listens on that port",
            "timeout": f"nothing answered{at}: the connection timed out",
            "error": f"the connection failed{at}: {self.detail}",
        }[self.outcome]


# Runs inside the probe container, which shares the network namespace (and so the
# DNS) of a service's container: it sees exactly what that service sees.
PROBE_SCRIPT = r"""
import json, socket, sys, time
timeout = float(sys.argv[1])
results = []
for target in json.loads(sys.argv[2]):
    host, port, path = target["host"], target["port"], target.get("path")
    result = {"outcome": "error", "address": None, "detail": "", "status": None}
    started = time.monotonic()
    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
    except OSError as error:
        result.update(outcome="unresolved", detail=str(error))
    else:
        result["address"] = address
        try:
            with socket.create_connection((address, port), timeout=timeout) as conn:
                result["outcome"] = "connected"
                if path:
                    request = f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n"
                    conn.sendall(request.encode())
                    line = conn.makefile("rb").readline(300).decode(errors="replace")
                    words = line.split()
                    if len(words) > 1 and words[0].startswith("HTTP/"):
                        result.update(outcome="answered", status=int(words[1]))
                    else:
                        text = line.strip() or "closed without an answer"
                        result.update(outcome="no-http", detail=text)
        except ConnectionRefusedError as error:
            result.update(outcome="refused", detail=str(error))
        except socket.timeout:
            result.update(outcome="timeout", detail=f"no answer in {timeout:g} s")
        except (OSError, ValueError) as error:
            if result["outcome"] == "connected":
                result.update(outcome="no-http", detail=str(error))
            else:
                result.update(outcome="error", detail=str(error))
    result["seconds"] = round(time.monotonic() - started, 3)
    results.append(result)
print(json.dumps(results))
"""


def probe(
    client: docker.DockerClient,
    container_id: str,
    targets: list[Target],
    object_labels: dict[str, str],
    timeout: float = 3.0,
) -> list[ProbeResult]:
    """Try each target from inside the network namespace of `container_id`.

    A short-lived container of PROBE_IMAGE joins that namespace, so it resolves
    names with the service's DNS and connects from the service's addresses, whatever
    tools the service's own image lacks. It is removed before this returns.
    """
    try:
        client.images.get(PROBE_IMAGE)
    except docker.errors.ImageNotFound:
        raise Unavailable(
            f"the probe image {PROBE_IMAGE} is not on this machine: run `nox -s"
            " images` (or `brickyard images`) first"
        ) from None
    payload = json.dumps([asdict(target) for target in targets])
    try:
        container = client.containers.create(
            PROBE_IMAGE,
            [f"{timeout:g}", payload],
            entrypoint=["python3", "-c", PROBE_SCRIPT],
            network_mode=f"container:{container_id}",
            labels=object_labels,
            mem_limit="64m",
            pids_limit=32,
            nano_cpus=500_000_000,
            user="65534:65534",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
        )
    except docker.errors.APIError as error:
        raise Unavailable(
            f"the probe could not be created: {error.explanation or error}"
        ) from error
    try:
        container.start()
        deadline = 15 + len(targets) * (2 * timeout + 1)
        container.wait(timeout=deadline)
        output: bytes = container.logs(stdout=True, stderr=False)
        errors: bytes = container.logs(stdout=False, stderr=True)
    except docker.errors.APIError as error:
        raise Unavailable(
            f"the probe could not run: {error.explanation or error}"
        ) from error
    except requests.exceptions.RequestException as error:
        raise Unavailable(f"the probe did not finish: {first_line(error)}") from error
    finally:
        cleanup.attempt(container.remove, force=True)
    try:
        rows = json.loads(output.decode(errors="replace").strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise Unavailable(
            "the probe printed no result",
            {"probe output": (output + errors).decode(errors="replace")[-600:]},
        ) from None
    return [
        ProbeResult(
            target,
            row["outcome"],
            row.get("address"),
            row.get("detail") or "",
            row.get("status"),
            float(row.get("seconds") or 0),
        )
        for target, row in zip(targets, rows, strict=False)
    ]


@dataclass
class Timeline:
    """When each service's first container started and first turned healthy."""

    started: dict[str, int] = field(default_factory=dict)
    healthy: dict[str, int] = field(default_factory=dict)
    origin: int = 0

    def seconds(self, time_ns: int) -> float:
        """A moment as seconds after the first event."""
        return round((time_ns - self.origin) / 1e9, 2)


def timeline(events: list[StackEvent]) -> Timeline:
    """Return the first start and first `healthy` of each service from its events."""
    found = Timeline()
    ordered = sorted(events, key=lambda event: event.time_ns)
    if ordered:
        found.origin = ordered[0].time_ns
    for event in ordered:
        if event.action == "start":
            found.started.setdefault(event.service, event.time_ns)
        elif event.action == "health_status: healthy":
            found.healthy.setdefault(event.service, event.time_ns)
    return found

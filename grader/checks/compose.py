"""Compose checks: the stack's file as Compose reads it, and the stack running.

The student's compose file is read through `docker compose config`, so every way of
writing the same stack (short or long syntax, lists or mappings, `extends`, variables)
grades alike. The running stack is the exercise's shared resource: brought up once by
the first check that needs it, with brickyard's labels and limits, and taken down when
the exercise is done.
"""

from __future__ import annotations

import re
import secrets
import shlex
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import docker.errors

from grader import dockerfile
from grader.checks.registry import Need, Outcome, Unavailable, check_kind
from grader.engine import compose, containers
from grader.engine.session import ExerciseSession

#: What a healthcheck lookup returns: where the check is defined, or None.
HealthcheckSource = Callable[[str], str | None]


# The shared resources: the project, its normalized model, the running stack.


def compose_project(session: ExerciseSession) -> compose.Project:
    """Return the exercise's Compose project: its file, folder and run-scoped name."""

    def make() -> compose.Project:
        spec = session.exercise.compose
        return compose.Project(
            compose.project_name(session.exercise.id, session.identity.run_id),
            session.folder.resolve(),
            compose.find_compose_file(session.folder.resolve(), spec.file),
        )

    return session.shared("compose-project", make)


def read_config(session: ExerciseSession) -> dict[str, Any]:
    """Return the student's compose file as Compose normalizes it."""
    return session.shared(
        "compose-config", lambda: compose.load_config(compose_project(session))
    )


def stack_of(session: ExerciseSession) -> compose.Stack:
    """Return the exercise's running stack, brought up on first use."""
    return session.shared("compose-stack", lambda: open_stack(session))


def open_stack(session: ExerciseSession) -> compose.Stack:
    config = read_config(session)
    compose_file = compose_project(session).file
    refused = [
        compose.with_line(refusal, compose_file)
        for refusal in compose.refusals(config, session.folder)
    ] + compose.file_refusals(compose_file, session.folder)
    if refused:
        raise Unavailable(
            "the compose file was refused: " + "; ".join(refused),
            {"refused": "\n".join(refused)},
        )
    stack = compose.Stack(
        session.client,
        compose_project(session),
        config,
        session.labels,
        containers.Limits(memory=session.exercise.container.memory),
        on_step_image=session.ledger.add_image if session.ledger else None,
        on_line=lambda line: session.report_progress(line, "build"),
        egress=session.exercise.compose.egress,
    )
    # Registered before anything is created, so a failed start is cleaned up too.
    session.on_close(stack.remove)
    session.report_progress("building and starting the stack: docker compose up --wait")
    stack.start(
        build_timeout=session.exercise.image.build_timeout,
        up_timeout=session.exercise.compose.up_timeout,
    )
    return stack


def sentences(parts: list[str]) -> str:
    """Join findings into one sentence that ends with a full stop (or a question)."""
    text = "; ".join(parts)
    return text if text.endswith((".", "?")) else text + "."


def service_names(config: dict[str, Any]) -> list[str]:
    return list(compose.services_of(config))


def unknown_services(config: dict[str, Any], names: list[str]) -> list[str]:
    known = compose.services_of(config)
    return [name for name in dict.fromkeys(names) if name not in known]


def no_such_service(config: dict[str, Any], missing: list[str]) -> Outcome:
    known = ", ".join(service_names(config)) or "none"
    return Outcome(
        False,
        f"The compose file has no service named {', '.join(missing)} (its services:"
        f" {known}).",
        {"services": known},
    )


# compose_config


@dataclass(frozen=True)
class ConfigParams:
    """What the stack's structure must hold; every field is optional."""

    #: Services the compose file must define.
    services: list[str] = field(default_factory=list)
    #: Services that must have a health check (in the compose file, or their image's
    #: HEALTHCHECK).
    healthcheck: list[str] = field(default_factory=list)
    #: For each service, the services it must wait for with
    #: `condition: service_healthy`.
    depends_on_healthy: dict[str, list[str]] = field(default_factory=dict)
    #: For each service, the container paths where a named volume must be mounted.
    named_volumes: dict[str, list[str]] = field(default_factory=dict)
    #: For each service, the networks (by their key in the file) it must be on.
    networks: dict[str, list[str]] = field(default_factory=dict)
    #: Pairs of services that must share at least one network.
    connected: list[list[str]] = field(default_factory=list)
    #: Pairs of services that must share no network.
    isolated: list[list[str]] = field(default_factory=list)
    #: When set, exactly these services publish host ports (`[]`: none does).
    only_published: list[str] | None = None


@check_kind("compose_config", Need.FILES, ConfigParams)
def compose_config(session: ExerciseSession, params: ConfigParams) -> Outcome:
    """The compose file defines the services, health checks, volumes and networks asked.

    The file is read as `docker compose config` normalizes it, so short and long
    syntax, `extends` and variables all count, and nothing runs. A health check
    counts whether it is written in the compose file or as a HEALTHCHECK in the
    service's Dockerfile or image; a named volume counts in short or long syntax;
    networks are compared by the keys the file gives them, and `connected` and
    `isolated` by what the services share, whatever the networks are called.

    Example:
        - id: stack-structure
          kind: compose_config
          title: web waits for a healthy db on a private network
          points: 3
          params:
            services: [web, db]
            healthcheck: [db]
            depends_on_healthy: {web: [db]}
            named_volumes: {db: [/var/lib/data]}
            isolated: [[proxy, db]]
            only_published: [proxy]
    """
    config = read_config(session)

    def healthcheck(name: str) -> str | None:
        return healthcheck_source(session, config, name)

    problems = config_problems(config, params, healthcheck)
    evidence = config_evidence(config, params, healthcheck, session.folder)
    if problems:
        return Outcome(
            False,
            "The compose file is not complete: " + sentences(problems),
            evidence,
        )
    return Outcome(
        True, "The compose file has the structure the exercise asks for.", evidence
    )


def config_problems(
    config: dict[str, Any], params: ConfigParams, healthcheck: HealthcheckSource
) -> list[str]:
    """Return what the normalized `config` lacks of `params`, one sentence each."""
    services = compose.services_of(config)
    named = (
        set(params.services)
        | set(params.healthcheck)
        | set(params.depends_on_healthy)
        | {dep for deps in params.depends_on_healthy.values() for dep in deps}
        | set(params.named_volumes)
        | set(params.networks)
        | {name for pair in params.connected + params.isolated for name in pair}
        | set(params.only_published or [])
    )
    problems = [
        f"there is no service `{name}` under `services:`"
        for name in sorted(named)
        if name not in services
    ]

    for name in params.healthcheck:
        if name not in services or healthcheck(name) is not None:
            continue
        if (services[name].get("healthcheck") or {}).get("disable"):
            problems.append(
                f"`services.{name}.healthcheck` has `disable: true`, which turns off"
                " even the health check of its image"
            )
        else:
            problems.append(
                f"`services.{name}` has no health check (add `healthcheck:` with a"
                " `test`, or a HEALTHCHECK to its image)"
            )
    for name, dependencies in params.depends_on_healthy.items():
        declared = (services.get(name) or {}).get("depends_on") or {}
        for dependency in dependencies:
            if name not in services or dependency not in services:
                continue
            if dependency not in declared:
                problems.append(
                    f"`services.{name}.depends_on` does not list `{dependency}`"
                )
                continue
            condition = (declared[dependency] or {}).get("condition")
            if condition != "service_healthy":
                default = (
                    " (the default when none is written)"
                    if condition == "service_started"
                    else ""
                )
                problems.append(
                    f"`services.{name}.depends_on.{dependency}` has condition"
                    f" `{condition}`{default}, so {name} starts once {dependency} has"
                    " started, not once it is healthy (`condition: service_healthy`)"
                )
    for name, paths in params.named_volumes.items():
        mounts = (services.get(name) or {}).get("volumes") or []
        for path in paths:
            problem = named_volume_problem(name, mounts, path)
            if problem and name in services:
                problems.append(problem)
    for name, wanted in params.networks.items():
        if name not in services:
            continue
        on = networks_of(services[name])
        for network in wanted:
            if network not in on:
                problems.append(
                    f"`services.{name}.networks` does not include `{network}` (it is"
                    f" on: {', '.join(on) or 'no network'})"
                )
    for pair in params.connected:
        shared = shared_networks(services, pair)
        if shared is not None and not shared:
            problems.append(
                f"{' and '.join(pair)} share no network, so they cannot reach each"
                " other by name"
            )
    for pair in params.isolated:
        shared = shared_networks(services, pair)
        if shared:
            problems.append(
                f"{' and '.join(pair)} are both on {', '.join(shared)}, so they are"
                " not isolated: a service reaches every service on a network it is on"
            )
    if params.only_published is not None:
        publishing = publishing_services(config)
        for name in publishing:
            if name not in params.only_published:
                ports = ", ".join(
                    describe_port(port) for port in services[name]["ports"]
                )
                problems.append(
                    f"`services.{name}.ports` publishes {ports} on the host, but only"
                    f" {', '.join(params.only_published) or 'no service'} should"
                    " (other services reach it by name; `expose:` documents a port"
                    " without publishing it)"
                )
        for name in params.only_published:
            if name in services and name not in publishing:
                problems.append(f"`services.{name}` publishes no port (`ports:`)")
    return problems


def config_evidence(
    config: dict[str, Any],
    params: ConfigParams,
    healthcheck: HealthcheckSource,
    folder: Path,
) -> dict[str, object]:
    """Return what the file holds for the fields `params` asks about."""
    services = compose.services_of(config)
    evidence: dict[str, object] = {"services": ", ".join(services) or "none"}
    if params.healthcheck:
        evidence["health checks"] = "\n".join(
            f"{name}: {healthcheck(name) or 'none'}"
            for name in params.healthcheck
            if name in services
        )
    if params.depends_on_healthy:
        evidence["depends_on"] = "\n".join(
            f"{name}: "
            + (
                ", ".join(
                    f"{dependency} ({(spec or {}).get('condition')})"
                    for dependency, spec in (
                        services[name].get("depends_on") or {}
                    ).items()
                )
                or "nothing"
            )
            for name in params.depends_on_healthy
            if name in services
        )
    if params.named_volumes:
        evidence["mounts"] = "\n".join(
            f"{name}: "
            + (
                ", ".join(
                    describe_mount(mount, folder)
                    for mount in services[name].get("volumes") or []
                )
                or "none"
            )
            for name in params.named_volumes
            if name in services
        )
    if params.networks or params.connected or params.isolated:
        evidence["networks"] = "\n".join(
            f"{name}: {', '.join(networks_of(service))}"
            for name, service in services.items()
        )
    if params.only_published is not None:
        evidence["published"] = (
            "\n".join(
                f"{name}: {', '.join(map(describe_port, services[name]['ports']))}"
                for name in publishing_services(config)
            )
            or "none"
        )
    return evidence


def describe_mount(mount: dict[str, Any], folder: Path) -> str:
    """A mount as a student writes it: `data:/var/lib/data`, `/cache` (anonymous)."""
    target = mount.get("target")
    if mount.get("type") == "volume":
        source = mount.get("source")
        return f"{source}:{target}" if source else f"{target} (anonymous volume)"
    if mount.get("type") == "bind":
        source = str(mount.get("source"))
        if Path(source).is_relative_to(folder.resolve()):
            source = f"./{Path(source).relative_to(folder.resolve())}"
        return f"{source}:{target} (bind mount)"
    return f"{target} ({mount.get('type')})"


def named_volume_problem(service: str, mounts: list[dict[str, Any]], path: str) -> str:
    """Say what is wrong with the mount at `path`, or return '' when it is named."""
    wanted = path.rstrip("/") or "/"
    at = [
        mount for mount in mounts if (mount.get("target") or "").rstrip("/") == wanted
    ]
    if not at:
        return f"`services.{service}.volumes` mounts nothing at {path}"
    mount = at[0]
    if mount.get("type") == "volume" and mount.get("source"):
        return ""
    if mount.get("type") == "volume":
        return (
            f"`services.{service}.volumes` mounts an anonymous volume at {path}: give"
            f" it a name (`data:{path}`) and declare it under `volumes:`, or"
            " `docker compose down` and `up` lose it"
        )
    return (
        f"`services.{service}.volumes` mounts a {mount.get('type')} at {path}"
        f" ({mount.get('source')}), not a named volume"
    )


def networks_of(service: dict[str, Any]) -> list[str]:
    """Return the networks a service is attached to, by their key in the file."""
    mode = str(service.get("network_mode") or "")
    if mode:
        return [f"network_mode: {mode}"]
    return sorted((service.get("networks") or {"default": None}).keys())


def shared_networks(
    services: dict[str, dict[str, Any]], pair: list[str]
) -> list[str] | None:
    """Return the networks every service of `pair` is on; None if one is missing."""
    if any(name not in services for name in pair) or not pair:
        return None
    modes = {name: services[name].get("network_mode") for name in pair}
    for name, mode in modes.items():
        # `network_mode: service:x` shares x's own network stack: x's networks count.
        if mode and str(mode).startswith("service:"):
            target = str(mode).split(":", 1)[1]
            if target in pair and target != name:
                return ["(one network stack)"]
    sets = [
        set(networks_of(services[name]))
        - {network for network in networks_of(services[name]) if ":" in network}
        for name in pair
    ]
    return sorted(set.intersection(*sets))


def publishing_services(config: dict[str, Any]) -> list[str]:
    """Return the services that publish any port on the host."""
    return [
        name
        for name, service in compose.services_of(config).items()
        if service.get("ports")
    ]


def describe_port(port: dict[str, Any]) -> str:
    """A published port as a student writes it: `8080:80`, `5432` (any host port)."""
    published = port.get("published")
    target = f"{port.get('target')}"
    if port.get("protocol") not in (None, "tcp"):
        target += f"/{port['protocol']}"
    return f"{published}:{target}" if published else target


def healthcheck_source(
    session: ExerciseSession, config: dict[str, Any], name: str
) -> str | None:
    """Say where the health check of service `name` comes from, or None if none.

    The compose file's `healthcheck` wins; `disable: true` or `test: [NONE]` turn an
    image's off. Otherwise the service's Dockerfile (its target stage and the stages
    it builds on) or, for an `image:`, the image on the engine decides.
    """
    service = compose.services_of(config)[name]
    written = service.get("healthcheck") or {}
    test = written.get("test") or []
    if written.get("disable") or test[:1] == ["NONE"]:
        return None
    if test:
        return "compose file: " + " ".join(str(word) for word in test)
    build = service.get("build")
    if build:
        return dockerfile_healthcheck(session, build)
    image = service.get("image")
    return image_healthcheck(session, str(image)) if image else None


def dockerfile_healthcheck(
    session: ExerciseSession, build: dict[str, Any]
) -> str | None:
    """Return the HEALTHCHECK the build's target stage ends up with, if any."""
    text = build.get("dockerfile_inline")
    if text is None:
        path = Path(build.get("context") or session.folder) / (
            build.get("dockerfile") or "Dockerfile"
        )
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    try:
        parsed = dockerfile.parse(text)
    except dockerfile.DockerfileSyntaxError:
        return None
    if not parsed.stages:
        return None
    target = build.get("target")
    stage = next(
        (
            item
            for item in parsed.stages
            if target and (item.name or "").lower() == str(target).lower()
        ),
        parsed.stages[-1],
    )
    chain = stage_chain(parsed, stage)
    for current in reversed(chain):
        for instruction in reversed(current.instructions):
            if instruction.keyword == "HEALTHCHECK":
                if instruction.arguments.strip().upper() == "NONE":
                    return None
                return f"Dockerfile: {instruction.text()}"
    base, _ = dockerfile.substitute(chain[0].base, parsed.global_args)
    return image_healthcheck(session, base)


def stage_chain(
    parsed: dockerfile.Dockerfile, stage: dockerfile.Stage
) -> list[dockerfile.Stage]:
    """Return the stages `stage` is built on, first FROM of an image first."""
    chain = [stage]
    while True:
        base, _ = dockerfile.substitute(chain[0].base, parsed.global_args)
        parent = next(
            (
                item
                for item in reversed(parsed.stages[: chain[0].index])
                if item.name and item.name.lower() == base.lower()
            ),
            None,
        )
        if parent is None:
            return chain
        chain.insert(0, parent)


def image_healthcheck(session: ExerciseSession, image: str) -> str | None:
    """Return the HEALTHCHECK of a local image, or None (also when it is absent)."""
    try:
        attrs = session.client.images.get(image).attrs
    except (docker.errors.ImageNotFound, docker.errors.APIError):
        return None
    test = ((attrs.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
    if not test or test[:1] == ["NONE"]:
        return None
    return f"image {image}: " + " ".join(test)


# compose_up


@dataclass(frozen=True)
class UpParams:
    """Which services must be up."""

    #: Services that must be running, and healthy where they have a health check;
    #: every service when empty.
    services: list[str] = field(default_factory=list)


@check_kind("compose_up", Need.STACK, UpParams)
def compose_up(session: ExerciseSession, params: UpParams) -> Outcome:
    """The stack comes up: every service runs, and is healthy if it has a health check.

    The stack is started with `docker compose up --wait` within the exercise's
    `compose.up_timeout`, and each service's containers are read back: running, and
    `healthy` where a health check is defined (in the file or in the image). A
    one-off service that others wait for with `service_completed_successfully` may
    have exited with code 0.

    Example:
        - id: stack-up
          kind: compose_up
          title: The whole stack comes up healthy
          points: 2
    """
    config = read_config(session)
    missing = unknown_services(config, params.services)
    if missing:
        return no_such_service(config, missing)
    try:
        stack = stack_of(session)
    except Unavailable as error:
        return Outcome(
            False, f"The stack did not come up: {error.message}.", error.evidence
        )
    up = stack.first_up
    assert up is not None

    wanted = params.services or service_names(config)
    finished = one_off_services(config)
    states = stack.ps()
    problems: list[str] = []
    failing: list[str] = []
    for name in wanted:
        mine = [state for state in states if state.service == name]
        if not mine and service_scale(compose.services_of(config)[name]) > 0:
            problems.append(f"{name} has no container")
            failing.append(name)
        for state in mine:
            if state.state == "running" and state.health in ("", "healthy"):
                continue
            if state.state == "exited" and state.exit_code == 0 and name in finished:
                continue
            problems.append(
                f"{state.label} {state.describe()}{health_note(stack, state)}"
            )
            failing.append(name)

    evidence: dict[str, object] = {
        "command": up.shown(),
        "exit": up.outcome(),
        "seconds": round(up.seconds, 1),
        "docker compose ps": stack.status_table(),
    }
    if failing:
        evidence["logs (last lines)"] = stack.logs(list(dict.fromkeys(failing)))
    if not problems and not up.ok and not params.services:
        problems.append(f"`docker compose up --wait` {up.outcome()}")
    if problems:
        said = f" Compose said: {up.error_line()}" if up.error_line() else ""
        within = (
            f" within {session.exercise.compose.up_timeout} s"
            if up.timed_out or "timeout" in up.error_line().lower()
            else ""
        )
        return Outcome(
            False,
            f"The stack did not come up{within}: {'; '.join(problems)}.{said}",
            evidence,
        )
    healthy = [state.service for state in states if state.health == "healthy"]
    return Outcome(
        True,
        f"{', '.join(wanted)}: running"
        + (f", with {', '.join(sorted(set(healthy)))} healthy" if healthy else "")
        + f" ({up.seconds:.1f} s to come up).",
        evidence,
    )


def one_off_services(config: dict[str, Any]) -> set[str]:
    """Services others wait for with `condition: service_completed_successfully`."""
    return {
        dependency
        for service in compose.services_of(config).values()
        for dependency, spec in (service.get("depends_on") or {}).items()
        if (spec or {}).get("condition") == "service_completed_successfully"
    }


def service_scale(service: dict[str, Any]) -> int:
    """How many replicas the file asks for (1 unless `scale` or `replicas` says)."""
    for value in (service.get("scale"), (service.get("deploy") or {}).get("replicas")):
        if value is not None:
            return int(value)
    return 1


def health_note(stack: compose.Stack, state: compose.ServiceState) -> str:
    """For an unhealthy container, what its last health check printed."""
    if state.health not in ("unhealthy", "starting"):
        return ""
    container = stack.container(state)
    if container is None:
        return ""
    log = ((container.attrs.get("State") or {}).get("Health") or {}).get("Log") or []
    if not log:
        return " (its health check has not run yet)"
    last = log[-1]
    output = " ".join(str(last.get("Output") or "").split())[:160]
    return f" (last health check: exit code {last.get('ExitCode')}" + (
        f", {output!r})" if output else ")"
    )


# service_reaches


@dataclass(frozen=True)
class Link:
    """One connection tried from inside a service."""

    #: The service the connection starts from (inside its first container).
    from_: str
    #: The name connected to: a service name, an alias or a host name.
    to: str
    #: The port connected to.
    port: int
    #: Whether the connection must succeed (true) or must fail (false: isolation).
    reachable: bool = True
    #: When set, an HTTP GET of this path must get an answer (any status).
    path: str | None = None


@dataclass(frozen=True)
class ReachParams:
    """The connectivity matrix to try."""

    #: The connections to try, each from inside one service to a name and port.
    links: list[Link]
    #: Seconds each connection may take before it counts as failed.
    timeout: float = 3.0
    #: Seconds a connection that must succeed is tried again while it is refused: a
    #: target with no health check may still be starting when `up` returns.
    startup: float = 0.0


@check_kind("service_reaches", Need.STACK, ReachParams)
def service_reaches(session: ExerciseSession, params: ReachParams) -> Outcome:
    """Each service reaches the names and ports it should, and no others it must not.

    Each connection is tried from inside the service's own network namespace (a
    short-lived probe container joins it), so it sees the service's DNS and networks
    exactly, whatever tools its image lacks. A name that does not resolve and a
    connection that fails both count as unreachable; which one happened is reported.
    Isolation only counts when the target itself is up and answers on its own
    address, so a stopped service does not pass for an isolated one. With
    `startup`, a refused connection that must succeed is tried again for a while,
    so a target with no health check that is still starting does not count as
    unreachable.

    Example:
        - id: db-isolated
          kind: service_reaches
          title: Only the app reaches the database
          points: 3
          params:
            links:
              - {from: web, to: db, port: 5432}
              - {from: proxy, to: web, port: 8000}
              - {from: proxy, to: db, port: 5432, reachable: false}
    """
    config = read_config(session)
    missing = unknown_services(config, [link.from_ for link in params.links])
    if missing:
        return no_such_service(config, missing)
    stack = stack_of(session)

    lines: list[str] = []
    problems: list[str] = []
    by_source: dict[str, list[Link]] = {}
    for link in params.links:
        by_source.setdefault(link.from_, []).append(link)
    for source, links in by_source.items():
        state = running_state(stack, source)
        if isinstance(state, str):
            problems.append(f"{state}, so no connection can be tried from it")
            continue
        targets = [compose.Target(link.to, link.port, link.path) for link in links]
        results = compose.probe(
            session.client, state.container_id, targets, stack.labels, params.timeout
        )
        results = retry_refused(
            session, stack, state.container_id, links, results, params
        )
        for link, result in zip(links, results, strict=True):
            line = f"{source} → {link.to}:{link.port}: {result.describe()}"
            lines.append(line)
            if link.reachable and not result.reachable:
                down = target_down(stack, link.to)
                problems.append(
                    f"{source} cannot reach {link.to}:{link.port}: {result.describe()}"
                    + (f" ({down})" if down else "")
                )
            elif not link.reachable and result.reachable:
                problems.append(
                    f"{source} reaches {link.to}:{link.port}, though it must not (it"
                    f" {result.describe()}): they share a network"
                )
            elif not link.reachable:
                control = isolation_control(session, stack, link, params.timeout)
                if control:
                    problems.append(control)

    evidence = {
        "connections": "\n".join(lines),
        "docker compose ps": stack.status_table(),
    }
    if problems:
        return Outcome(
            False,
            "The services do not reach each other as they should: "
            + sentences(problems),
            evidence,
        )
    return Outcome(
        True,
        f"All {len(params.links)} connections behave as asked: " + sentences(lines),
        evidence,
    )


def retry_refused(
    session: ExerciseSession,
    stack: compose.Stack,
    container_id: str,
    links: list[Link],
    results: list[compose.ProbeResult],
    params: ReachParams,
) -> list[compose.ProbeResult]:
    """Try the refused links that must succeed again, for up to `params.startup` s."""
    results = list(results)
    deadline = time.monotonic() + params.startup
    while time.monotonic() < deadline:
        waiting = [
            index
            for index, (link, result) in enumerate(zip(links, results, strict=True))
            if link.reachable and result.outcome == "refused"
        ]
        if not waiting:
            break
        time.sleep(0.5)
        again = compose.probe(
            session.client,
            container_id,
            [
                compose.Target(links[i].to, links[i].port, links[i].path)
                for i in waiting
            ],
            stack.labels,
            params.timeout,
        )
        for index, result in zip(waiting, again, strict=True):
            results[index] = result
    return results


def running_state(stack: compose.Stack, service: str) -> compose.ServiceState | str:
    """Return the first running container of `service`, or its state in words."""
    states = stack.states(service)
    running = [state for state in states if state.state == "running"]
    if running:
        return running[0]
    if not states:
        return f"{service} has no container"
    return f"{service} {states[0].describe()}"


def target_down(stack: compose.Stack, name: str) -> str:
    """Say so when `name` is a service of the stack that is not running."""
    if name not in stack.services:
        return ""
    state = running_state(stack, name)
    return state if isinstance(state, str) else ""


def isolation_control(
    session: ExerciseSession, stack: compose.Stack, link: Link, timeout: float
) -> str:
    """Return why an unreachable target proves nothing, or '' when it does.

    The target is tried from inside itself, on its own name: if it answers there, it
    is up and listening on its network address, so failing from elsewhere is the
    network's doing.
    """
    if link.to not in stack.services:
        return ""
    state = running_state(stack, link.to)
    if isinstance(state, str):
        return f"{state}, and isolation from a service that is down shows nothing"
    result = compose.probe(
        session.client,
        state.container_id,
        [compose.Target(link.to, link.port)],
        stack.labels,
        timeout,
    )[0]
    if result.reachable:
        return ""
    return (
        f"{link.to} does not accept connections on port {link.port} even from"
        f" itself ({result.describe()}), so {link.from_} failing to reach it shows no"
        " isolation"
    )


# published_ports


@dataclass(frozen=True)
class PublishedParams:
    """Which services publish host ports, and how their ports must answer."""

    #: The services that must publish host ports; every other service must publish
    #: none.
    services: list[str]
    #: For each listed service, the container ports it must publish; by default
    #: every port it publishes is tried.
    ports: dict[str, list[int]] = field(default_factory=dict)
    #: How a published port must answer: `tcp` (it accepts connections) or `http`
    #: (an HTTP answer, any status).
    answer: Literal["tcp", "http"] = "tcp"
    #: The path requested when `answer` is `http`.
    path: str = "/"
    #: Seconds a port may take to answer.
    timeout: float = 5.0


@check_kind("published_ports", Need.STACK, PublishedParams)
def published_ports(session: ExerciseSession, params: PublishedParams) -> Outcome:
    """Only the listed services publish host ports, and those ports answer.

    Which ports each running container publishes is read from its configuration
    on the engine, so any host port a student picks works alike. Each one of a
    listed service is then tried from the host at the container's address on the
    stack's network, where a client's connection through a published port would
    arrive (the stack's networks are internal, so the engine opens no host port).
    An app listening only on 127.0.0.1 inside its container fails, as it would for
    a real client.

    Example:
        - id: only-web-published
          kind: published_ports
          title: Only the web service is reachable from the host
          points: 2
          params:
            services: [web]
            ports: {web: [8000]}
            answer: http
    """
    config = read_config(session)
    missing = unknown_services(config, params.services + list(params.ports))
    if missing:
        return no_such_service(config, missing)
    stack = stack_of(session)

    published = {name: published_targets(stack, name) for name in stack.services}
    problems: list[str] = []
    lines: list[str] = []
    for name, targets in published.items():
        if targets and name not in params.services:
            problems.append(
                f"{name} publishes {', '.join(targets)} on the host, though only"
                f" {', '.join(params.services)} should: other services reach it by"
                " name without `ports:`"
            )
    for name in params.services:
        state = running_state(stack, name)
        if isinstance(state, str):
            problems.append(state)
            continue
        wanted = [f"{port}/tcp" for port in params.ports.get(name, [])]
        for target in wanted:
            if target not in published[name]:
                problems.append(f"{name} does not publish container port {target}")
        tried = wanted or published[name]
        if not tried:
            problems.append(f"{name} publishes no port")
        for target in tried:
            if target not in published[name]:
                continue
            line, problem = try_published(stack, state, name, target, params)
            lines.append(line)
            if problem:
                problems.append(problem)

    evidence = {
        "published ports": "\n".join(
            f"{name}: {', '.join(targets) or 'none'}"
            for name, targets in published.items()
        ),
        "tried from the host": "\n".join(lines),
        "note": "the grader connects at the container's address on its network",
    }
    if problems:
        return Outcome(
            False,
            "The published ports are not as asked: " + sentences(problems),
            evidence,
        )
    verb = "publishes" if len(params.services) == 1 else "publish"
    return Outcome(
        True,
        f"Only {', '.join(params.services)} {verb} host ports, and they answer: "
        + sentences(lines),
        evidence,
    )


def published_targets(stack: compose.Stack, service: str) -> list[str]:
    """Return the container ports (`8000/tcp`) that `service` publishes on the host."""
    found: set[str] = set()
    for state in stack.states(service):
        container = stack.container(state)
        if container is None:
            continue
        bindings = (container.attrs.get("HostConfig") or {}).get("PortBindings") or {}
        found |= {port for port, hosts in bindings.items() if hosts}
    return sorted(found, key=lambda port: int(port.split("/")[0]))


def try_published(
    stack: compose.Stack,
    state: compose.ServiceState,
    name: str,
    target: str,
    params: PublishedParams,
) -> tuple[str, str]:
    """Try one published port from the host; return what happened and any problem."""
    port, _, protocol = target.partition("/")
    if protocol != "tcp":
        return f"{name} {target}: not tried (only TCP is)", ""
    host = stack.address(state)
    if host is None:
        return f"{name} {target}: no network address", f"{name} has no network address"
    shown = f"{name} {target} at {host}:{port}"
    if params.answer == "http":
        answer = containers.http_get(host, int(port), params.path, params.timeout)
        if answer.status is None:
            return (
                f"{shown}: no HTTP answer ({answer.error})",
                f"{name} publishes {target}, but GET {params.path} got no answer"
                f" on it ({answer.error}): does the app listen on 0.0.0.0 (not"
                " 127.0.0.1) and on that port?",
            )
        return f"{shown}: GET {params.path} answered {answer.status}", ""
    try:
        with socket.create_connection((host, int(port)), params.timeout):
            pass
    except OSError as error:
        return (
            f"{shown}: {error}",
            f"{name} publishes {target}, but its app does not accept connections on"
            f" the container's network address ({error}): does it listen on 0.0.0.0"
            " rather than 127.0.0.1?",
        )
    return f"{shown}: accepted a connection", ""


# compose_scale


@dataclass(frozen=True)
class ScaleParams:
    """Which service to scale, and to how many replicas."""

    #: The service to scale.
    service: str
    #: How many replicas must run side by side.
    replicas: int = 3


@check_kind("compose_scale", Need.STACK_CHANGES, ScaleParams)
def compose_scale(session: ExerciseSession, params: ScaleParams) -> Outcome:
    """`docker compose up --scale SERVICE=N` runs N replicas of the service at once.

    First the file is read for what stops replicas from living side by side on any
    machine: a `container_name` (one name, one container) or a fixed host port (one
    port, one container). Then the stack is scaled and the replicas are counted:
    all N must be running, and healthy where they have a health check. The stack
    goes back to its own scale afterwards.

    Example:
        - id: scales
          kind: compose_scale
          title: The web service scales to three replicas
          points: 2
          params:
            service: web
            replicas: 3
    """
    config = read_config(session)
    missing = unknown_services(config, [params.service])
    if missing:
        return no_such_service(config, missing)
    service = compose.services_of(config)[params.service]
    blockers = scale_blockers(params.service, service, params.replicas)
    if blockers:
        return Outcome(
            False,
            f"{params.service} cannot run {params.replicas} replicas: "
            + sentences(blockers),
            {
                "ports": ", ".join(
                    describe_port(port) for port in service.get("ports") or []
                )
            },
        )
    stack = stack_of(session)
    timeout = session.exercise.compose.up_timeout

    scaled = stack.up("--scale", f"{params.service}={params.replicas}", timeout=timeout)
    states = stack.states(params.service)
    ready = [
        state
        for state in states
        if state.state == "running" and state.health in ("", "healthy")
    ]
    evidence: dict[str, object] = {
        "command": scaled.shown(),
        "exit": scaled.outcome(),
        "seconds": round(scaled.seconds, 1),
        "docker compose ps": stack.status_table(),
    }
    others = [state for state in states if state not in ready]
    if others:
        evidence["logs (last lines)"] = stack.logs([params.service])
    stack.up("--scale", f"{params.service}={service_scale(service)}", timeout=timeout)
    if len(ready) == params.replicas:
        return Outcome(
            True,
            f"{params.replicas} replicas of {params.service} ran side by side"
            f" ({scaled.seconds:.1f} s to scale).",
            evidence,
        )
    trouble = "; ".join(f"{state.label} {state.describe()}" for state in others)
    said = f" Compose said: {scaled.error_line()}" if scaled.error_line() else ""
    return Outcome(
        False,
        f"Scaling {params.service} to {params.replicas} gave {len(ready)} running"
        f" replica(s)" + (f": {trouble}" if trouble else "") + f".{said}",
        evidence,
    )


def scale_blockers(name: str, service: dict[str, Any], replicas: int) -> list[str]:
    """Return what in the file keeps `replicas` copies of a service from running."""
    found: list[str] = []
    if replicas > 1 and service.get("container_name"):
        found.append(
            f"`services.{name}.container_name` is `{service['container_name']}`, and"
            " a container name belongs to one container only"
        )
    for port in service.get("ports") or []:
        published = str(port.get("published") or "")
        if not published:
            continue
        first, _, last = published.partition("-")
        size = int(last) - int(first) + 1 if last else 1
        if size < replicas:
            found.append(
                f"`services.{name}.ports` publishes host port {published}"
                f" (`{describe_port(port)}`): a host port can be bound by one"
                " container only, so publish the container port alone"
                f' (`"{port.get("target")}"`) and let Docker pick host ports'
            )
    return found


# compose_volume_persists


@dataclass(frozen=True)
class StackVolumeParams:
    """Where to write data, and how to read it back."""

    #: The service the commands run in (its first container).
    service: str
    #: A command (exec form) that writes data; `{marker}` in it is replaced by a
    #: text unique to the run.
    write: list[str]
    #: A command (exec form) that prints the data; its output must contain the
    #: marker.
    read: list[str]
    #: Also require that `docker compose down -v` removes the data (it lives in a
    #: named volume, not in a bind mount or the image).
    removed_by_down_v: bool = False
    #: Seconds each command may take.
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not any("{marker}" in word for word in self.write):
            raise ValueError(
                "`write` does not contain {marker}",
                "write the marker into the data, e.g."
                " [sh, -c, 'echo {marker} > /data/check']",
            )


@check_kind("compose_volume_persists", Need.STACK_CHANGES, StackVolumeParams)
def compose_volume_persists(
    session: ExerciseSession, params: StackVolumeParams
) -> Outcome:
    """Data written in a service survives `docker compose down` and `up` again.

    A fresh marker is written by a command inside the service, read back, the stack
    is taken down without `-v` and brought up again, and the marker must still be
    there. Any named volume at the right place passes, however it is written; an
    anonymous volume, or data kept in the container's own layer, is lost and fails.
    With `removed_by_down_v`, `down -v` must then remove it, as it does a named
    volume.

    Example:
        - id: db-data-kept
          kind: compose_volume_persists
          title: The database keeps its data across down and up
          points: 3
          params:
            service: db
            write: [sh, -c, 'echo {marker} > /var/lib/data/check']
            read: [cat, /var/lib/data/check]
            removed_by_down_v: true
    """
    config = read_config(session)
    missing = unknown_services(config, [params.service])
    if missing:
        return no_such_service(config, missing)
    stack = stack_of(session)
    marker = f"brick-{session.identity.run_id}-{secrets.token_hex(4)}"
    write = [word.replace("{marker}", marker) for word in params.write]
    read = [word.replace("{marker}", marker) for word in params.read]
    timeout = session.exercise.compose.up_timeout
    evidence: dict[str, object] = {"marker": marker}

    state = running_state(stack, params.service)
    if isinstance(state, str):
        return Outcome(False, f"Nothing could be written: {state}.", evidence)
    evidence["mounts"] = describe_mounts(stack, state)
    written = stack.exec(params.service, write, params.timeout)
    if not written.ok:
        evidence["write output"] = written.output_tail()
        return Outcome(
            False,
            f"The write command `{' '.join(write)}` {written.outcome()} in"
            f" {params.service}.",
            evidence,
        )
    before = stack.exec(params.service, read, params.timeout)
    if marker not in before.stdout:
        evidence["read output"] = before.output_tail()
        return Outcome(
            False,
            f"The read command `{' '.join(read)}` did not print the marker even"
            " before the stack went down.",
            evidence,
        )

    kept, failure = read_after(stack, params, read, marker, False, timeout, evidence)
    if failure is not None:
        return failure
    if not kept:
        return Outcome(
            False,
            "The data was gone after `docker compose down` and `up`: "
            + loss_reason(evidence["mounts"]),
            evidence,
        )
    if params.removed_by_down_v:
        kept, failure = read_after(stack, params, read, marker, True, timeout, evidence)
        if failure is not None:
            return failure
        if kept:
            return Outcome(
                False,
                "The data survived `docker compose down --volumes`, so it is not in a"
                " named volume of the stack (a bind mount, or a file in the image?).",
                evidence,
            )
        return Outcome(
            True,
            "The data survived `down` and `up`, and `down --volumes` removed it: it"
            " lives in a named volume.",
            evidence,
        )
    return Outcome(True, "The data survived `docker compose down` and `up`.", evidence)


def read_after(
    stack: compose.Stack,
    params: StackVolumeParams,
    read: list[str],
    marker: str,
    volumes: bool,
    timeout: float,
    evidence: dict[str, object],
) -> tuple[bool, Outcome | None]:
    """Take the stack down (with its volumes, or not), up again, and read back."""
    what = "down --volumes" if volumes else "down"
    down = stack.down(volumes=volumes)
    up = stack.up(timeout=timeout)
    evidence[f"{what}, up"] = (
        f"{down.outcome()} in {down.seconds:.1f} s,"
        f" {up.outcome()} in {up.seconds:.1f} s"
    )
    state = running_state(stack, params.service)
    if not up.ok or isinstance(state, str):
        evidence["logs (last lines)"] = stack.logs([params.service])
        return False, Outcome(
            False,
            f"After `docker compose {what}`, the stack did not come up again: "
            + (up.error_line() or str(state))
            + ".",
            evidence,
        )
    again = stack.exec(params.service, read, params.timeout)
    evidence[f"read after {what}"] = again.output_tail(5)
    return marker in again.stdout, None


def describe_mounts(stack: compose.Stack, state: compose.ServiceState) -> str:
    """The container's volume and bind mounts, one a line, named or anonymous."""
    container = stack.container(state)
    if container is None:
        return ""
    lines = []
    for mount in container.attrs.get("Mounts") or []:
        destination = mount.get("Destination")
        if mount.get("Type") == "volume":
            name = str(mount.get("Name") or "")
            if name.startswith(f"{stack.name}_"):
                lines.append(
                    f"{destination}: named volume {name[len(stack.name) + 1 :]}"
                )
            else:
                lines.append(f"{destination}: anonymous volume {name[:12]}")
        elif mount.get("Type") == "bind":
            source = str(mount.get("Source"))
            if Path(source).is_relative_to(stack.project.folder):
                source = f"./{Path(source).relative_to(stack.project.folder)}"
            lines.append(f"{destination}: bind mount of {source}")
    return "\n".join(lines) or "(no volumes)"


def loss_reason(mounts: object) -> str:
    text = str(mounts)
    if "anonymous volume" in text:
        return (
            "the service keeps it in an anonymous volume, which `down` leaves behind"
            " and `up` replaces with a new, empty one; give the volume a name"
            " (`data:/path`) and declare it under `volumes:`."
        )
    if "named volume" not in text:
        return (
            "the service mounts no volume, so its data lived in the container's own"
            " layer, which `down` removes; mount a named volume where it writes."
        )
    return "the data is written outside the volumes the service mounts."


# depends_on_healthy


@dataclass(frozen=True)
class DependsParams:
    """Which service must wait, and for which dependencies."""

    #: The service that must start last.
    service: str
    #: The services it must wait for until they are healthy.
    dependencies: list[str]


@check_kind("depends_on_healthy", Need.STACK, DependsParams)
def depends_on_healthy(session: ExerciseSession, params: DependsParams) -> Outcome:
    """The service started only after each of its dependencies had turned healthy.

    The engine's own events, recorded while `docker compose up` ran, give the moment
    each container started and the moment each first reported `healthy`. Whatever
    the file says, the order on the engine is what counts: `depends_on` with
    `condition: service_healthy` passes; a plain `depends_on`, which only waits for
    the dependency to start, fails, as does a dependency with no health check.

    Example:
        - id: waits-for-db
          kind: depends_on_healthy
          title: web starts once db is healthy
          points: 2
          params:
            service: web
            dependencies: [db]
    """
    config = read_config(session)
    missing = unknown_services(config, [params.service, *params.dependencies])
    if missing:
        return no_such_service(config, missing)
    stack = stack_of(session)
    if not stack.first_events:
        raise Unavailable("the engine reported no events while the stack came up")
    moments = compose.timeline(stack.first_events)
    evidence: dict[str, object] = {
        "timeline (s)": "\n".join(
            f"{service}: started at {moments.seconds(time)}"
            + (
                f", healthy at {moments.seconds(moments.healthy[service])}"
                if service in moments.healthy
                else ""
            )
            for service, time in sorted(
                moments.started.items(), key=lambda item: item[1]
            )
        ),
    }
    up = stack.first_up
    assert up is not None
    if params.service not in moments.started:
        said = f" (Compose said: {up.error_line()})" if up.error_line() else ""
        return Outcome(
            False, f"{params.service} never started during `up`{said}.", evidence
        )
    started = moments.started[params.service]
    problems: list[str] = []
    declared = compose.services_of(config)[params.service].get("depends_on") or {}
    for dependency in params.dependencies:
        if dependency not in moments.healthy:
            if healthcheck_source(session, config, dependency) is None:
                problems.append(
                    f"{dependency} has no health check, so nothing tells when it is"
                    " ready"
                )
            else:
                down = target_down(stack, dependency)
                problems.append(
                    f"{dependency} never turned healthy"
                    + (f" ({down})" if down else "")
                )
            continue
        gap = (started - moments.healthy[dependency]) / 1e9
        if gap >= 0:
            continue
        if dependency in declared:
            why = f"`depends_on` made it wait only until {dependency} had started"
        else:
            why = f"{dependency} is not under its `depends_on`, so nothing held it back"
        problems.append(
            f"{params.service} started {-gap:.1f} s before {dependency} turned"
            f" healthy: {why}"
        )
    if problems:
        return Outcome(
            False,
            f"{params.service} did not wait for healthy dependencies: "
            + sentences(problems),
            evidence,
        )
    return Outcome(
        True,
        f"{params.service} started after {', '.join(params.dependencies)} turned"
        " healthy.",
        evidence,
    )


# compose_logs


@dataclass(frozen=True)
class StackLogParams:
    """What a service's log must show, optionally after a request to the service."""

    #: The service whose log is read (every replica of it).
    service: str
    #: A regular expression that a line of the log must match.
    pattern: str
    #: When set, an HTTP GET of this path is first sent to the service, by its name,
    #: from inside its own network namespace.
    http_path: str | None = None
    #: The port the request goes to; required with `http_path`.
    port: int | None = None
    #: Seconds the matching line may take to appear.
    within: float = 10.0

    def __post_init__(self) -> None:
        if self.http_path is not None and self.port is None:
            raise ValueError(
                "`http_path` is set but `port` is not",
                "add the port the service listens on, e.g. `port: 8000`",
            )
        try:
            re.compile(self.pattern)
        except re.error as error:
            raise ValueError(
                f"`pattern` is not a valid regular expression: {error}",
                "escape special characters such as ( [ . with a backslash",
            ) from None


@check_kind("compose_logs", Need.STACK, StackLogParams)
def compose_logs(session: ExerciseSession, params: StackLogParams) -> Outcome:
    """`docker compose logs` shows what the service writes to its output streams.

    Optionally after one HTTP request sent to the service by its name, the output of
    `docker compose logs SERVICE` must match a pattern within N seconds. Docker
    keeps what a container's main process writes to its standard output and
    standard error, whichever of the two the app uses and however it is started;
    an app that writes its log to a file inside the container shows nothing there,
    and neither does a service whose logging driver keeps nothing readable.

    Example:
        - id: logs-requests
          kind: compose_logs
          title: docker compose logs shows each request to web
          points: 2
          params:
            service: web
            http_path: /
            port: 8000
            pattern: "GET / "
    """
    config = read_config(session)
    missing = unknown_services(config, [params.service])
    if missing:
        return no_such_service(config, missing)
    stack = stack_of(session)
    evidence: dict[str, object] = {}

    deadline = time.monotonic() + params.within
    request_failed = ""
    if params.http_path is not None and params.port is not None:
        state = running_state(stack, params.service)
        if isinstance(state, str):
            evidence["logs (last lines)"] = stack.logs([params.service])
            return Outcome(
                False,
                f"No request could be sent to {params.service}: {state}.",
                evidence,
            )
        target = compose.Target(params.service, params.port, params.http_path)
        while True:
            sent = compose.probe(
                session.client, state.container_id, [target], stack.labels
            )[0]
            # An app with no health check may still be starting when `up` returns.
            if sent.outcome != "refused" or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        evidence["request"] = (
            f"GET {params.http_path} to {params.service}:{params.port}:"
            f" {sent.describe()}"
        )
        if sent.outcome != "answered":
            request_failed = f" (the request got no answer: {sent.describe()})"

    expression = re.compile(params.pattern)
    while True:
        read = stack.read_logs(params.service)
        lines = read.lines(read.stdout)
        if any(expression.search(line) for line in lines):
            return Outcome(
                True,
                f"`docker compose logs {params.service}` shows {params.pattern!r}.",
                {**evidence, "log (last lines)": "\n".join(lines[-10:])},
            )
        unreadable = unreadable_log(read)
        if unreadable or time.monotonic() >= deadline:
            break
        time.sleep(0.5)

    evidence["command"] = read.shown()
    evidence["log (last lines)"] = "\n".join(lines[-15:]) or "(empty)"
    if unreadable:
        evidence["compose said"] = read.output_tail(5)
        return Outcome(
            False,
            f"`docker compose logs {params.service}` could not read the log"
            f" ({unreadable}): the service's `logging` driver keeps nothing Docker"
            " can show; leave the default driver (json-file) in place.",
            evidence,
        )
    if not lines:
        return Outcome(
            False,
            f"`docker compose logs {params.service}` shows nothing at all"
            f"{request_failed}: the app writes nothing to its standard output or"
            " error, which is all Docker collects. An app that writes its log to a"
            " file inside the container keeps it out of reach, and the file is lost"
            " with the container.",
            evidence,
        )
    return Outcome(
        False,
        f"`docker compose logs {params.service}` shows {len(lines)} line(s), none"
        f" matching {params.pattern!r} within {params.within:g} s{request_failed}:"
        " only what the app writes to its standard output or error shows there, not"
        " a log file inside the container.",
        evidence,
    )


def unreadable_log(read: compose.CommandResult) -> str:
    """Say why `docker compose logs` could not read a log, or return ''."""
    for line in read.lines(read.stderr):
        if "does not support reading" in line:
            # Compose wraps the engine's answer in a warning; the answer is the news.
            said = line.split("Error response from daemon:", 1)[-1]
            return said.strip().strip('"').strip()
    return "" if read.ok else f"`docker compose logs` {read.outcome()}"


# service_restarts


@dataclass(frozen=True)
class RestartParams:
    """Which service crashes, how, and how soon it must run again."""

    #: The service that crashes (its first container).
    service: str
    #: A command (exec form) run inside the service that makes its main process exit
    #: with an error; when empty, the service must crash by itself after it starts.
    crash: list[str] = field(default_factory=list)
    #: Seconds the service may take to crash (when it does so by itself) and to run
    #: again.
    within: float = 15.0


@dataclass(frozen=True)
class ContainerLife:
    """What the engine says about a container's runs: state, restarts, policy."""

    status: str
    restarts: int
    started_at: str
    exit_code: int
    policy: str

    @property
    def running(self) -> bool:
        return self.status == "running"


def container_life(stack: compose.Stack, state: compose.ServiceState) -> ContainerLife:
    """Read the container of `state` from the engine, or raise Unavailable if gone."""
    container = stack.container(state)
    if container is None:
        raise Unavailable(f"the container of {state.label} is gone")
    return life_of(container.attrs)


def life_of(attrs: dict[str, Any]) -> ContainerLife:
    """Read state, restart count and policy from `docker inspect` of a container."""
    found = attrs.get("State") or {}
    policy = (attrs.get("HostConfig") or {}).get("RestartPolicy") or {}
    name = str(policy.get("Name") or "no")
    retries = int(policy.get("MaximumRetryCount") or 0)
    return ContainerLife(
        status=str(found.get("Status") or ""),
        restarts=int(attrs.get("RestartCount") or 0),
        started_at=str(found.get("StartedAt") or ""),
        exit_code=int(found.get("ExitCode") or 0),
        policy=f"{name}:{retries}" if name == "on-failure" and retries else name,
    )


@check_kind("service_restarts", Need.STACK_CHANGES, RestartParams)
def service_restarts(session: ExerciseSession, params: RestartParams) -> Outcome:
    """A service whose main process crashes is started again by its restart policy.

    The grader crashes the service's first container with a command run inside it
    (or waits for the service to crash by itself), then reads the container back
    from the engine: it must be running again within N seconds, and the engine's
    restart count must have grown, which only a restart policy does. Any policy
    that covers a crash passes, however it is written (`restart: always`,
    `unless-stopped`, `on-failure`, or `deploy.restart_policy`); with none, the
    crashed container stays down, and is then brought back up for the checks that
    follow.

    Example:
        - id: restarts
          kind: service_restarts
          title: web is restarted after it crashes
          points: 3
          params:
            service: web
            crash: [python3, -c, "import urllib.request as u;
              u.urlopen('http://127.0.0.1:8000/crash')"]
    """
    config = read_config(session)
    missing = unknown_services(config, [params.service])
    if missing:
        return no_such_service(config, missing)
    stack = stack_of(session)
    states = stack.states(params.service)
    if not states:
        return Outcome(False, f"{params.service} has no container.", {})
    state = states[0]
    before = container_life(stack, state)
    evidence: dict[str, object] = {"restart policy": describe_policy(before.policy)}

    baseline = 0
    if params.crash:
        if not before.running:
            evidence["logs (last lines)"] = stack.logs([params.service])
            return Outcome(
                False,
                f"{params.service} was not running before the crash"
                f" ({state.describe()}), so no crash could be caused.",
                evidence,
            )
        baseline = before.restarts
        crashed = stack.exec(params.service, params.crash, min(params.within, 30))
        evidence["crash command"] = f"{show_command(params.crash)}: {crashed.outcome()}"

    after = before
    deadline = time.monotonic() + params.within
    while time.monotonic() < deadline:
        time.sleep(0.3)
        after = container_life(stack, state)
        if after.running and after.restarts > baseline:
            break
    evidence["restart count"] = f"{before.restarts} before, {after.restarts} after"
    evidence["state"] = after.status
    evidence["logs (last lines)"] = stack.logs([params.service])

    if after.running and after.restarts > baseline:
        return Outcome(
            True,
            f"{params.service} crashed and the engine started it again under its"
            f" restart policy {describe_policy(after.policy)} (restart count"
            f" {after.restarts}).",
            evidence,
        )
    problem = restart_problem(params, before, after, baseline)
    if not after.running:
        # Later checks of the exercise get a running stack, as they would have.
        stack.up(timeout=session.exercise.compose.up_timeout)
    return Outcome(False, problem, evidence)


def show_command(words: list[str]) -> str:
    """An exec-form command as a student would type it in a shell."""
    shown = []
    for word in words:
        if shlex.quote(word) == word:
            shown.append(word)
        elif '"' not in word and "$" not in word and "`" not in word:
            # Double quotes read better than shlex's quoting of inner single quotes.
            shown.append(f'"{word}"')
        else:
            shown.append(shlex.quote(word))
    return " ".join(shown)


def describe_policy(policy: str) -> str:
    return "`no` (none is set)" if policy == "no" else f"`{policy}`"


def restart_problem(
    params: RestartParams, before: ContainerLife, after: ContainerLife, baseline: int
) -> str:
    """Say, in a sentence, why the service was not seen running again."""
    name = params.service
    within = f"{params.within:g} s"
    if after.running and after.started_at == before.started_at:
        if params.crash:
            return (
                f"{name} kept running after `{show_command(params.crash)}`: the command"
                " did not make its main process exit, so nothing had to restart it"
                " (is the main process the app itself?)."
            )
        return f"{name} did not crash within {within}, so no restart could be seen."
    if after.running:
        return (
            f"{name} runs again, but the engine did not restart it (its restart count"
            f" is still {after.restarts}); a restart policy must do it."
        )
    if after.restarts > baseline:
        now = (
            f"exited with code {after.exit_code} again and stayed down"
            if after.status == "exited"
            else f"is still {after.status} after {within}"
        )
        return (
            f"{name} was restarted {after.restarts - baseline} time(s) but did not"
            f" stay up: it {now}."
        )
    if after.policy == "no":
        return (
            f"{name} exited with code {after.exit_code} and stayed down: it has no"
            " restart policy, and the engine restarts a crashed container only under"
            " one (`restart: on-failure`, `unless-stopped` or `always`)."
        )
    return (
        f"{name} exited with code {after.exit_code} and stayed down: its restart"
        f" policy {describe_policy(after.policy)} does not restart it after such an"
        " exit."
    )

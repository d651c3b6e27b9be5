"""Container checks: the student's image running, probed from outside."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Literal, cast

import docker.errors
from docker.types import Mount

from grader.checks.registry import Need, Outcome, Unavailable, check_kind
from grader.engine import containers
from grader.engine.session import ExerciseSession, RunningContainer


@dataclass(frozen=True)
class MountParams:
    """A volume or bind mount for a container the check starts (`--mount`)."""

    #: A named volume (`data`), or a path inside the exercise folder (`./config.json`).
    source: str
    #: The absolute path inside the container.
    target: str
    #: Mount it read-only.
    read_only: bool = False


@dataclass(frozen=True)
class HttpParams:
    """Where to send the request and what must come back."""

    #: The container port to send the request to.
    port: int
    #: The request path.
    path: str = "/"
    #: The HTTP status the answer must have.
    status: int = 200
    #: Text the response body must contain.
    body_contains: str | None = None
    #: Environment for a container of its own (`-e NAME=VALUE`); the shared
    #: container runs with the exercise's environment when neither this nor
    #: `mounts` is given.
    env: dict[str, str] = field(default_factory=dict)
    #: Mounts for a container of its own.
    mounts: list[MountParams] = field(default_factory=list)
    #: Build arguments for an image of its own (`docker build --build-arg`), built
    #: from the same context and run in a container of its own. They replace the
    #: exercise's `image.build_args`; `{}` builds with none, so the Dockerfile's
    #: ARG defaults apply.
    build_args: dict[str, str] | None = None


@check_kind("http_response", Need.CONTAINER, HttpParams)
def http_response(session: ExerciseSession, params: HttpParams) -> Outcome:
    """The running container answers a GET with the expected status and body.

    The grader waits for the port to accept connections (up to the exercise's
    `container.startup_timeout`), sends one GET and compares status and body. With
    `env` or `mounts` it starts a container of its own, so a runtime `-e` override or
    a bind-mounted config file can be graded by what the app then serves. With
    `build_args` the image is built again with those arguments instead of the
    exercise's, so a build ARG is graded by what the app shows: a value written
    into ENV by hand serves the same whatever `--build-arg` says, and fails.

    Example:
        - id: serves
          kind: http_response
          title: The app answers on port 8000
          points: 3
          params:
            port: 8000
            body_contains: Hello
    """
    evidence: dict[str, object] = {
        "request": f"GET http://<container>:{params.port}{params.path}"
    }
    if params.build_args is not None:
        evidence["built with"] = shown_build_args(params.build_args)
        running = session.start(
            env=params.env,
            mounts=mounts_for(session, params.mounts),
            image_id=variant_image(session, params.build_args),
        )
    elif params.env or params.mounts:
        running = session.start(
            env=params.env, mounts=mounts_for(session, params.mounts)
        )
    else:
        running = session.container()
    if params.env:
        evidence["run with"] = " ".join(f"-e {k}={v}" for k, v in params.env.items())
    answer, failure = request(session, running, params.port, params.path, evidence)
    if failure is not None:
        return failure
    assert answer is not None
    if answer.status != params.status:
        return Outcome(
            False,
            f"GET {params.path} answered with status {answer.status}, expected"
            f" {params.status}.",
            evidence,
        )
    if params.body_contains is not None and params.body_contains not in answer.body:
        return Outcome(
            False,
            f"GET {params.path} answered {answer.status}, but the body does not"
            f" contain {params.body_contains!r}.",
            evidence,
        )
    return Outcome(
        True,
        f"GET {params.path} on port {params.port} answered {answer.status} as"
        " expected.",
        evidence,
    )


def variant_image(session: ExerciseSession, build_args: dict[str, str]) -> str:
    """Build the student's image with other build args, once per set; return its id."""
    session.image()  # When the exercise's own build fails, that is the reason shown.
    key = "build-args:" + json.dumps(build_args, sort_keys=True)

    def build() -> str:
        name = "args-" + hashlib.sha256(key.encode()).hexdigest()[:10]
        result = session.build_variant(session.context, name, build_args)
        if not result.ok or result.image_id is None:
            raise Unavailable(
                f"the image did not build with {shown_build_args(build_args)}:"
                f" {result.error}",
                {"build log (last lines)": result.log_tail()},
            )
        return result.image_id

    return session.shared(key, build)


def shown_build_args(build_args: dict[str, str]) -> str:
    """Show build args as the `docker build` options that set them."""
    options = [f"--build-arg {name}={value}" for name, value in build_args.items()]
    return " ".join(options) or "no --build-arg (the ARG defaults)"


def request(
    session: ExerciseSession,
    running: RunningContainer,
    port: int,
    path: str,
    evidence: dict[str, object],
    method: str = "GET",
) -> tuple[containers.HttpAnswer | None, Outcome | None]:
    """Wait for `port`, send one request; return the answer, or the failing Outcome."""
    timeout = session.exercise.container.startup_timeout
    waited = running.wait_for_port(port, timeout)
    if waited is None:
        return None, not_listening(running, port, timeout, evidence)
    evidence["seconds until the port answered"] = round(waited, 1)
    answer = containers.http_get(running.address, port, path, method=method)
    if answer.status is None:
        evidence["container log (last lines)"] = containers.log_tail(running.container)
        return None, Outcome(
            False,
            f"Port {port} accepted a connection but gave no HTTP answer"
            f" ({answer.error}).",
            evidence,
        )
    evidence["status"] = answer.status
    evidence["body (start)"] = answer.body[:300]
    return answer, None


def mounts_for(session: ExerciseSession, specs: list[MountParams]) -> list[Mount]:
    """Turn mount params into docker mounts: labelled volumes, binds in the folder."""
    mounts = []
    for spec in specs:
        if spec.source.startswith((".", "/")):
            source = (session.folder / spec.source).resolve()
            if not source.is_relative_to(session.folder.resolve()):
                raise Unavailable(
                    f"the bind mount source {spec.source} is outside the exercise"
                    " folder"
                )
            if not source.exists():
                raise Unavailable(f"the bind mount source {spec.source} does not exist")
            mounts.append(
                Mount(spec.target, str(source), type="bind", read_only=spec.read_only)
            )
        else:
            volume = session.volume(spec.source)
            mounts.append(
                Mount(spec.target, volume, type="volume", read_only=spec.read_only)
            )
    return mounts


def not_listening(
    running: RunningContainer, port: int, timeout: float, evidence: dict[str, object]
) -> Outcome:
    """Say why nothing answered on `port`: the container exited, or never listened."""
    evidence["container log (last lines)"] = containers.log_tail(running.container)
    code = containers.exit_code(running.container)
    if code is not None:
        command = (
            " ".join(running.container.attrs["Config"].get("Cmd") or []) or "(none)"
        )
        evidence["exit code"] = code
        evidence["command"] = command
        return Outcome(
            False,
            f"The container exited with code {code} before anything listened on port"
            f" {port}; its command was `{command}`.",
            evidence,
        )
    return Outcome(
        False,
        f"Nothing accepted connections on port {port} within {timeout:g} s, though the"
        " container is running.",
        evidence,
    )


@dataclass(frozen=True)
class StopParams:
    """How fast the container must stop, and how to know its app is up first."""

    #: Seconds within which `docker stop` must have stopped the container.
    within: float = 3.0
    #: The stop timeout given to `docker stop` before it kills the container; at
    #: least `within` + 2 s is used, so a slow stop is measured, not cut short.
    grace: int = 5
    #: A port to wait for before stopping, so the app is surely running.
    port: int | None = None


#: The exit code of a process killed by SIGKILL (128 + 9), as the engine reports it.
KILLED = 137
#: How an image may name a signal in STOPSIGNAL, without `SIG`; unset is SIGTERM.
SIGTERM_NAMES = {"", "TERM", "15"}
SIGKILL_NAMES = {"KILL", "9"}


@check_kind("stops_promptly", Need.OWN_CONTAINER, StopParams)
def stops_promptly(session: ExerciseSession, params: StopParams) -> Outcome:
    """`docker stop` stops the container within N s: its main process gets SIGTERM.

    A container of its own is started, given time to listen on `port`, and stopped
    with `docker stop`, whose timeout is the larger of `grace` and `within` + 2 s;
    the time it takes and the exit code are measured. An exec-form CMD or
    ENTRYPOINT (or a shell form that `exec`s the app) lets the app receive SIGTERM
    and exit at once; with `/bin/sh` as PID 1 the signal is lost and Docker kills
    the container after the timeout. A container that was killed fails however
    fast it went (exit code 137, as `STOPSIGNAL SIGKILL` makes it), and so does an
    image whose STOPSIGNAL is SIGKILL; another STOPSIGNAL that the app exits on
    (SIGINT, say) is a graceful stop and passes. The check needs an exercise app
    that exits on SIGTERM: a process that installs no handler for it, as PID 1,
    ignores it.
    The evidence shows PID 1's command line and the image's STOPSIGNAL.

    Example:
        - id: stops-promptly
          kind: stops_promptly
          title: docker stop takes under 3 s
          points: 2
          params:
            within: 3
            port: 8000
    """
    stop_signal = str(
        (session.image_attrs().get("Config") or {}).get("StopSignal") or ""
    )
    signal_name = stop_signal.upper().removeprefix("SIG")
    running = session.start()
    container = running.container
    evidence: dict[str, object] = {"STOPSIGNAL": stop_signal or "(unset: SIGTERM)"}
    if params.port is not None:
        if (
            running.wait_for_port(
                params.port, session.exercise.container.startup_timeout
            )
            is None
        ):
            return not_listening(
                running,
                params.port,
                session.exercise.container.startup_timeout,
                evidence,
            )
    else:
        time.sleep(1.0)
    if not containers.is_running(container):
        evidence["container log (last lines)"] = containers.log_tail(container)
        return Outcome(
            False,
            "The container exited by itself with code"
            f" {containers.exit_code(container)} before it could be stopped.",
            evidence,
        )
    try:
        processes = container.top(ps_args="-o pid,args")
        first = next((row for row in processes.get("Processes") or []), None)
        if first:
            evidence["PID 1"] = first[-1]
    except docker.errors.APIError:
        pass

    started = time.monotonic()
    # The stop timeout must outlast the bound, or a slow stop could not be told apart.
    container.stop(timeout=max(params.grace, int(params.within) + 2))
    seconds = time.monotonic() - started
    code = containers.exit_code(container)
    evidence["seconds to stop"] = round(seconds, 2)
    evidence["exit code"] = code
    pid1 = evidence.get("PID 1", "?")
    if signal_name in SIGKILL_NAMES:
        return Outcome(
            False,
            f"The image sets STOPSIGNAL {stop_signal}, so `docker stop` kills the"
            " app at once (exit code"
            f" {code}) instead of asking it to stop with SIGTERM: remove the"
            " STOPSIGNAL line and let SIGTERM reach the app.",
            evidence,
        )
    if code == KILLED:
        how = (
            "after the timeout: SIGTERM did not reach the app"
            if seconds > params.within
            else "rather than stopped by SIGTERM"
        )
        return Outcome(
            False,
            f"The container was killed (exit code {KILLED}) {seconds:.1f} s after"
            f" `docker stop`, {how}. PID 1 was `{pid1}`.",
            evidence,
        )
    if seconds <= params.within:
        received = (
            "SIGTERM"
            if signal_name in SIGTERM_NAMES
            else f"its STOPSIGNAL {stop_signal}"
        )
        return Outcome(
            True,
            f"The container stopped {seconds:.1f} s after `docker stop` with exit"
            f" code {code}: its main process received {received} and exited.",
            evidence,
        )
    return Outcome(
        False,
        f"The container took {seconds:.1f} s to stop (limit {params.within:g} s)"
        f" and exited with code {code}: SIGTERM reached the app late. PID 1 was"
        f" `{pid1}`.",
        evidence,
    )


@dataclass(frozen=True)
class UserParams:
    """How to know the app is up before its processes are read."""

    #: A port to wait for first, so the app's own process is running.
    port: int | None = None


@check_kind("runs_as_non_root", Need.CONTAINER, UserParams)
def runs_as_non_root(session: ExerciseSession, params: UserParams) -> Outcome:
    """Every process in the running container has a real uid other than 0.

    The uids are read by the engine from the kernel (`docker top`), not from the
    Dockerfile, so USER by name or number, a user made with useradd or adduser, or a
    `--chown`ed app all pass, and a USER that an entrypoint switches back to root
    fails.

    Example:
        - id: non-root
          kind: runs_as_non_root
          title: The app does not run as root
          points: 3
          params:
            port: 8000
    """
    running = session.container()
    evidence: dict[str, object] = {}
    timeout = session.exercise.container.startup_timeout
    if params.port is not None and running.wait_for_port(params.port, timeout) is None:
        return not_listening(running, params.port, timeout, evidence)
    if not containers.is_running(running.container):
        evidence["container log (last lines)"] = containers.log_tail(running.container)
        return Outcome(
            False, "The container is not running, so no user can be read.", evidence
        )
    table = running.container.top(ps_args="-o uid,pid,args")
    rows = table.get("Processes") or []
    evidence["processes (uid pid command)"] = "\n".join(" ".join(row) for row in rows)
    root = [row for row in rows if row and row[0].strip() == "0"]
    if root:
        commands = ", ".join(f"`{row[-1]}`" for row in root[:3])
        return Outcome(
            False, f"{len(root)} process(es) run as root (uid 0): {commands}.", evidence
        )
    uids = sorted({row[0] for row in rows})
    return Outcome(
        True, f"No process runs as root (uids: {', '.join(uids)}).", evidence
    )


@dataclass(frozen=True)
class HealthyParams:
    """How long the container may take to report healthy."""

    #: Seconds within which the health status must become `healthy`.
    within: float = 30.0


@check_kind("turns_healthy", Need.CONTAINER, HealthyParams)
def turns_healthy(session: ExerciseSession, params: HealthyParams) -> Outcome:
    """The container's HEALTHCHECK reports `healthy` within N seconds.

    The engine's own health status is polled, so any health check command that
    succeeds while the app works passes, however it is written.

    Example:
        - id: healthy
          kind: turns_healthy
          title: The container turns healthy
          points: 2
          params:
            within: 20
    """
    running = session.container()
    status, seconds = wait_for_health(running, {"healthy"}, params.within)
    evidence = health_evidence(running)
    if status == "healthy":
        return Outcome(
            True, f"The container turned healthy after {seconds:.1f} s.", evidence
        )
    return Outcome(False, health_failure(status, "healthy", params.within), evidence)


@dataclass(frozen=True)
class FaultParams:
    """How to break the container's dependency, and how long it may take to notice."""

    #: A command run inside the container once it is healthy (exec form).
    exec: list[str] | None = None
    #: A request path sent to `port` once the container is healthy.
    http_path: str | None = None
    #: The port for `http_path`.
    port: int | None = None
    #: Environment that breaks the dependency from the start (`-e NAME=VALUE`).
    env: dict[str, str] = field(default_factory=dict)
    #: Seconds to turn healthy first, and then to turn unhealthy.
    within: float = 30.0


@check_kind("turns_unhealthy", Need.OWN_CONTAINER, FaultParams)
def turns_unhealthy(session: ExerciseSession, params: FaultParams) -> Outcome:
    """When the exercise breaks the app's dependency, the container turns `unhealthy`.

    A container of its own is started; once healthy, the fault is injected (a command
    inside it, or a request to the app); with `env` the fault is there from the start.
    A health check that tests nothing (`HEALTHCHECK CMD true`) never turns unhealthy
    and fails here; any check that really tests the dependency passes.

    Example:
        - id: notices-failure
          kind: turns_unhealthy
          title: The health check notices a broken dependency
          points: 3
          params:
            exec: [rm, /tmp/backend-ready]
            within: 20
    """
    running = session.start(env=params.env)
    evidence: dict[str, object] = {}
    if not params.env:
        status, _ = wait_for_health(running, {"healthy"}, params.within)
        if status != "healthy":
            evidence.update(health_evidence(running))
            return Outcome(
                False,
                health_failure(status, "healthy", params.within, " before the fault"),
                evidence,
            )
        evidence["fault"] = inject_fault(running, params)
    status, seconds = wait_for_health(running, {"unhealthy"}, params.within)
    evidence.update(health_evidence(running))
    if status == "unhealthy":
        return Outcome(
            True,
            f"After the fault the container turned unhealthy in {seconds:.1f} s.",
            evidence,
        )
    return Outcome(
        False,
        health_failure(status, "unhealthy", params.within, " after the fault"),
        evidence,
    )


def inject_fault(running: RunningContainer, params: FaultParams) -> str:
    """Break the dependency as the exercise says; return what was done, for evidence."""
    if params.exec:
        code, output = running.container.exec_run(params.exec)
        output = cast(bytes, output)
        shown = output.decode(errors="replace")[:200]
        return f"exec {' '.join(params.exec)} -> exit {code}: {shown}"
    if params.http_path and params.port:
        answer = containers.http_get(running.address, params.port, params.http_path)
        return f"GET {params.http_path} -> {answer.status or answer.error}"
    return "no fault configured"


def wait_for_health(
    running: RunningContainer, wanted: set[str], within: float
) -> tuple[str, float]:
    """Poll the health status every 0.5 s until it is in `wanted` or time is up."""
    started = time.monotonic()
    status = "none"
    while time.monotonic() - started < within:
        running.container.reload()
        state = running.container.attrs["State"]
        status = (state.get("Health") or {}).get("Status", "none")
        if status in wanted:
            break
        if not state.get("Running"):
            status = f"exited ({state.get('ExitCode')})"
            break
        if status == "none":
            break
        time.sleep(0.5)
    return status, time.monotonic() - started


def health_evidence(running: RunningContainer) -> dict[str, object]:
    """The last health probes the engine ran: exit codes and output."""
    health = running.container.attrs["State"].get("Health") or {}
    probes = health.get("Log") or []
    lines = [
        f"exit {probe.get('ExitCode')}: {str(probe.get('Output') or '').strip()[:120]}"
        for probe in probes[-3:]
    ]
    test = (running.container.attrs["Config"].get("Healthcheck") or {}).get("Test")
    return {
        "health check": " ".join(test or ["(none)"]),
        "health status": health.get("Status", "none"),
        "last probes": "\n".join(lines) or "(none yet)",
    }


def health_failure(status: str, wanted: str, within: float, when: str = "") -> str:
    """Say why the container did not reach `wanted`; `when` places it in time."""
    if status == "none":
        return (
            "The container has no HEALTHCHECK, so the engine reports no health status."
        )
    if status.startswith("exited"):
        return f"The container {status}{when} before it turned {wanted}."
    return (
        f"The container did not turn {wanted} within {within:g} s{when}"
        f" (status: {status})."
    )


@dataclass(frozen=True)
class LogParams:
    """What the container's output must show."""

    #: A regular expression the container's log must match.
    pattern: str
    #: A request sent first (to `port`), so the app has something to log.
    http_path: str | None = None
    #: The port for `http_path`.
    port: int | None = None
    #: Which output the line must appear on.
    stream: Literal["stdout", "stderr", "any"] = "any"
    #: Seconds to wait for the line.
    within: float = 10.0


@check_kind("logs_contain", Need.CONTAINER, LogParams)
def logs_contain(session: ExerciseSession, params: LogParams) -> Outcome:
    """The app writes to its standard output, where `docker logs` reads it.

    Optionally after one request, the container's log (`docker logs`) must match a
    pattern within N seconds; an app that logs to a file inside the container shows
    nothing there and fails.

    Example:
        - id: logs-requests
          kind: logs_contain
          title: Requests are logged to stdout
          points: 1
          params:
            http_path: /
            port: 8000
            pattern: "GET / "
    """
    running = session.container()
    evidence: dict[str, object] = {}
    if params.http_path and params.port:
        _, failure = request(session, running, params.port, params.http_path, evidence)
        if failure is not None:
            return failure
    expression = re.compile(params.pattern)
    started = time.monotonic()
    text = ""
    while time.monotonic() - started < params.within:
        text = running.container.logs(
            stdout=params.stream in ("stdout", "any"),
            stderr=params.stream in ("stderr", "any"),
        ).decode(errors="replace")
        if expression.search(text):
            return Outcome(
                True,
                f"The log shows {params.pattern!r}.",
                {"log (last lines)": tail_lines(text)},
            )
        time.sleep(0.3)
    evidence["log (last lines)"] = tail_lines(text) or "(empty)"
    where = {
        "any": "its output",
        "stdout": "its standard output",
        "stderr": "its standard error",
    }
    return Outcome(
        False,
        f"Nothing matching {params.pattern!r} appeared on {where[params.stream]}"
        f" within {params.within:g} s.",
        evidence,
    )


def tail_lines(text: str, count: int = 12) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])


@dataclass(frozen=True)
class Action:
    """One thing done to a container: a request to the app, or a command inside it."""

    #: A request path, sent to `port`.
    http_path: str | None = None
    #: The HTTP method for `http_path`.
    method: Literal["GET", "POST", "PUT"] = "GET"
    #: A command run inside the container (exec form).
    exec: list[str] | None = None


@dataclass(frozen=True)
class PersistParams:
    """Where the volume is mounted, how data is written and read back."""

    #: The path inside the container where the named volume is mounted.
    target: str
    #: How the data is written in the first container.
    write: Action
    #: How the data is read in the second container; its output must show `expect`.
    read: Action
    #: Text the read must return.
    expect: str
    #: The app's port, for http actions.
    port: int | None = None


@check_kind("volume_persists", Need.OWN_CONTAINER, PersistParams)
def volume_persists(session: ExerciseSession, params: PersistParams) -> Outcome:
    """Data written by the app survives removing its container: it lives on a volume.

    A named volume is mounted at `target`; a first container writes (through the app,
    or a command), and is removed; a second container on the same volume reads. Any
    app that keeps its data under `target` passes; data kept elsewhere in the
    container's own layer is lost with it and fails.

    Example:
        - id: survives
          kind: volume_persists
          title: Notes survive a new container
          points: 3
          params:
            target: /data
            port: 8000
            write: {http_path: /notes?add=brick-42, method: POST}
            read: {http_path: /notes}
            expect: brick-42
    """
    mount = mounts_for(session, [MountParams("persist", params.target)])
    evidence: dict[str, object] = {"volume": f"mounted at {params.target}"}
    first = session.start(mounts=mount)
    written, failure = act(session, first, params.write, params.port, evidence, "write")
    if failure is not None:
        return failure
    evidence["write"] = written
    first.container.remove(force=True)

    second = session.start(mounts=mount)
    read, failure = act(session, second, params.read, params.port, evidence, "read")
    if failure is not None:
        return failure
    evidence["read in a new container"] = read[:300]
    if params.expect in read:
        return Outcome(
            True,
            f"A new container on the same volume read back {params.expect!r}.",
            evidence,
        )
    return Outcome(
        False,
        f"A new container on the same volume did not find {params.expect!r}: the"
        " data was"
        f" not kept under {params.target}.",
        evidence,
    )


def act(
    session: ExerciseSession,
    running: RunningContainer,
    action: Action,
    port: int | None,
    evidence: dict[str, object],
    what: str,
) -> tuple[str, Outcome | None]:
    """Do `action`; return its output, or the Outcome that explains why it failed."""
    if action.exec:
        if port is not None:
            running.wait_for_port(port, session.exercise.container.startup_timeout)
        code, output = running.container.exec_run(action.exec)
        text = cast(bytes, output).decode(errors="replace")
        if code != 0:
            evidence[f"{what} command"] = " ".join(action.exec)
            evidence["exit code"] = code
            evidence["output"] = text[-500:]
            return "", Outcome(
                False, f"The {what} command exited with code {code}.", evidence
            )
        return text, None
    if action.http_path and port is not None:
        answer, failure = request(
            session, running, port, action.http_path, evidence, action.method
        )
        if failure is not None:
            return "", failure
        assert answer is not None
        if not 200 <= (answer.status or 0) < 300:
            return "", Outcome(
                False,
                f"The {what} request {action.method} {action.http_path} answered"
                f" {answer.status}.",
                evidence,
            )
        return answer.body, None
    raise Unavailable(
        f"the exercise's {what} action names neither a command nor a request with"
        " a port"
    )


@dataclass(frozen=True)
class OutputParams:
    """What a container that runs to completion must print and return."""

    #: The command to run instead of the image's default (exec form); none keeps it.
    command: list[str] | None = None
    #: Text its output (stdout and stderr) must contain.
    output_contains: str | None = None
    #: The exit code it must end with.
    exit_code: int = 0
    #: Seconds it may run.
    within: float = 20.0


@check_kind("run_output", Need.OWN_CONTAINER, OutputParams)
def run_output(session: ExerciseSession, params: OutputParams) -> Outcome:
    """A container of the image runs to completion with the expected output and code.

    For programs rather than servers: a container of its own runs the image's default
    command (or the one given), the grader waits for it to exit, and compares its exit
    code and output. Whatever produces the right output passes: a compiled binary, a
    script, a different base image.

    Example:
        - id: runs
          kind: run_output
          title: The program prints its greeting
          points: 2
          params:
            output_contains: Hello, bricks
    """
    running = session.start(command=params.command)
    evidence: dict[str, object] = {}
    try:
        status = running.container.wait(timeout=params.within)
    except (docker.errors.APIError, OSError, ValueError):
        evidence["output (last lines)"] = containers.log_tail(running.container)
        return Outcome(
            False,
            f"The container was still running after {params.within:g} s.",
            evidence,
        )
    code = int(status.get("StatusCode", -1))
    output = running.container.logs().decode(errors="replace")
    evidence["exit code"] = code
    evidence["output (last lines)"] = tail_lines(output) or "(none)"
    command = " ".join(running.container.attrs["Config"].get("Cmd") or [])
    evidence["command"] = command
    if code != params.exit_code:
        return Outcome(
            False,
            f"The container exited with code {code}, expected {params.exit_code}.",
            evidence,
        )
    if params.output_contains is not None and params.output_contains not in output:
        return Outcome(
            False, f"The output does not contain {params.output_contains!r}.", evidence
        )
    return Outcome(
        True,
        f"The container exited with code {code} and printed what it should.",
        evidence,
    )

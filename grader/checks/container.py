"""Container checks: the student's image running, probed from outside."""

from __future__ import annotations

import time
from dataclasses import dataclass

import docker.errors

from grader.checks.registry import Need, Outcome, check_kind
from grader.engine import containers
from grader.engine.session import ExerciseSession, RunningContainer


@dataclass(frozen=True)
class HttpParams:
    """Where to send the request and what must come back."""

    port: int
    path: str = "/"
    status: int = 200
    #: Text the response body must contain.
    body_contains: str | None = None


@check_kind("http_response", Need.CONTAINER, HttpParams)
def http_response(session: ExerciseSession, params: HttpParams) -> Outcome:
    """The running container answers a GET with the expected status and body."""
    running = session.container()
    url = f"http://<container>:{params.port}{params.path}"
    evidence: dict[str, object] = {"request": f"GET {url}"}
    waited = running.wait_for_port(
        params.port, session.exercise.container.startup_timeout
    )
    if waited is None:
        return not_listening(
            running, params.port, session.exercise.container.startup_timeout, evidence
        )
    evidence["seconds until the port answered"] = round(waited, 1)

    answer = containers.http_get(running.address, params.port, params.path)
    if answer.status is None:
        evidence["container log (last lines)"] = containers.log_tail(running.container)
        return Outcome(
            False,
            f"Port {params.port} accepted a connection but gave no HTTP answer"
            f" ({answer.error}).",
            evidence,
        )
    evidence["status"] = answer.status
    evidence["body (start)"] = answer.body[:300]
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
    #: The stop timeout given to `docker stop` before it kills the container.
    grace: int = 10
    #: A port to wait for before stopping, so the app is surely running.
    port: int | None = None


@check_kind("stops_promptly", Need.OWN_CONTAINER, StopParams)
def stops_promptly(session: ExerciseSession, params: StopParams) -> Outcome:
    """`docker stop` stops the container within N s: its main process gets SIGTERM."""
    running = session.start()
    container = running.container
    evidence: dict[str, object] = {}
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
    container.stop(timeout=params.grace)
    seconds = time.monotonic() - started
    code = containers.exit_code(container)
    evidence["seconds to stop"] = round(seconds, 2)
    evidence["exit code"] = code
    if seconds <= params.within:
        return Outcome(
            True,
            f"The container stopped {seconds:.1f} s after `docker stop`: its main"
            " process received SIGTERM and exited.",
            evidence,
        )
    return Outcome(
        False,
        f"The container took {seconds:.1f} s to stop (limit {params.within:g} s) and"
        " was"
        f" killed (exit code {code}): SIGTERM did not reach the app. PID 1 was"
        f" `{evidence.get('PID 1', '?')}`.",
        evidence,
    )

"""Running a student's image as a container with limits, and talking to it."""

from __future__ import annotations

import http.client
import logging
import socket
import time
from dataclasses import dataclass

import docker
import docker.errors
from docker.models.containers import Container
from docker.types import Mount
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer

from grader.engine.limits import DEFAULT_LIMITS, Limits, cgroup_parent

log = logging.getLogger(__name__)

# Ryuk, testcontainers' reaper, is an image that cannot be pulled offline; brickyard
# removes what it creates by label instead (grader.engine.cleanup).
testcontainers_config.ryuk_disabled = True


def start_container(
    image: str,
    labels: dict[str, str],
    network: str,
    limits: Limits = DEFAULT_LIMITS,
    environment: dict[str, str] | None = None,
    mounts: list[Mount] | None = None,
    command: list[str] | None = None,
) -> Container:
    """Start `image` detached on `network`, with limits and without extra privileges."""
    wrapper = DockerContainer(image, env=environment or {})
    if command:
        wrapper.with_command(command)
    wrapper.with_kwargs(
        mounts=mounts or [],
        labels=labels,
        network=network,
        mem_limit=limits.memory,
        memswap_limit=limits.memory,
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        privileged=False,
        security_opt=["no-new-privileges"],
        **({"cgroup_parent": parent} if (parent := cgroup_parent()) else {}),
    )
    wrapper.start()
    container = wrapper.get_wrapped_container()
    container.reload()
    return container


def container_address(container: Container, network: str) -> str:
    """Return the container's IP address on `network`."""
    container.reload()
    networks = container.attrs["NetworkSettings"]["Networks"]
    return str(networks.get(network, {}).get("IPAddress", ""))


def is_running(container: Container) -> bool:
    """Tell whether the container is still running."""
    try:
        container.reload()
    except docker.errors.NotFound:
        return False
    return bool(container.attrs["State"]["Running"])


def exit_code(container: Container) -> int | None:
    """Return the exit code of a stopped container, or None while it runs."""
    container.reload()
    state = container.attrs["State"]
    return None if state["Running"] else int(state["ExitCode"])


def log_tail(container: Container, lines: int = 15) -> str:
    """Return the last lines the container wrote to stdout and stderr."""
    try:
        raw: bytes = container.logs(tail=lines)
    except docker.errors.APIError:
        return ""
    return raw.decode(errors="replace").rstrip()


def wait_for_port(
    container: Container, address: str, port: int, timeout: float
) -> float | None:
    """Wait until the container accepts TCP connections on `port`; return seconds taken.

    Returns None when the deadline passes or the container exits first. The wait polls
    every 0.2 s and is bounded by `timeout`.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        # An exited container's address goes back to the network's pool, and the
        # next container started there may get it: only a running one answers here.
        if not is_running(container):
            return None
        try:
            with socket.create_connection((address, port), timeout=1):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    return None


@dataclass
class HttpAnswer:
    """One HTTP response, or the reason there was none."""

    status: int | None = None
    body: str = ""
    error: str | None = None


def http_get(
    address: str, port: int, path: str, timeout: float = 5.0, method: str = "GET"
) -> HttpAnswer:
    """Send one request to address:port and return what came back."""
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read(64 * 1024).decode(errors="replace")
        return HttpAnswer(status=response.status, body=body)
    except (OSError, http.client.HTTPException) as error:
        return HttpAnswer(error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()

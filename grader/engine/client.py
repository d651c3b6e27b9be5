"""Connecting to the Docker engine, and saying what to do when none answers."""

from __future__ import annotations

import logging
import os

import docker
import docker.context
import docker.context.config
import docker.errors

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """No Docker engine answered; the message names the host tried and what next."""


#: Set by `adopt_cli_context`: the docker CLI context that DOCKER_HOST came from.
_ADOPTED: dict[str, str] = {}


def adopt_cli_context() -> str | None:
    """Point DOCKER_HOST at the docker CLI's current context; return its name.

    The docker SDK reads DOCKER_HOST but not the CLI's contexts, so where a context
    other than `default` is in use (Docker Desktop on Linux, colima, a rootless
    engine) the SDK would knock at /var/run/docker.sock while `docker` itself
    talks to the right engine. Setting DOCKER_HOST for this process makes every
    client, and the `docker compose` runs, use the engine the CLI uses. Nothing
    changes where DOCKER_HOST is set or the context is `default`; a context with
    TLS settings is left to DOCKER_HOST and DOCKER_CERT_PATH, which say more.
    """
    if os.environ.get("DOCKER_HOST"):
        return None
    name = os.environ.get("DOCKER_CONTEXT") or (
        docker.context.config.get_current_context_name()
    )
    if not name or name == "default":
        return None
    try:
        context = docker.context.ContextAPI.get_context(name)
    except docker.errors.DockerException as error:
        log.warning("could not read the docker CLI context %r: %s", name, error)
        return None
    if context is None or not context.Host or context.TLSConfig:
        return None
    os.environ["DOCKER_HOST"] = context.Host
    _ADOPTED["name"] = name
    log.debug("using the docker CLI context %r: %s", name, context.Host)
    return name


def describe_host() -> str:
    """Return the Docker host the SDK will try, as a person would write it."""
    host = os.environ.get("DOCKER_HOST")
    if host and "name" in _ADOPTED:
        return f"{host} (the docker CLI context {_ADOPTED['name']!r})"
    return host or "unix:///var/run/docker.sock (the default)"


def connect(timeout: int = 120) -> docker.DockerClient:
    """Return a client for the environment's engine, or raise EngineUnavailable."""
    adopt_cli_context()
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, OSError) as error:
        raise EngineUnavailable(
            f"No Docker engine answered at {describe_host()}: {first_line(error)}\n"
            "Next step: start Docker (Docker Desktop, or 'sudo systemctl start docker'"
            " on Linux). On a Debian machine as root, 'scripts/provision-engine'"
            " installs and starts one. If the engine runs elsewhere, set DOCKER_HOST."
        ) from error
    log.debug("connected to Docker engine %s", client.version().get("Version"))
    return client


def first_line(error: BaseException) -> str:
    """Return the first line of an exception's text, for one-line messages."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]

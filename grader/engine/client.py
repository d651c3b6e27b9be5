"""Connecting to the Docker engine, and saying what to do when none answers."""

from __future__ import annotations

import logging
import os

import docker
import docker.errors

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """No Docker engine answered; the message names the host tried and what next."""


def describe_host() -> str:
    """Return the Docker host the SDK will try, as a person would write it."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock (the default)"


def connect(timeout: int = 120) -> docker.DockerClient:
    """Return a client for the environment's engine, or raise EngineUnavailable."""
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

"""Registry checks: the student's image pushed to a local registry and pulled back."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors
from docker.models.containers import Container

from grader.checks.registry import Need, Outcome, Unavailable, check_kind
from grader.engine import cleanup
from grader.engine.session import ExerciseSession

REGISTRY_IMAGE = "registry:2.8"


@dataclass(frozen=True)
class PushParams:
    """The name the image is pushed under, without the registry's host."""

    #: The repository, e.g. `team/greeter`.
    repository: str
    #: The tag, e.g. `1.0`.
    tag: str
    #: The registry image to run; a stand-in where none can be pulled.
    registry_image: str = REGISTRY_IMAGE
    #: A file of the exercise where the student writes the full reference to push,
    #: `HOST[:PORT]/REPOSITORY:TAG`, as a `NAME=value` line (`release.env`); it must
    #: name one of `registry_hosts`, `repository` and `tag`. None: the grader names
    #: the image itself.
    reference_file: str | None = None
    #: The variable of `reference_file` that holds the reference.
    reference_variable: str = "IMAGE"
    #: The registry addresses the reference may name (`localhost:5000`); the grader
    #: pushes to a registry of its own in their place. Empty: any address.
    registry_hosts: list[str] = field(default_factory=list)


@check_kind("registry_roundtrip", Need.OWN_CONTAINER, PushParams)
def registry_roundtrip(session: ExerciseSession, params: PushParams) -> Outcome:
    """The image can be tagged, pushed to a registry, and pulled back unchanged.

    A registry runs in a container of its own, reachable from the engine at
    127.0.0.1; the student's image is tagged `127.0.0.1:PORT/<repository>:<tag>`,
    pushed, its local tag removed, and pulled back. The check passes when the
    registry lists the repository and tag and the pulled image has the same id as
    the one pushed. With `reference_file`, the student names the image: the file's
    reference must name a registry (else `docker push` goes to Docker Hub), the
    repository in lowercase and the tag (else Docker pushes `latest`); quotes,
    `export` and comments are allowed, as in any `.env` file.

    Example:
        - id: pushed
          kind: registry_roundtrip
          title: The image goes to the registry and comes back
          points: 2
          params:
            repository: team/greeter
            tag: "1.0"
            reference_file: release.env
            registry_hosts: [localhost:5000]
    """
    evidence: dict[str, object] = {}
    if params.reference_file is not None:
        problem = reference_problem(session.folder, params, evidence)
        if problem is not None:
            return Outcome(False, problem, evidence)
    image_id = session.image().image_id
    assert image_id is not None
    address = session.shared("registry", lambda: start_registry(session, params))
    name = f"{address}/{params.repository}"
    reference = f"{name}:{params.tag}"
    evidence["pushed as"] = reference
    image = session.client.images.get(image_id)
    try:
        tagged = image.tag(name, params.tag)
    except docker.errors.APIError as refused:
        tagged = False
        evidence["engine said"] = str(refused.explanation or refused)
    if not tagged:
        return Outcome(
            False,
            f"The image could not be tagged {params.repository}:{params.tag}:"
            f" {evidence.get('engine said', 'the engine refused')}.",
            evidence,
        )
    session.on_close(
        lambda: cleanup.attempt(session.client.images.remove, reference, force=True)
    )

    error = stream_error(session.client.images.push(name, params.tag, stream=True))
    if error:
        evidence["push error"] = error
        return Outcome(False, f"Pushing {reference} failed: {error}", evidence)
    tags = read_json(f"http://{address}/v2/{params.repository}/tags/list")
    evidence["registry tags"] = ", ".join((tags or {}).get("tags") or []) or "(none)"
    session.client.images.remove(reference)
    try:
        pulled = session.client.images.pull(name, tag=params.tag)
    except docker.errors.APIError as failure:
        evidence["pull error"] = str(failure.explanation or failure)
        return Outcome(False, f"Pulling {reference} back failed.", evidence)
    evidence["pulled image"] = (pulled.id or "")[:19]
    if params.tag not in ((tags or {}).get("tags") or []):
        return Outcome(
            False,
            f"The registry does not list tag {params.tag} after the push.",
            evidence,
        )
    if pulled.id != image_id:
        return Outcome(
            False, "The image pulled back differs from the one pushed.", evidence
        )
    return Outcome(True, f"{reference} was pushed and pulled back unchanged.", evidence)


def start_registry(session: ExerciseSession, params: PushParams) -> str:
    """Run a registry published on 127.0.0.1 and return its `host:port`."""
    client = session.client
    try:
        client.images.get(params.registry_image)
    except docker.errors.ImageNotFound:
        raise Unavailable(
            f"the registry image {params.registry_image} is not on the engine; run"
            " `nox -s images`"
        ) from None
    container: Container = client.containers.run(
        params.registry_image,
        detach=True,
        labels=session.labels,
        # Port 0: the engine picks a free host port.
        ports={"5000/tcp": ("127.0.0.1", 0)},
        mem_limit="256m",
        pids_limit=256,
    )
    session.on_close(lambda: cleanup.attempt(container.remove, force=True, v=True))
    container.reload()
    binding = container.attrs["NetworkSettings"]["Ports"]["5000/tcp"][0]
    address = f"127.0.0.1:{binding['HostPort']}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if read_json(f"http://{address}/v2/") is not None:
            return address
        time.sleep(0.2)
    raise Unavailable(f"the registry at {address} did not answer within 20 s")


def read_json(url: str) -> Any:
    """GET `url` and decode its JSON body; None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return None


def stream_error(chunks: Any) -> str | None:
    """Read a push or pull stream to its end; return the error it reported, if any."""
    for chunk in chunks:
        for line in chunk.decode(errors="replace").splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if "error" in data:
                return str(data["error"])
    return None


@dataclass(frozen=True)
class Reference:
    """An image reference split as Docker splits it."""

    #: The registry's `host[:port]`; None when the name has none (Docker Hub).
    host: str | None
    repository: str
    #: None when the reference has no tag, which Docker reads as `latest`.
    tag: str | None
    digest: str | None = None


def parse_reference(text: str) -> Reference:
    """Split `text` into registry host, repository, tag and digest.

    Docker reads the first path component as a registry host only when it holds a
    `.` or a `:` or is `localhost`; `team/greeter` is a Docker Hub repository.
    """
    name, _, digest = text.strip().partition("@")
    tag = None
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return Reference(first, rest, tag, digest or None)
    return Reference(None, name, tag, digest or None)


_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def read_variable(text: str, variable: str) -> str | None:
    """Return the value of `variable` in `.env`-style text, or None when unset.

    The last assignment wins, as when a shell sources the file; a value may be
    quoted, and a comment may follow it after ` #`.
    """
    value = None
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if not match or match[1] != variable:
            continue
        raw = match[2].strip()
        if raw[:1] in ("'", '"'):
            # A quoted value ends at its closing quote; a comment may follow.
            end = raw.find(raw[0], 1)
            value = raw[1:end] if end > 0 else raw[1:]
        else:
            value = raw.split(" #", 1)[0].strip()
    return value


def reference_problem(
    folder: Path, params: PushParams, evidence: dict[str, object]
) -> str | None:
    """Say what is wrong with the reference the student wrote; None when it is right."""
    assert params.reference_file is not None
    path = folder / params.reference_file
    wanted_host = params.registry_hosts[0] if params.registry_hosts else "HOST:PORT"
    wanted = f"{wanted_host}/{params.repository}:{params.tag}"
    evidence["expected"] = wanted
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return (
            f"There is no {params.reference_file} in the exercise folder: create it"
            f" with the line `{params.reference_variable}={wanted}`."
        )
    value = read_variable(text, params.reference_variable)
    if not value:
        return (
            f"{params.reference_file} does not set {params.reference_variable}: add"
            f" the line `{params.reference_variable}={wanted}`."
        )
    evidence[f"{params.reference_variable} in {params.reference_file}"] = value
    found = parse_reference(value)
    problems = []
    if found.host is None:
        problems.append(
            "it names no registry, so `docker push` would send it to Docker Hub;"
            f" start it with `{wanted_host}/`"
        )
    elif params.registry_hosts and found.host not in params.registry_hosts:
        problems.append(
            f"it names the registry {found.host}, not"
            f" {' or '.join(params.registry_hosts)}"
        )
    if found.repository != params.repository:
        capitals = found.repository.lower() == params.repository
        problems.append(
            f"its repository is `{found.repository}`, not `{params.repository}`"
            + (
                " (Docker refuses capital letters in repository names)"
                if capitals
                else ""
            )
        )
    if found.digest is not None:
        problems.append("a digest (`@sha256:...`) names content, not a tag to push to")
    elif found.tag is None:
        problems.append(
            f"it has no tag, so Docker would push `latest`; end it with `:{params.tag}`"
        )
    elif found.tag != params.tag:
        problems.append(f"its tag is `{found.tag}`, not `{params.tag}`")
    if problems:
        return (
            f"`{value}` in {params.reference_file} is not the reference asked for: "
            + "; ".join(problems)
            + "."
        )
    return None

"""Registry checks: the student's image pushed to a local registry and pulled back."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
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


@check_kind("registry_roundtrip", Need.OWN_CONTAINER, PushParams)
def registry_roundtrip(session: ExerciseSession, params: PushParams) -> Outcome:
    """The image can be tagged, pushed to a registry, and pulled back unchanged.

    A registry runs in a container of its own, reachable from the engine at
    127.0.0.1; the student's image is tagged `127.0.0.1:PORT/<repository>:<tag>`,
    pushed, its local tag removed, and pulled back. The check passes when the
    registry lists the repository and tag and the pulled image has the same id as
    the one pushed.

    Example:
        - id: pushed
          kind: registry_roundtrip
          title: The image goes to the registry and comes back
          points: 2
          params:
            repository: team/greeter
            tag: "1.0"
    """
    image_id = session.image().image_id
    assert image_id is not None
    address = session.shared("registry", lambda: start_registry(session, params))
    name = f"{address}/{params.repository}"
    reference = f"{name}:{params.tag}"
    evidence: dict[str, object] = {"pushed as": reference}
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

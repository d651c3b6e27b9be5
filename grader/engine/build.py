"""Building a student's image with the docker SDK, under a deadline, keeping the log."""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.utils

from grader.engine import guards
from grader.engine.client import first_line
from grader.engine.explain import Explanation, explain_failure
from grader.engine.labels import PID
from grader.engine.limits import (
    DEFAULT_LIMITS,
    Limits,
    build_cgroup,
    build_cgroup_name,
    memory_bytes,
    release_cgroup,
)
from grader.engine.progress import is_grader_label

log = logging.getLogger(__name__)

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
# The legacy builder colours a step's stderr with terminal escape codes.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class BuildStep:
    """One Dockerfile instruction as the legacy builder reported it."""

    number: int
    instruction: str
    cached: bool = False
    image_id: str | None = None
    #: A LABEL step the engine added for the grader's own labels, not the student's.
    grader: bool = False


@dataclass
class BuildResult:
    """What a build produced: an image id, or the reason there is none."""

    tag: str
    image_id: str | None = None
    error: str | None = None
    log_lines: list[str] = field(default_factory=list)
    steps: list[BuildStep] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False
    #: The guards refused the context; nothing was sent to the engine.
    refused: bool = False
    #: The end of the stream's text not yet ended by a newline: the engine may send
    #: one line in pieces (apt's "E" and ": Failed to fetch ...").
    partial: str = field(default="", repr=False)
    #: How many LABEL steps the legacy builder appends for the grader's labels (one
    #: per label, after the student's last step); they are kept out of the log.
    hidden_steps: int = 0
    #: The failure said in a student's terms, when it is one the grader recognises.
    explanation: Explanation | None = None
    #: True while the stream is inside one of the grader's LABEL steps.
    hiding: bool = field(default=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.image_id is not None and self.error is None

    @property
    def student_steps(self) -> list[BuildStep]:
        """The steps of the student's Dockerfile, without the grader's LABEL steps."""
        return [step for step in self.steps if not step.grader]

    def log_tail(self, lines: int = 15) -> str:
        """Return the last lines of the build output, for feedback and evidence."""
        return "\n".join(self.log_lines[-lines:])

    def intermediate_ids(self) -> list[str]:
        """Return the ids of the images this build made for its steps, last step first.

        A FROM step reports the base image's id, and a step taken from the cache an
        image an earlier build made: neither is this build's to remove.
        """
        return [
            step.image_id
            for step in reversed(self.steps)
            if step.image_id and not step.cached and not is_from(step)
        ]


def build_image(
    client: docker.DockerClient,
    context: Path,
    dockerfile: str,
    tag: str,
    labels: dict[str, str],
    timeout: float,
    network_mode: str = "none",
    buildargs: dict[str, str] | None = None,
    folder: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    on_step_image: Callable[[str], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    target: str | None = None,
) -> BuildResult:
    """Build `context` with `dockerfile` into `tag`, taking at most `timeout` s.

    `folder` is the exercise folder the context must stay in; the context is checked
    against the guards before anything is sent. `on_line` is called, from the thread
    that reads the engine's stream, with each line of build output as it arrives
    (`Step 3/7 : RUN ...` among them), so a caller can show progress. `target` is
    the stage to stop at, as `docker build --target` names it.
    """
    result = BuildResult(tag=tag, hidden_steps=len(labels))
    if not (context / dockerfile).is_file():
        result.error = f"There is no {dockerfile} in {context}."
        return result
    refusal = guards.check_context(context, dockerfile, folder or context)
    if refusal:
        result.error = refusal
        result.refused = True
        return result
    cgroup_name = build_cgroup_name(tag, labels.get(PID))
    parent = build_cgroup(cgroup_name)

    # A client of its own, so that closing it on timeout aborts only this build: the
    # engine cancels a legacy build when its client goes away.
    api = BuildClient(
        **docker.utils.kwargs_from_env(),
        version=client.api.api_version,
        timeout=int(timeout) + 30,
    )
    api.cgroup_parent = parent
    done = threading.Event()
    started = time.monotonic()

    def consume() -> None:
        try:
            stream = api.build(
                path=str(context),
                dockerfile=dockerfile,
                tag=tag,
                labels=labels,
                network_mode=network_mode,
                buildargs=buildargs or {},
                target=target,
                rm=True,
                forcerm=True,
                decode=True,
                container_limits={
                    "memory": memory_bytes(limits.build_memory),
                    "memswap": memory_bytes(limits.build_memory),
                },
            )
            for chunk in stream:
                seen = len(result.log_lines)
                made = read_chunk(result, chunk)
                if made and on_step_image:
                    on_step_image(made)
                if on_line:
                    tell(on_line, result.log_lines[seen:])
        except Exception as error:  # any failure of the stream ends this build
            if not result.timed_out:
                reason = (
                    error.explanation
                    if isinstance(error, docker.errors.APIError) and error.explanation
                    else first_line(error)
                )
                result.error = f"The engine stopped the build: {reason}"
        finally:
            done.set()

    worker = threading.Thread(target=consume, name=f"build {tag}", daemon=True)
    worker.start()
    try:
        finished = done.wait(timeout)
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM): stop the build before cleanup starts, so
        # it makes nothing more to clean.
        api.abort()
        done.wait(30)
        wait_for_step_containers(client, result)
        adopt_late_images(client, result, started, labels, on_step_image)
        release_cgroup(cgroup_name)
        raise
    if not finished:
        result.timed_out = True
        result.error = f"The build did not finish within {timeout:g} s and was stopped."
        api.abort()
        done.wait(30)
        wait_for_step_containers(client, result)
        adopt_late_images(client, result, started, labels, on_step_image)
    api.close()
    release_cgroup(cgroup_name)
    result.seconds = time.monotonic() - started
    if result.error:
        result.image_id = None
    elif result.image_id is None:
        result.error = "The build ended without producing an image."
    if result.error and not result.timed_out:
        result.explanation = explain_failure(client, context / dockerfile, result)
    log.info(
        "built %s in %.1fs: %s", tag, result.seconds, result.error or result.image_id
    )
    return result


#: What the engine says when a build's cached step image was removed under it.
_LOST_CACHE = re.compile(
    r"No such image|layer does not exist|failed to (get|register) layer"
    r"|unknown parent image|reference does not exist",
    re.IGNORECASE,
)


def lost_cache(error: str) -> bool:
    """Tell whether a build failed because an image it built on was removed."""
    return bool(_LOST_CACHE.search(error))


def build_image_retrying(
    client: docker.DockerClient,
    *args: Any,
    on_failed_attempt: Callable[[BuildResult], None] | None = None,
    **kwargs: Any,
) -> BuildResult:
    """Run build_image, and once more when a cached layer was removed under it.

    Another grading run on the same engine may remove a cached step image this
    build is about to build on (the legacy builder holds no claim on its cache).
    Such a build fails for no fault of the student's, so it is tried once more,
    and logged; `on_failed_attempt` gets the failed result, whose step images
    its caller removes with the rest.
    """
    started = time.time()
    result = build_image(client, *args, **kwargs)
    if result.ok or not lost_cache(result.error or ""):
        return result
    log.warning(
        "build of %s lost a cached layer (%s); retrying", result.tag, result.error
    )
    remove_broken_commits(client, started)
    if on_failed_attempt is not None:
        on_failed_attempt(result)
    result = build_image(client, *args, **kwargs)
    if not result.ok and lost_cache(result.error or ""):
        remove_broken_commits(client, started)
    return result


def remove_broken_commits(client: docker.DockerClient, since: float) -> int:
    """Remove the step images that lost their parent while this build made them.

    When another run removes a cached step image at the moment this build commits
    a step on top of it, the engine keeps the new image but fails to link it to its
    parent ("failed to set parent ... unknown parent image ID"); the build never
    names it, so no ledger lists it. Such an image is untagged, has no parent and
    no children, was made by a legacy build step (`/bin/sh -c ...`) and was created
    since `since`: nothing else on the engine looks like that, since a pulled or
    loaded image keeps the creation time it was built with.
    """
    removed = 0
    try:
        dangling = client.images.list(filters={"dangling": True})
    except docker.errors.DockerException as error:
        log.warning("could not list dangling images: %s", error)
        return 0
    for image in dangling:
        attrs = image.attrs
        command = (attrs.get("ContainerConfig") or {}).get("Cmd") or []
        created = created_at(str(attrs.get("Created") or ""))
        if attrs.get("Parent") or command[:2] != ["/bin/sh", "-c"]:
            continue
        if created is None or created < since - 1:
            continue
        with contextlib.suppress(docker.errors.DockerException):
            client.images.remove(str(image.id))
            removed += 1
            log.info("removed %s, a step image that lost its parent", image.short_id)
    return removed


def created_at(text: str) -> float | None:
    """Read the engine's `Created` time (RFC 3339, nanoseconds) as a Unix time."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?", text)
    if match is None:
        return None
    fraction = float(match[2]) if match[2] else 0.0
    moment = datetime.datetime.fromisoformat(match[1]).replace(
        tzinfo=datetime.timezone.utc
    )
    return moment.timestamp() + fraction


def tell(on_line: Callable[[str], None], lines: list[str]) -> None:
    """Pass new build lines to a progress callback, which must not break the build."""
    for line in lines:
        try:
            on_line(line)
        except Exception:  # a display problem is not the student's build failing
            log.exception("the build progress callback failed")
            return


def wait_for_step_containers(
    client: docker.DockerClient, result: BuildResult, timeout: float = 15
) -> None:
    """After an abort, wait until the engine has removed the step it was running.

    The step's container runs from the last step image this build made, which no
    other container uses; until it is gone, that image cannot be removed.
    """
    made = result.intermediate_ids()
    if not made:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            running = client.containers.list(
                all=True, filters={"ancestor": made[0]}, sparse=True
            )
        except docker.errors.APIError:
            return
        if not running:
            return
        time.sleep(0.2)
    log.warning("the aborted build's step container is still there after %ss", timeout)


def adopt_late_images(
    client: docker.DockerClient,
    result: BuildResult,
    started: float,
    labels: dict[str, str],
    on_step_image: Callable[[str], None] | None,
) -> None:
    """After an abort, take in the step images the engine committed once cut off.

    The engine finishes committing the step it was on (a LABEL step takes no time)
    after the stream is cut, so the build never hears of that image, and it keeps
    the images before it from being removed. Those are the untagged descendants of
    this build's last step image, made since the build started, that carry no other
    run's process label.
    """
    made = result.intermediate_ids()
    if not made:
        return
    try:
        listed: list[dict[str, Any]] = client.api.images(all=True)
    except docker.errors.APIError:
        return
    children: dict[str, list[dict[str, Any]]] = {}
    for image in listed:
        children.setdefault(str(image.get("ParentId") or ""), []).append(image)
    since = time.time() - (time.monotonic() - started) - 5
    pid = labels.get(PID)
    frontier = [
        str(image["Id"])
        for image in listed
        if str(image["Id"]).removeprefix("sha256:").startswith(made[0])
    ]
    while frontier:
        for child in children.get(frontier.pop(), []):
            theirs = (child.get("Labels") or {}).get(PID)
            tagged = [tag for tag in child.get("RepoTags") or [] if "<none>" not in tag]
            if (
                tagged
                or int(child.get("Created") or 0) < since
                or theirs not in (None, pid)
            ):
                continue
            short = str(child["Id"]).removeprefix("sha256:")[:12]
            result.steps.append(
                BuildStep(0, "(committed after the build was stopped)", image_id=short)
            )
            if on_step_image:
                on_step_image(short)
            frontier.append(str(child["Id"]))


def is_from(step: BuildStep) -> bool:
    return step.instruction.upper().startswith("FROM")


class BuildClient(docker.APIClient):
    """An API client for one build: under a parent cgroup, and abortable.

    The engine's build endpoint takes `cgroupparent`, but the SDK's `build()` has no
    argument for it, so it is added to the query of that one request. The request's
    response is kept so that `abort()` can cut its connection.
    """

    cgroup_parent: str | None = None
    response: Any = None

    def _post(self, url: str, **kwargs: Any) -> Any:
        # The SDK's stubs omit its private request helper.
        if not url.endswith("/build"):
            return super()._post(url, **kwargs)  # type: ignore[misc]
        if self.cgroup_parent:
            params = {**kwargs.get("params", {}), "cgroupparent": self.cgroup_parent}
            kwargs["params"] = params
        self.response = super()._post(url, **kwargs)  # type: ignore[misc]
        return self.response

    def abort(self) -> None:
        """Cut the build's connection, so the engine cancels the build at once.

        Closing the session alone leaves a read blocked in the other thread while
        the engine goes on building; shutting the socket down ends both.
        """
        raw = getattr(self.response, "raw", None)
        connection = getattr(raw, "_connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.close()


def read_chunk(result: BuildResult, chunk: dict[str, Any]) -> str | None:
    """Fold one decoded chunk of the engine's build stream into `result`.

    Returns the id of an image the chunk says this build made for a step, if any.
    """
    made = None
    if "error" in chunk:
        if result.partial.strip():
            result.log_lines.append(result.partial.rstrip())
        result.partial = ""
        result.error = str(chunk["error"]).strip()
        result.log_lines.append(result.error)
        return None
    aux = chunk.get("aux")
    if isinstance(aux, dict) and "ID" in aux:
        result.image_id = str(aux["ID"])
    text = chunk.get("stream")
    if not isinstance(text, str):
        return None
    lines = (result.partial + _ANSI.sub("", text)).replace("\r", "\n").split("\n")
    result.partial = lines.pop()
    for line in lines:
        line = line.rstrip()
        if not line:
            continue
        if match := _STEP.match(line):
            number, total = int(match[1]), int(match[2])
            shown = total - result.hidden_steps
            # The legacy builder appends one LABEL step per label given to the build;
            # the student wrote `shown` steps and sees only those, numbered of them.
            result.hiding = number > shown and is_grader_label(match[3])
            result.steps.append(BuildStep(number, match[3], grader=result.hiding))
            if not result.hiding:
                result.log_lines.append(f"Step {number}/{shown} : {match[3]}")
            continue
        if result.hiding and line.startswith("Successfully "):
            result.hiding = False
        if not result.hiding:
            result.log_lines.append(line)
        if result.steps and line.strip() == "---> Using cache":
            result.steps[-1].cached = True
        elif result.steps and (match := _STEP_IMAGE.match(line)):
            step = result.steps[-1]
            step.image_id = match[1]
            if not step.cached and not is_from(step):
                made = match[1]
    return made

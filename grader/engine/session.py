"""One exercise's shared engine work: one build, one network, one running container.

Checks ask the session for what they need; the first to ask pays for it and the rest
reuse it. A failure to build or start is remembered, so every check that needs the
image fails with the same build log instead of building again. `close()` removes
everything the session created.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import docker
import docker.errors
from docker.models.containers import Container
from docker.types import Mount

from grader.checks.registry import Unavailable
from grader.engine import cleanup, containers, packages
from grader.engine.build import BuildResult, build_image_retrying
from grader.engine.client import first_line
from grader.engine.labels import RunIdentity
from grader.engine.ledger import Ledger
from grader.engine.progress import ProgressNote
from grader.spec.model import Exercise

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The offline package cache serves files from its image: little memory, few threads.
PACKAGE_CACHE_LIMITS = containers.Limits(memory="128m", pids=64)


@dataclass
class RunningContainer:
    """A started container and the address the grader reaches it at."""

    container: Container
    address: str

    def wait_for_port(self, port: int, timeout: float) -> float | None:
        return containers.wait_for_port(self.container, self.address, port, timeout)


class ExerciseSession:
    """The engine resources of one exercise in one grading run."""

    def __init__(
        self,
        exercise: Exercise,
        client: docker.DockerClient,
        identity: RunIdentity,
        ledger: Ledger | None = None,
        listener: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.exercise = exercise
        self.client = client
        self.identity = identity
        self.ledger = ledger
        #: Receives `progress` events (a ProgressNote) while slow work goes on.
        self.listener = listener
        self.started = time.monotonic()
        self.labels = identity.labels(exercise.id)
        self._build: BuildResult | None = None
        self._network: str | None = None
        self._shared: RunningContainer | None = None
        self._start_error: Unavailable | None = None
        self._containers: list[Container] = []
        self._variants: list[BuildResult] = []
        self._volumes: dict[str, str] = {}
        self._shared_resources: dict[str, object] = {}
        self._closers: list[Callable[[], object]] = []

    @property
    def folder(self) -> Path:
        return self.exercise.folder

    @property
    def context(self) -> Path:
        return (self.folder / self.exercise.image.context).resolve()

    @property
    def tag(self) -> str:
        return f"brickyard-{self.exercise.id}:{self.identity.run_id}"

    def dockerfile_text(self) -> str:
        """Return the Dockerfile's text, or raise Unavailable saying it is missing."""
        path = self.context / self.exercise.image.dockerfile
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise Unavailable(
                f"There is no {self.exercise.image.dockerfile} in"
                f" {display(path.parent)}: write one there."
            ) from None
        except OSError as error:
            raise Unavailable(
                f"{display(path)} cannot be read: {first_line(error)}"
            ) from error

    def build(self) -> BuildResult:
        """Build the student's image once and return the result, success or not."""
        if self._build is None:
            self._build = self.build_with_spec(self.context, self.tag, self.folder)
        return self._build

    def build_variant(
        self, context: Path, name: str, build_args: dict[str, str] | None = None
    ) -> BuildResult:
        """Build another context (an edited copy, say) with the exercise's settings.

        `build_args`, when given, replace the exercise's `image.build_args` (`{}`
        builds with none, so the Dockerfile's ARG defaults apply). The image is
        tagged `brickyard-<exercise>-<name>:<run>` and removed, with the images of
        its steps, when the session closes.
        """
        tag = f"brickyard-{self.exercise.id}-{name}:{self.identity.run_id}"
        result = self.build_with_spec(context, tag, context, build_args)
        self._variants.append(result)
        return result

    def build_with_spec(
        self,
        context: Path,
        tag: str,
        folder: Path,
        build_args: dict[str, str] | None = None,
    ) -> BuildResult:
        """Build `context` into `tag` with the exercise's Dockerfile and build args.

        `build_args`, when given, replace the exercise's own.

        Another grading run on the same engine may remove a cached step image this
        build is about to build on (the legacy builder holds no claim on its cache);
        such a build fails for no fault of the student's, so it is retried once,
        and the retry is logged.
        """
        spec = self.exercise.image
        network_mode: str = spec.network
        build_args = dict(spec.build_args if build_args is None else build_args)
        if spec.network == "packages":
            try:
                build_args["http_proxy"] = self.package_proxy()
            except Unavailable as error:
                return BuildResult(tag=tag, error=str(error))
            network_mode = self.network()
        return build_image_retrying(
            self.client,
            context,
            spec.dockerfile,
            tag,
            self.labels,
            timeout=spec.build_timeout,
            network_mode=network_mode,
            buildargs=build_args,
            folder=folder,
            on_step_image=self.ledger.add_image if self.ledger else None,
            on_line=lambda line: self.report_progress(line, "build"),
        )

    def package_proxy(self) -> str:
        """Start the exercise's offline package cache once; return its proxy address.

        The cache (grader.engine.packages) runs on the exercise's internal network,
        which the build joins: RUN steps reach it and nothing else.
        """

        def start() -> str:
            wanted = self.exercise.image.packages
            try:
                image = packages.ensure_cache(
                    self.client, wanted, progress=self.report_progress
                )
                container = containers.start_container(
                    image, self.labels, self.network(), PACKAGE_CACHE_LIMITS
                )
            except (packages.PackageCacheError, docker.errors.APIError) as error:
                raise Unavailable(
                    f"the offline copy of the Debian packages {' '.join(wanted)}"
                    f" could not be made or started: {error}"
                ) from error
            self._containers.append(container)
            address = containers.container_address(container, self.network())
            if containers.wait_for_port(container, address, packages.PORT, 20) is None:
                raise Unavailable(
                    "the offline package cache did not answer within 20 s:"
                    f" {container.logs(tail=5).decode(errors='replace')}"
                )
            return f"http://{address}:{packages.PORT}"

        return self.shared("package-proxy", start)

    def report_progress(
        self, text: str, kind: Literal["build", "phase"] = "phase"
    ) -> None:
        """Tell the listener what is going on (a build line, a slow phase)."""
        if self.listener is not None:
            self.listener("progress", ProgressNote(self.exercise.id, text, kind))

    @property
    def built(self) -> BuildResult | None:
        """The build of the student's image, once a check has asked for it."""
        return self._build

    def image(self) -> BuildResult:
        """Return the successful build, or raise Unavailable with its log tail."""
        result = self.build()
        if result.ok:
            return result
        if result.explanation is not None:
            # The check that builds the image gives the advice; here the reason is
            # enough, and the engine's own words would only repeat it.
            raise Unavailable(
                f"the image did not build: {result.explanation.reason} (the build"
                " check says what to do)"
            )
        raise Unavailable(
            f"the image did not build: {result.error}",
            {"build log (last lines)": result.log_tail()},
        )

    def image_attrs(self) -> dict:
        """Return `docker image inspect` of the built image."""
        image_id = self.image().image_id
        assert image_id is not None
        attrs: dict = self.client.images.get(image_id).attrs
        return attrs

    def network(self) -> str:
        """Return this exercise's network: internal, so no outside host is reachable."""
        if self._network is None:
            name = f"brickyard-{self.exercise.id}-{self.identity.run_id}"
            self.client.networks.create(name, internal=True, labels=self.labels)
            self._network = name
        return self._network

    def volume(self, name: str) -> str:
        """Return the engine name of the exercise's named volume `name`, made once.

        The name is scoped to this run, so runs never share data; the volume is
        removed when the session closes.
        """
        key = f"volume:{name}"
        if key not in self._volumes:
            full = f"brickyard-{self.exercise.id}-{name}-{self.identity.run_id}"
            self.client.volumes.create(full, labels=self.labels)
            self._volumes[key] = full
        return self._volumes[key]

    def container(self) -> RunningContainer:
        """Return the shared running container, started on first use."""
        if self._start_error is not None:
            raise self._start_error
        if self._shared is None:
            try:
                self._shared = self.start()
            except Unavailable as error:
                self._start_error = error
                raise
        return self._shared

    def start(
        self,
        env: dict[str, str] | None = None,
        mounts: list[Mount] | None = None,
        command: list[str] | None = None,
        image_id: str | None = None,
    ) -> RunningContainer:
        """Start a new container of the student's image; this session removes it.

        `env` is added to the exercise's environment (`docker run -e`); `mounts` are
        volumes or bind mounts (`docker run --mount`); `image_id` starts another
        image this session built (a variant) instead.
        """
        image_id = image_id or self.image().image_id
        assert image_id is not None
        spec = self.exercise.container
        limits = containers.Limits(memory=spec.memory)
        try:
            container = containers.start_container(
                image_id,
                self.labels,
                self.network(),
                limits,
                {**spec.env, **(env or {})},
                mounts,
                command,
            )
        except docker.errors.APIError as error:
            raise Unavailable(
                f"the container did not start: {error.explanation or error}"
            ) from error
        self._containers.append(container)
        return RunningContainer(
            container, containers.container_address(container, self.network())
        )

    def shared(self, key: str, make: Callable[[], T]) -> T:
        """Return the resource called `key`, made by `make()` on first use.

        Check modules keep their own shared work here (a compose stack, a rebuilt
        image), so every check that needs it reuses one. A failure is remembered too:
        when `make()` raises Unavailable, every later call raises the same.
        """
        if key not in self._shared_resources:
            try:
                self._shared_resources[key] = make()
            except Unavailable as error:
                self._shared_resources[key] = error
        value = self._shared_resources[key]
        if isinstance(value, Unavailable):
            raise value
        return value  # type: ignore[return-value]

    def on_close(self, closer: Callable[[], object]) -> None:
        """Run `closer` when the session closes, before its own objects are removed."""
        self._closers.append(closer)

    def close(self) -> None:
        """Remove every container, network and image this session created."""
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:  # cleanup goes on whatever one closer does
                log.exception("cleanup step failed")
        self._closers.clear()
        for container in self._containers:
            cleanup.attempt(container.remove, force=True, v=True)
        for volume in self._volumes.values():
            cleanup.attempt(self.client.api.remove_volume, volume, force=True)
        self._volumes.clear()
        if self._network:
            cleanup.attempt(self.client.api.remove_network, self._network)
        for variant in self._variants:
            cleanup.remove_build(self.client, variant)
        self._variants.clear()
        if self._build is not None:
            cleanup.remove_build(self.client, self._build)
        self._containers.clear()
        self._network = None


def display(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)

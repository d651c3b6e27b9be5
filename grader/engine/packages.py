"""An offline copy of the Debian packages that an exercise's build installs.

Exercise 04 teaches `apt-get install` and cleaning up after it, so its build must
reach Debian packages; yet grades must not depend on a mirror being up, or on what
it serves today. An exercise that sets `image.network: packages` and lists
`image.packages` gets, instead of a network, a package cache: an image that recorded
once, through an HTTP proxy, every file apt fetched to update its lists and install
those packages (the mirror's signed index files and the .deb files), and that
replays them, and nothing else, while the exercise builds.

The recording is a `docker build` of the python base image (Debian bookworm, with
the same apt sources as debian:bookworm-slim): `brickyard images` makes it for every
exercise of the tree, and a grading run makes it on first need. While grading, the
cache runs as a container on the exercise's internal network; the build joins that
network and gets `http_proxy` as a build argument, which Docker passes to every RUN
step without a matching ARG and leaves out of the layer cache's key and the image's
history. apt honours it: `apt-get update && apt-get install jq` works as online, and
anything not recorded gets "404 Not in brickyard's offline package cache".
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
import docker.errors

from grader.engine import cleanup, labels
from grader.engine.build import BuildResult, read_chunk
from grader.engine.images import STANDINS

log = logging.getLogger(__name__)

#: The image the recording is made in: it has Python for the proxy, and apt.
RECORD_BASE = "python:3.11-slim-bookworm"
REPOSITORY = "brickyard-packages"
PORT = 3142
PROXY = STANDINS / "package-proxy.py"
#: Labels of a cache image: what it holds and when it was recorded.
CACHE_LABEL = f"{labels.PREFIX}.package-cache"
PACKAGES_LABEL = f"{CACHE_LABEL}.packages"
RECORDED_LABEL = f"{CACHE_LABEL}.recorded"
#: A recording is made again by `brickyard images` when older than this: index files
#: of sources with a Valid-Until (Debian's security suite) expire after about a week.
REFRESH_AFTER = 6 * 24 * 3600

Progress = Callable[[str], None]


class PackageCacheError(Exception):
    """The package cache could not be recorded; the message says why and what to do."""

    def __init__(self, message: str, build: BuildResult | None = None) -> None:
        super().__init__(message)
        #: The failed recording's build, whose step images were removed.
        self.build = build


def recording_dockerfile(packages: Iterable[str]) -> str:
    """Return the Dockerfile that records what apt fetches to install `packages`."""
    wanted = " ".join(sorted(set(packages)))
    # Every RUN goes through the recording proxy. Downloads only, with recommended
    # packages too, so that any `apt-get install` of these packages, with or without
    # --no-install-recommends, finds its files; and the upgrades the index offers,
    # for a student who runs `apt-get upgrade` first.
    return f"""\
FROM {RECORD_BASE}
COPY package-proxy.py /usr/local/lib/brickyard/package-proxy.py
ENV BRICKYARD_PACKAGES="{wanted}"
RUN python3 /usr/local/lib/brickyard/package-proxy.py record sh -ec '\\
    apt-get update; \\
    apt-get install -y --download-only -o APT::Install-Recommends=true {wanted}; \\
    apt-get upgrade -y --download-only; \\
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*'
USER 65534
EXPOSE {PORT}
CMD ["python3", "/usr/local/lib/brickyard/package-proxy.py", "replay"]
"""


def cache_tag(packages: Iterable[str]) -> str:
    """Return the name of the cache image for `packages`: one per set and recipe."""
    recipe = hashlib.sha256(recording_dockerfile(packages).encode())
    recipe.update(PROXY.read_bytes())
    return f"{REPOSITORY}:{recipe.hexdigest()[:16]}"


def ensure_cache(
    client: docker.DockerClient,
    packages: Iterable[str],
    progress: Progress = log.info,
    refresh: bool = False,
) -> str:
    """Return the tag of a cache image holding `packages`, recording it if missing.

    With `refresh`, a recording older than REFRESH_AFTER is made again; when that
    fails, the old recording stays in use.
    """
    wanted = sorted(set(packages))
    tag = cache_tag(wanted)
    try:
        old = client.images.get(tag)
    except docker.errors.ImageNotFound:
        old = None
    if old is not None:
        recorded = float((old.labels or {}).get(RECORDED_LABEL, "0") or 0)
        if not refresh or time.time() - recorded < REFRESH_AFTER:
            progress(f"offline packages {' '.join(wanted)}: present")
            return tag
        progress(f"offline packages {' '.join(wanted)}: recorded a week ago; again")
    else:
        progress(
            f"offline packages {' '.join(wanted)}: recording them from the Debian"
            " mirror for builds without a network"
        )
    try:
        record(client, wanted, tag)
    except PackageCacheError:
        if old is None:
            raise
        log.warning("recording %s again failed; the old recording stays", tag)
        return tag
    superseded(client, wanted, str(client.images.get(tag).id))
    # The recording is an image on top of RECORD_BASE, which the engine holds anyway:
    # what it costs is the answers it adds.
    size = client.images.get(tag).attrs.get("Size", 0)
    base = client.images.get(RECORD_BASE).attrs.get("Size", 0)
    progress(
        f"offline packages {' '.join(wanted)}: recorded ({(size - base) / 1e6:.0f} MB"
        f" of answers on {RECORD_BASE})"
    )
    return tag


def superseded(client: docker.DockerClient, packages: list[str], keep: str) -> None:
    """Remove older recordings of `packages` (another recipe, or a week old).

    One still used by a grading run stays until a later call.
    """
    same = {"label": f"{PACKAGES_LABEL}={' '.join(packages)}"}
    for image in client.images.list(filters=same):
        if image.id != keep:
            cleanup.attempt(client.images.remove, str(image.id))


def record(client: docker.DockerClient, packages: list[str], tag: str) -> None:
    """Build the cache image `tag`, fetching `packages` from the Debian mirror.

    A failed recording leaves nothing behind: the images of its finished steps are
    removed.
    """
    result = BuildResult(tag=tag)
    with tempfile.TemporaryDirectory(prefix="brickyard-packages-") as scratch:
        (Path(scratch) / "Dockerfile").write_text(recording_dockerfile(packages))
        shutil.copy(PROXY, Path(scratch) / PROXY.name)
        cache_labels = {
            CACHE_LABEL: "true",
            PACKAGES_LABEL: " ".join(packages),
            RECORDED_LABEL: str(int(time.time())),
        }
        try:
            for chunk in client.api.build(
                path=scratch, tag=tag, labels=cache_labels, rm=True, forcerm=True,
                pull=False, decode=True,
            ):  # fmt: skip
                read_chunk(result, chunk)
        except docker.errors.APIError as error:
            result.error = str(error.explanation or error)
    if result.error:
        cleanup.remove_untagged_images(client, result.intermediate_ids())
        raise PackageCacheError(
            f"Recording the Debian packages {' '.join(packages)} failed:"
            f" {result.error}\n{result.log_tail()}\nNext step: check that the Debian"
            " mirror answers ('apt-get update'), that the package names are right,"
            f" and that {RECORD_BASE} is present ('nox -s images').",
            result,
        )

"""Removing what grading runs created, found by label: this run's, and orphans."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING

import docker
import docker.errors

from grader.engine import labels, ledger, limits

if TYPE_CHECKING:
    from grader.engine.build import BuildResult

log = logging.getLogger(__name__)

#: The docker SDK's `filters=` argument.
Filters = dict[str, str | list[str] | bool]


def remove_run_objects(client: docker.DockerClient, run_id: str) -> int:
    """Remove every container, network, volume and image labelled with `run_id`."""
    return remove_matching(client, [f"{labels.RUN}={run_id}"])


def remove_orphans(client: docker.DockerClient) -> int:
    """Remove the objects of earlier runs on this host whose process is gone."""
    host = socket.gethostname()
    dead_runs: set[str] = set()
    for attrs in labelled_objects(client):
        object_labels = (
            attrs.get("Labels") or attrs.get("Config", {}).get("Labels") or {}
        )
        if object_labels.get(labels.HOST) != host:
            continue
        pid = object_labels.get(labels.PID, "")
        if pid.isdigit() and not process_alive(int(pid)):
            dead_runs.add(object_labels[labels.RUN])
    removed = 0
    for run_id in sorted(dead_runs):
        log.info("removing the objects of run %s, whose process has ended", run_id)
        removed += remove_run_objects(client, run_id)
    for path, images in ledger.dead_ledgers(host, process_alive):
        log.info("removing the step images listed by %s, whose run has ended", path)
        removed += remove_untagged_images(client, reversed(images))
        path.unlink(missing_ok=True)
    # Build cgroups are files on this host, not engine objects: not counted here.
    limits.sweep_build_cgroups(process_alive)
    return removed


def labelled_objects(client: docker.DockerClient) -> Iterable[dict]:
    """Yield the attributes of every object that carries brickyard's run label."""
    selector: Filters = {"label": labels.RUN}
    # sparse: the list endpoint's own data, with no inspect per container, which
    # would fail for a container another run removes meanwhile.
    for container in client.containers.list(all=True, filters=selector, sparse=True):
        yield container.attrs
    for network in client.networks.list(filters=selector):
        yield network.attrs
    for volume in client.volumes.list(filters=selector):
        yield volume.attrs
    for image in client.images.list(all=True, filters=selector):
        yield image.attrs


def remove_matching(client: docker.DockerClient, label_filters: list[str]) -> int:
    """Remove all objects matching the label filters; containers first, images last."""
    selector: Filters = {"label": label_filters}
    removed = 0
    for container in client.containers.list(all=True, filters=selector, sparse=True):
        removed += attempt(container.remove, force=True, v=True)
    for network in client.networks.list(filters=selector):
        removed += attempt(network.remove)
    for volume in client.volumes.list(filters=selector):
        removed += attempt(volume.remove, force=True)
    for image in client.images.list(all=True, filters=selector):
        removed += attempt(client.images.remove, image.id, force=True)
    return removed


def remove_untagged_images(
    client: docker.DockerClient, image_ids: Iterable[str]
) -> int:
    """Remove intermediate images by id; never one that has a tag or is still in use."""
    removed = 0
    for image_id in image_ids:
        try:
            image = client.images.get(image_id)
        except docker.errors.NotFound:
            continue
        if image.tags:
            continue
        removed += attempt(client.images.remove, image.id, noprune=False)
    return removed


def remove_build(client: docker.DockerClient, result: BuildResult) -> int:
    """Remove what one build made: its tagged image, and the images of its steps.

    A failed legacy build leaves the images of the steps it finished behind, with
    no tag to find them by.
    """
    removed = attempt(client.images.remove, result.tag, force=True)
    return removed + remove_untagged_images(client, result.intermediate_ids())


def attempt(action, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    """Run one removal; return 1 if it removed something, 0 if gone or in use."""
    try:
        action(*args, **kwargs)
    except docker.errors.NotFound:
        return 0
    except docker.errors.APIError as error:
        log.debug("could not remove: %s", error.explanation or error)
        return 0
    return 1


def process_alive(pid: int) -> bool:
    """Tell whether a process with `pid` runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

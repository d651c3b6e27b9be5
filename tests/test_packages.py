"""The offline package cache: recorded once from the mirror, replayed with no network.

Exercise 04's builds use it; its cases in tests/cases/04-small-images/ show that
correct answers build through it and that a package it does not hold fails. These
tests look at the cache itself.
"""

from __future__ import annotations

import http.client
import socket
from pathlib import Path
from urllib.parse import urlsplit

import docker
import docker.errors
import pytest

from grader.engine import containers, packages
from grader.engine.build import build_image
from grader.engine.images import find_debian_mirror
from grader.engine.labels import RunIdentity

pytestmark = pytest.mark.engine

JQ = ["jq"]


@pytest.fixture
def replaying(engine: docker.DockerClient):  # type: ignore[no-untyped-def]
    """A running cache for jq on an internal network: (network, address, labels)."""
    labels = RunIdentity().labels("package-cache-test")
    tag = packages.ensure_cache(engine, JQ)
    network = engine.networks.create(
        f"brickyard-packages-test-{labels['brickyard.run']}", internal=True,
        labels=labels,
    )  # fmt: skip
    container = containers.start_container(tag, labels, network.name)
    try:
        address = containers.container_address(container, network.name)
        assert containers.wait_for_port(container, address, packages.PORT, 20)
        yield network.name, address, labels
    finally:
        container.remove(force=True)
        network.remove()


def get(address: str, url: str) -> tuple[int, str]:
    """GET `url` through the proxy at `address`; return status and reason."""
    connection = http.client.HTTPConnection(address, packages.PORT, timeout=10)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        response.read()
        return response.status, response.reason
    finally:
        connection.close()


def test_the_cache_is_recorded_once_and_labelled(engine: docker.DockerClient) -> None:
    tag = packages.ensure_cache(engine, JQ)
    seen: list[str] = []

    again = packages.ensure_cache(engine, JQ, progress=seen.append)

    assert again == tag
    assert seen == ["offline packages jq: present"]
    image_labels = engine.images.get(tag).labels
    assert image_labels[packages.PACKAGES_LABEL] == "jq"
    assert engine.images.get(tag).attrs["Config"]["User"] == "65534"


def test_replays_only_what_was_recorded(replaying: tuple[str, str, dict]) -> None:
    _, address, _ = replaying

    status, reason = get(
        address, "http://deb.debian.org/debian/pool/main/x/nothing.deb"
    )

    assert (status, reason) == (404, "Not in brickyard's offline package cache")


def test_a_build_installs_the_recorded_package_and_reaches_nothing_else(
    engine: docker.DockerClient, tmp_path: Path, replaying: tuple[str, str, dict]
) -> None:
    network, address, labels = replaying
    mirror = urlsplit(find_debian_mirror()).hostname or "deb.debian.org"
    # The first RUN goes round the proxy, straight to the mirror's address: with no
    # network it cannot connect.
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\n"
        f"RUN if timeout 5 bash -c '</dev/tcp/{socket.gethostbyname(mirror)}/80';"
        " then exit 1; else echo no network; fi\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq"
        " && rm -rf /var/lib/apt/lists/*\n"
        "RUN jq --version\n"
    )
    tag = f"brickyard-packages-test:{labels['brickyard.run']}"

    built = build_image(
        engine, tmp_path, "Dockerfile", tag, labels, timeout=180,
        network_mode=network,
        buildargs={"http_proxy": f"http://{address}:{packages.PORT}"},
    )  # fmt: skip
    try:
        assert built.ok, built.log_tail()
        assert "no network" in built.log_lines
        assert any(line.startswith("jq-1.6") for line in built.log_lines)
        history = " ".join(
            str(layer.get("CreatedBy")) for layer in engine.api.history(tag)
        )
        assert address not in history  # the proxy is not part of the image
    finally:
        engine.images.remove(tag, force=True)


def test_a_recording_that_fails_names_the_package_and_leaves_no_image(
    engine: docker.DockerClient,
) -> None:
    with pytest.raises(packages.PackageCacheError) as caught:
        packages.ensure_cache(engine, ["no-such-package-brickyard"])

    message = str(caught.value)
    assert "no-such-package-brickyard" in message
    assert "Unable to locate package" in message
    assert "Next step" in message
    build = caught.value.build
    assert build is not None and build.intermediate_ids()  # steps before the RUN
    for image_id in build.intermediate_ids():
        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get(image_id)

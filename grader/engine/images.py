"""Base images the exercises name: pulled where a registry answers, else stood in for.

A stand-in is a Debian bookworm root file system made by mmdebstrap from the machine's
configured Debian mirror and imported under the official image's name. Each stand-in
honours the contract the exercises rely on (the commands and environment the official
image offers) and claims only a version that Debian bookworm's packages really contain.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from grader.engine import labels

log = logging.getLogger(__name__)

SUITE = "bookworm"
Progress = Callable[[str], None]

# Paths dropped from every stand-in: documentation and translations nobody reads in a
# container, as the official slim images drop them.
_SLIM_PATHS = (
    "/usr/share/doc/*",
    "/usr/share/man/*",
    "/usr/share/locale/*",
    "/usr/share/info/*",
)


@dataclass(frozen=True)
class BaseImage:
    """An official base image and how to stand in for it without a registry."""

    name: str
    packages: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ("bash",)
    env: tuple[tuple[str, str], ...] = ()
    #: Shell commands run with "$1" set to the new root file system.
    customize: tuple[str, ...] = ()
    #: What the stand-in promises, shown by `nox -s images` and stored as a label.
    contract: str = ""
    extra_labels: dict[str, str] = field(default_factory=dict)


BASE_IMAGES: tuple[BaseImage, ...] = (
    BaseImage(
        name="debian:bookworm-slim",
        contract="Debian 12 (bookworm) minimal system with bash and apt",
    ),
    BaseImage(
        # Debian bookworm ships Python 3.11, so the 3.11 tag is honest.
        name="python:3.11-slim-bookworm",
        packages=("python3", "python-is-python3", "python3-pip", "python3-venv"),
        cmd=("python3",),
        env=(("LANG", "C.UTF-8"), ("PYTHONDONTWRITEBYTECODE", "")),
        customize=(
            # The official image lets `pip install` write to the system Python; Debian
            # marks it externally managed (PEP 668). Remove the marker to match.
            'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED',
            # The official image has `pip` and `python` on PATH; Debian names pip3.
            'ln -sf pip3 "$1"/usr/bin/pip',
        ),
        contract="python 3.11 and pip from Debian bookworm; `python`, `python3` and"
        " `pip` on PATH",
    ),
)


def find_base_image(name: str) -> BaseImage | None:
    """Return the known base image called `name`, if brickyard can provide it."""
    return next((image for image in BASE_IMAGES if image.name == name), None)


def ensure_images(
    client: docker.DockerClient,
    images: tuple[BaseImage, ...] = BASE_IMAGES,
    progress: Progress = log.info,
    force_stand_in: bool = False,
) -> None:
    """Make every image in `images` present on the engine: keep, pull or build it."""
    for image in images:
        if image_present(client, image.name):
            progress(f"{image.name}: present")
            continue
        if not force_stand_in and try_pull(client, image.name):
            progress(f"{image.name}: pulled from the registry")
            continue
        progress(
            f"{image.name}: no registry answered; building a stand-in (about a minute)"
        )
        build_stand_in(image, progress)
        progress(f"{image.name}: stand-in built ({describe_size(client, image.name)})")


def image_present(client: docker.DockerClient, name: str) -> bool:
    """Tell whether the engine holds an image called `name`."""
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def try_pull(client: docker.DockerClient, name: str) -> bool:
    """Pull `name`; return False quickly when no registry answers."""
    repository, _, tag = name.partition(":")
    try:
        client.images.pull(repository, tag=tag or "latest")
    except docker.errors.APIError as error:
        log.info("pull of %s failed: %s", name, error.explanation or error)
        return False
    return True


def describe_size(client: docker.DockerClient, name: str) -> str:
    """Return an image's size in MB, for progress lines."""
    size = client.images.get(name).attrs.get("Size", 0)
    return f"{size / 1e6:.0f} MB"


class StandInError(Exception):
    """A stand-in image could not be built; the message says why and what to do."""


def build_stand_in(image: BaseImage, progress: Progress = log.info) -> None:
    """Build `image` with mmdebstrap from the configured Debian mirror and import it."""
    if shutil.which("mmdebstrap") is None:
        raise StandInError(
            f"{image.name} is not on the engine, no registry answered, and mmdebstrap"
            " is not installed to build a stand-in.\nNext step: on Debian run"
            " 'apt-get install mmdebstrap' (scripts/provision-engine does it), or pull"
            f" {image.name} on a machine with registry access and 'docker load' it"
            " here."
        )
    mirror = find_debian_mirror()
    command = stand_in_command(image, mirror)
    import_command = ["docker", "import", *import_changes(image), "-", image.name]
    log.info("building stand-in: %s | %s", " ".join(command), " ".join(import_command))
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as make:
        imported = subprocess.run(
            import_command,
            stdin=make.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        assert make.stdout is not None
        make.stdout.close()
        stderr = make.stderr.read().decode(errors="replace") if make.stderr else ""
        make.wait()
    if make.returncode != 0 or imported.returncode != 0:
        raise StandInError(
            f"Building the stand-in for {image.name} failed (mmdebstrap exit"
            f" {make.returncode}, docker import exit {imported.returncode}).\n"
            f"{tail(stderr + imported.stderr, 15)}\nNext step: check that the Debian"
            f" mirror {mirror} answers ('apt-get update') and try again."
        )


def stand_in_command(image: BaseImage, mirror: str) -> list[str]:
    """Return the mmdebstrap command that writes `image`'s root file system as a tar."""
    command = [
        "mmdebstrap",
        "--quiet",
        "--variant=minbase",
        "--aptopt=APT::Install-Recommends false",
        *(f"--dpkgopt=path-exclude={path}" for path in _SLIM_PATHS),
        # Keep the copyright files, as Debian's policy asks of redistributed systems.
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    ]
    if image.packages:
        command.append("--include=" + ",".join(image.packages))
    command += [f"--customize-hook={hook}" for hook in image.customize]
    # An image needs no package lists: drop them as the official images do.
    command.append('--customize-hook=rm -rf "$1"/var/lib/apt/lists/*')
    command += [SUITE, "-", mirror]
    return command


def import_changes(image: BaseImage) -> list[str]:
    """Return `docker import -c` arguments that set the stand-in's config."""
    cmd = "CMD [" + ", ".join(f'"{part}"' for part in image.cmd) + "]"
    changes = [cmd]
    changes += [f'ENV {key}="{value}"' for key, value in image.env if value]
    image_labels = {
        labels.STAND_IN: "true",
        f"{labels.STAND_IN}.contract": image.contract,
    }
    image_labels |= image.extra_labels
    changes += [f'LABEL "{key}"="{value}"' for key, value in image_labels.items()]
    return [part for change in changes for part in ("-c", change)]


def find_debian_mirror(
    sources: tuple[Path, ...] = (
        Path("/etc/apt/sources.list"),
        Path("/etc/apt/sources.list.d"),
    ),
) -> str:
    """Return the first Debian mirror that apt's sources use for the main suite."""
    for path in sources:
        files = sorted(path.glob("*")) if path.is_dir() else [path]
        for file in files:
            if not file.is_file():
                continue
            text = file.read_text(errors="replace")
            mirror = parse_mirror(text, deb822=file.suffix == ".sources")
            if mirror:
                return mirror
    raise StandInError(
        "No Debian mirror for the bookworm suite was found in /etc/apt/sources.list or"
        " /etc/apt/sources.list.d/.\nNext step: configure apt with a Debian mirror"
        " ('apt-get update' must work), then run 'nox -s images' again."
    )


def parse_mirror(text: str, deb822: bool) -> str | None:
    """Return the mirror of a `deb` source for the main suite, in either apt format."""
    if deb822:
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(
                (key.strip().lower(), value.strip())
                for key, _, value in (
                    line.partition(":") for line in stanza.splitlines() if ":" in line
                )
                if not key.startswith("#")
            )
            suites = fields.get("suites", "").split()
            if "deb" in fields.get("types", "").split() and SUITE in suites:
                uris = fields.get("uris", "").split()
                if uris:
                    return uris[0]
        return None
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
            return words[1]
    return None


def tail(text: str, lines: int) -> str:
    """Return the last `lines` lines of `text`."""
    return "\n".join(text.strip().splitlines()[-lines:])

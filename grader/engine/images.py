"""Base images the exercises name: pulled where a registry answers, else stood in for.

A stand-in is a Debian bookworm root file system made by mmdebstrap from the machine's
configured Debian mirror and imported under the official image's name. Each stand-in
honours the contract the exercises rely on (the commands and environment the official
image offers) and claims only a version that Debian bookworm's packages really contain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shlex
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

#: Entrypoint scripts and config files that stand-ins copy in.
STANDINS = Path(__file__).resolve().parent / "standins"
#: Label holding a digest of what a stand-in was built from, to spot outdated ones.
RECIPE_LABEL = f"{labels.STAND_IN}.recipe"
#: Docker's PATH for an image that sets none; a stand-in that sets PATH extends it.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Paths dropped from every stand-in: documentation and translations nobody reads in a
# container, as the official slim images drop them.
_SLIM_PATHS = (
    "/usr/share/doc/*",
    "/usr/share/man/*",
    "/usr/share/locale/*",
    "/usr/share/info/*",
)


@dataclass(frozen=True)
class StandInFile:
    """A file of grader/engine/standins/ that a stand-in carries."""

    #: The file's name in grader/engine/standins/.
    source: str
    #: Its absolute path in the image.
    target: str
    #: Its permission bits in the image (the checkout's bits are not trusted).
    mode: int = 0o644


@dataclass(frozen=True)
class BaseImage:
    """An official base image and how to stand in for it without a registry."""

    name: str
    packages: tuple[str, ...] = ()
    #: The image's ENTRYPOINT in exec form; none when empty.
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ("bash",)
    env: tuple[tuple[str, str], ...] = ()
    #: Ports the image declares (EXPOSE), as "5432" or "5432/udp".
    ports: tuple[str, ...] = ()
    #: Directories the image declares as volumes (VOLUME).
    volumes: tuple[str, ...] = ()
    #: The working directory (WORKDIR); the root when empty.
    workdir: str = ""
    #: Files copied in before the `customize` commands run.
    files: tuple[StandInFile, ...] = ()
    #: Shell commands run with "$1" set to the new root file system.
    customize: tuple[str, ...] = ()
    #: What the stand-in promises, shown by `nox -s images` and stored as a label.
    contract: str = ""
    extra_labels: dict[str, str] = field(default_factory=dict)


_POSTGRES_BIN = "/usr/lib/postgresql/15/bin"
_POSTGRES_SAMPLE = '"$1"/usr/share/postgresql/15/postgresql.conf.sample'

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
    BaseImage(
        # Debian bookworm ships PostgreSQL 15 (postgresql-15, 15.x).
        name="postgres:15-bookworm",
        packages=("postgresql-15",),
        entrypoint=("docker-entrypoint.sh",),
        cmd=("postgres",),
        env=(
            # The server binaries (postgres, initdb, pg_ctl) live only here; first,
            # so `psql` and `pg_isready` skip Debian's version-picking wrapper.
            ("PATH", f"{_POSTGRES_BIN}:{DEFAULT_PATH}"),
            ("PG_MAJOR", "15"),
            ("PGDATA", "/var/lib/postgresql/data"),
            ("LANG", "C.UTF-8"),
        ),
        ports=("5432",),
        volumes=("/var/lib/postgresql/data",),
        files=(
            StandInFile(
                "postgres-entrypoint.sh", "/usr/local/bin/docker-entrypoint.sh", 0o755
            ),
        ),
        customize=(
            # Debian's package creates and configures a cluster "main" as it installs;
            # the image initializes its own in PGDATA on first start instead.
            'rm -rf "$1"/etc/postgresql/15 "$1"/var/lib/postgresql/15'
            ' "$1"/var/log/postgresql/*',
            # initdb copies this sample: every new cluster listens on all interfaces,
            # as in the official image (the server still needs a password from them).
            f"sed -i \"s/^#listen_addresses = 'localhost'/listen_addresses = '*'/\""
            f" {_POSTGRES_SAMPLE}",
            f"grep -q \"^listen_addresses = '[*]'\" {_POSTGRES_SAMPLE}",
            # Inside the chroot: /var/run is an absolute link to /run, which from
            # outside would lead to the host's /run.
            'chroot "$1" sh -c "mkdir -p /docker-entrypoint-initdb.d'
            " /var/lib/postgresql/data /var/run/postgresql"
            " && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql"
            ' && chmod 700 /var/lib/postgresql/data && chmod 3777 /var/run/postgresql"',
        ),
        contract="PostgreSQL 15 from Debian bookworm with the official entrypoint's"
        " contract: POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust),"
        " POSTGRES_USER, POSTGRES_DB, PGDATA=/var/lib/postgresql/data as a volume,"
        " /docker-entrypoint-initdb.d/ scripts, port 5432, `psql` and `pg_isready` on"
        " PATH",
    ),
    BaseImage(
        # Debian bookworm ships Redis 7.0 (redis-server 5:7.0.15).
        name="redis:7.0-bookworm",
        packages=("redis-server",),
        entrypoint=("docker-entrypoint.sh",),
        cmd=("redis-server",),
        ports=("6379",),
        volumes=("/data",),
        workdir="/data",
        files=(
            StandInFile(
                "redis-entrypoint.sh", "/usr/local/bin/docker-entrypoint.sh", 0o755
            ),
        ),
        customize=('chroot "$1" sh -c "mkdir -p /data && chown redis:redis /data"',),
        contract="Redis 7.0 from Debian bookworm: listens on all interfaces with"
        " protected mode off, data in /data (a volume, the working directory),"
        " `redis-server` and `redis-cli` on PATH",
    ),
    BaseImage(
        # Debian bookworm ships the distribution registry 2.8 (docker-registry 2.8.2).
        name="registry:2.8",
        packages=("docker-registry",),
        entrypoint=("/entrypoint.sh",),
        cmd=("/etc/docker/registry/config.yml",),
        ports=("5000",),
        volumes=("/var/lib/registry",),
        files=(
            StandInFile("registry-entrypoint.sh", "/entrypoint.sh", 0o755),
            StandInFile("registry-config.yml", "/etc/docker/registry/config.yml"),
        ),
        customize=(
            # The official image names the binary `registry`; Debian names it
            # docker-registry.
            'ln -s docker-registry "$1"/usr/bin/registry',
            'mkdir -p "$1"/var/lib/registry',
        ),
        contract="Docker registry 2.8 from Debian bookworm: the HTTP API v2 on port"
        " 5000 without TLS, filesystem storage in /var/lib/registry (a volume),"
        " config at /etc/docker/registry/config.yml",
    ),
    BaseImage(
        # Debian bookworm ships GCC 12 (gcc-12 12.2.0).
        name="gcc:12-bookworm",
        # `gcc` makes gcc-12 the default and registers `cc`; libc6-dev brings the C
        # library's headers and static archives; make for a Makefile.
        packages=("gcc-12", "gcc", "libc6-dev", "make"),
        cmd=("bash",),
        contract="GCC 12 from Debian bookworm with `gcc`, `cc`, `make` and the C"
        " library's headers on PATH",
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
            if not is_stale(client, image):
                progress(f"{image.name}: present")
                continue
            # `docker import` moves the name to the new image only when it is
            # complete, so runs using the old one meanwhile are not disturbed.
            old = str(client.images.get(image.name).id)
            progress(f"{image.name}: a stand-in of an older recipe; rebuilding it")
            build_stand_in(image, progress)
            try:
                client.images.remove(old)
            except docker.errors.APIError as error:
                log.info("the old %s stays while in use: %s", image.name, error)
            progress(
                f"{image.name}: stand-in rebuilt ({describe_size(client, image.name)})"
            )
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


# What the engine says when it cannot reach a registry at all (as opposed to a
# registry that answers "no such image"): the name does not resolve, the connection
# is refused or times out.
_UNREACHABLE = re.compile(
    r"no such host|dial tcp|i/o timeout|connection refused|network is unreachable"
    r"|TLS handshake timeout|Temporary failure in name resolution"
    r"|Client\.Timeout exceeded",
    re.IGNORECASE,
)


def registry_unreachable(message: str) -> bool:
    """Tell whether an engine error says that no registry answered."""
    return bool(_UNREACHABLE.search(message))


def registry_answers(client: docker.DockerClient) -> bool:
    """Tell whether the engine reaches a registry, by pulling a tag that is absent.

    A registry that answers says the tag is unknown, which costs no download; with
    no registry the engine fails to resolve or reach it within a second.
    """
    try:
        client.images.pull("library/hello-world", tag="brickyard-probe-absent")
    except docker.errors.APIError as error:
        return not registry_unreachable(str(error.explanation or error))
    return True


def is_stale(client: docker.DockerClient, image: BaseImage) -> bool:
    """Tell whether the present image is a stand-in made from an older recipe.

    Pulled images carry no stand-in label and are never stale; a stand-in made
    before recipes were recorded carries no digest and is.
    """
    found = client.images.get(image.name).labels or {}
    if found.get(labels.STAND_IN) != "true":
        return False
    return found.get(RECIPE_LABEL) != recipe_digest(image)


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
    if make.returncode != 0 and imported.returncode == 0:
        # docker import took whatever tar mmdebstrap wrote before it failed: leave
        # no broken image under the official name.
        subprocess.run(
            ["docker", "rmi", "--force", imported.stdout.strip()],
            capture_output=True,
            check=False,
        )
    if make.returncode != 0 or imported.returncode != 0:
        raise StandInError(
            f"Building the stand-in for {image.name} failed (mmdebstrap exit"
            f" {make.returncode}, docker import exit {imported.returncode}).\n"
            f"{tail(stderr + imported.stderr, 15)}\nNext step: check that the Debian"
            f" mirror {mirror} answers ('apt-get update') and try again."
        )


def stand_in_command(
    image: BaseImage, mirror: str, standins: Path = STANDINS
) -> list[str]:
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
    files = (APT_CLEAN, *image.files)
    command += [f"--customize-hook={copy_in(file, standins)}" for file in files]
    command += [f"--customize-hook={hook}" for hook in image.customize]
    # An image needs no package lists or package caches: drop them as the official
    # images do. (With docker-clean in place `apt-get clean` no longer names the
    # binary caches, so they are removed by path.)
    command.append(
        '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin'
    )
    command += [SUITE, "-", mirror]
    return command


#: Every official Debian-based image deletes apt's caches after each install; every
#: stand-in does the same, so `apt-get install` leaves the same bytes in a layer.
APT_CLEAN = StandInFile(
    "apt-docker-clean.conf", "/etc/apt/apt.conf.d/docker-clean", 0o644
)


def copy_in(file: StandInFile, standins: Path = STANDINS) -> str:
    """Return the customize hook that copies `file` into the root file system."""
    # A shell hook rather than mmdebstrap's `upload`, whose arguments cannot hold a
    # space (a checkout may live under one) and which leaves the mode unset.
    source = shlex.quote(str(standins / file.source))
    target = shlex.quote(file.target)
    return f'install -D -m {file.mode:04o} {source} "$1"{target}'


def config_changes(image: BaseImage) -> list[str]:
    """Return the Dockerfile-like instructions that set the stand-in's config."""
    changes = []
    # JSON arrays: the exec form, so PID 1 is the program and receives signals.
    if image.entrypoint:
        changes.append(f"ENTRYPOINT {json.dumps(list(image.entrypoint))}")
    changes.append(f"CMD {json.dumps(list(image.cmd))}")
    changes += [f'ENV {key}="{value}"' for key, value in image.env if value]
    changes += [f"EXPOSE {port}" for port in image.ports]
    if image.volumes:
        changes.append(f"VOLUME {json.dumps(list(image.volumes))}")
    if image.workdir:
        changes.append(f"WORKDIR {image.workdir}")
    return changes


def recipe_digest(image: BaseImage) -> str:
    """Return a digest of everything a stand-in is made of, bar the mirror."""
    recipe = hashlib.sha256()
    # The checkout's location and the machine's mirror do not change the image.
    placeholder = Path("standins")
    for part in stand_in_command(image, "MIRROR", placeholder) + config_changes(image):
        recipe.update(part.encode() + b"\0")
    for file in (APT_CLEAN, *image.files):
        recipe.update((STANDINS / file.source).read_bytes() + b"\0")
    return recipe.hexdigest()[:16]


def import_changes(image: BaseImage) -> list[str]:
    """Return `docker import -c` arguments that set the stand-in's config."""
    changes = config_changes(image)
    image_labels = {
        labels.STAND_IN: "true",
        f"{labels.STAND_IN}.contract": image.contract,
        RECIPE_LABEL: recipe_digest(image),
    }
    image_labels |= image.extra_labels
    changes += [f'LABEL "{key}"="{value}"' for key, value in image_labels.items()]
    return [part for change in changes for part in ("-c", change)]


# Suites a Debian mirror carries beside bookworm, so a machine on trixie or tracking
# `stable` still names a mirror that bookworm stand-ins can be built from. Releases
# before bullseye moved to archive.debian.org, which has no bookworm; the security
# suites live in another archive (debian-security) without it too.
DEBIAN_SUITES = frozenset(
    {"bullseye", "bookworm", "trixie", "forky", "duke", "sid"}
    | {"oldstable", "stable", "testing", "unstable", "experimental"}
)
SUITE_SUFFIXES = ("-updates", "-backports", "-proposed-updates")


def find_debian_mirror(
    sources: tuple[Path, ...] = (
        Path("/etc/apt/sources.list"),
        Path("/etc/apt/sources.list.d"),
    ),
) -> str:
    """Return the Debian mirror of apt's sources, one listing bookworm first."""
    found: list[tuple[int, str]] = []
    for path in sources:
        files = sorted(path.glob("*")) if path.is_dir() else [path]
        for file in files:
            if not file.is_file():
                continue
            text = file.read_text(errors="replace")
            found += rank_mirrors(text, deb822=file.suffix == ".sources")
    if found:
        # sorted() is stable: among equal ranks, the first source apt reads wins.
        return sorted(found, key=lambda pair: pair[0])[0][1]
    raise StandInError(
        "No Debian mirror for the bookworm suite was found in /etc/apt/sources.list or"
        " /etc/apt/sources.list.d/.\nNext step: configure apt with a Debian mirror"
        " ('apt-get update' must work), then run 'nox -s images' again."
    )


def parse_mirror(text: str, deb822: bool) -> str | None:
    """Return the mirror of a Debian `deb` source, in either apt format."""
    found = rank_mirrors(text, deb822)
    return sorted(found, key=lambda pair: pair[0])[0][1] if found else None


def rank_mirrors(text: str, deb822: bool) -> list[tuple[int, str]]:
    """List the URIs of Debian `deb` sources: rank 0 lists bookworm, 1 another suite.

    Sources of other distributions (an Ubuntu mirror serves `jammy`, not bookworm)
    are left out: mmdebstrap could not build bookworm from them.
    """
    entries: list[tuple[str, list[str]]] = []
    if deb822:
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(
                (key.strip().lower(), value.strip())
                for key, _, value in (
                    line.partition(":") for line in stanza.splitlines() if ":" in line
                )
                if not key.startswith("#")
            )
            if fields.get("enabled", "yes").lower() == "no":
                continue
            if "deb" in fields.get("types", "").split():
                uris = fields.get("uris", "").split()
                entries += [(uri, fields.get("suites", "").split()) for uri in uris]
    else:
        for line in text.splitlines():
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                entries.append((words[1], [words[2]]))
    found = []
    for uri, suites in entries:
        if SUITE in suites:
            found.append((0, uri))
        elif any(debian_suite(suite) for suite in suites):
            found.append((1, uri))
    return found


def debian_suite(suite: str) -> bool:
    """Tell whether `suite` is one a Debian mirror serves beside bookworm."""
    for suffix in SUITE_SUFFIXES:
        suite = suite.removesuffix(suffix)
    return suite in DEBIAN_SUITES


def tail(text: str, lines: int) -> str:
    """Return the last `lines` lines of `text`."""
    return "\n".join(text.strip().splitlines()[-lines:])

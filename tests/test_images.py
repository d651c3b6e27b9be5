"""Stand-in base images: mirror discovery, the commands built, the contracts kept."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import tarfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.types
import pytest
import yaml
from docker.models.containers import Container

from grader.engine import images

DEB822 = """\
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
"""

ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib
"""


def test_mirror_from_deb822_sources() -> None:
    assert images.parse_mirror(DEB822, deb822=True) == "http://mirror.example/debian"


def test_mirror_from_one_line_sources() -> None:
    assert images.parse_mirror(ONE_LINE, deb822=False) == "http://mirror.example/debian"


def test_mirror_of_a_trixie_machine_in_deb822() -> None:
    # Debian 13's default sources: the same archive also serves bookworm.
    text = (
        "Types: deb\nURIs: http://trixie.example/debian\n"
        "Suites: trixie trixie-updates\nComponents: main\n\n"
        "Types: deb\nURIs: http://security.example/debian-security\n"
        "Suites: trixie-security\nComponents: main\n"
    )

    assert images.parse_mirror(text, deb822=True) == "http://trixie.example/debian"


def test_mirror_of_a_stable_one_line_source() -> None:
    text = (
        "deb http://security.example/debian-security stable-security main\n"
        "deb http://stable.example/debian stable main\n"
    )

    assert images.parse_mirror(text, deb822=False) == "http://stable.example/debian"


def test_a_bookworm_source_is_preferred_across_files(tmp_path: Path) -> None:
    (tmp_path / "a-trixie.sources").write_text(
        "Types: deb\nURIs: http://trixie.example/debian\nSuites: trixie\n"
    )
    (tmp_path / "b-bookworm.list").write_text(
        "deb http://bookworm.example/debian bookworm main\n"
    )

    mirror = images.find_debian_mirror((tmp_path,))

    assert mirror == "http://bookworm.example/debian"


def test_a_disabled_deb822_source_is_skipped() -> None:
    text = (
        "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\n"
        "Enabled: no\n\n"
        "Types: deb\nURIs: http://on.example/debian\nSuites: sid\n"
    )

    assert images.parse_mirror(text, deb822=True) == "http://on.example/debian"


def test_no_mirror_on_ubuntu_is_an_explained_error(tmp_path: Path) -> None:
    # An Ubuntu archive serves jammy or noble, never bookworm: mmdebstrap could not
    # build the stand-ins from it, so it is not offered as a Debian mirror.
    (tmp_path / "ubuntu.sources").write_text(
        "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\n"
        "Suites: noble noble-updates noble-backports\n"
    )
    (tmp_path / "sources.list").write_text(
        "deb http://archive.ubuntu.com/ubuntu jammy main\n"
        "deb-src http://src.example/debian bookworm main\n"
    )

    with pytest.raises(images.StandInError, match="No Debian mirror"):
        images.find_debian_mirror((tmp_path,))


def test_python_stand_in_keeps_the_official_contract() -> None:
    python = images.find_base_image("python:3.11-slim-bookworm")
    assert python is not None

    command = images.stand_in_command(python, "http://mirror.example/debian")

    included = next(part for part in command if part.startswith("--include="))
    # Full python3, not python3-minimal (no http, no most of the standard library).
    assert "python3," in included + "," and "python-is-python3" in included
    assert command[-3:] == ["bookworm", "-", "http://mirror.example/debian"]
    changes = images.import_changes(python)
    assert 'CMD ["python3"]' in changes
    assert any(images.labels.STAND_IN in change for change in changes)


@pytest.mark.engine
def test_python_image_on_the_engine_keeps_its_contract(
    engine: docker.DockerClient,
) -> None:
    script = (
        "python --version && pip --version && python3 -c 'import http.server, sqlite3'"
    )

    output = engine.containers.run(
        "python:3.11-slim-bookworm",
        ["sh", "-c", script],
        remove=True,
        network_mode="none",
    ).decode()

    assert "Python 3.11" in output
    assert "pip " in output


# --- The stand-ins for services and tools: the commands that build them -------------


def test_postgres_stand_in_copies_its_entrypoint_and_keeps_the_contract() -> None:
    postgres = images.find_base_image("postgres:15-bookworm")
    assert postgres is not None

    command = images.stand_in_command(postgres, "http://mirror.example/debian")
    changes = images.import_changes(postgres)

    assert "--include=postgresql-15" in command
    entrypoint = images.STANDINS / "postgres-entrypoint.sh"
    assert (
        f'--customize-hook=install -D -m 0755 {entrypoint} "$1"'
        "/usr/local/bin/docker-entrypoint.sh"
    ) in command
    # Files go in before the customize commands, and the apt lists go last.
    hooks = [part for part in command if part.startswith("--customize-hook=")]
    assert "install -D" in hooks[0]
    assert hooks[-1] == (
        '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin'
    )
    assert command[-3:] == ["bookworm", "-", "http://mirror.example/debian"]
    assert 'ENTRYPOINT ["docker-entrypoint.sh"]' in changes
    assert 'CMD ["postgres"]' in changes
    assert 'ENV PGDATA="/var/lib/postgresql/data"' in changes
    assert 'VOLUME ["/var/lib/postgresql/data"]' in changes
    assert "EXPOSE 5432" in changes
    path = next(change for change in changes if change.startswith("ENV PATH="))
    assert "/usr/lib/postgresql/15/bin:" in path and ":/usr/bin:" in path


def test_redis_stand_in_works_in_data() -> None:
    redis = images.find_base_image("redis:7.0-bookworm")
    assert redis is not None

    command = images.stand_in_command(redis, "http://mirror.example/debian")
    changes = images.import_changes(redis)

    assert "--include=redis-server" in command
    assert 'CMD ["redis-server"]' in changes
    assert 'ENTRYPOINT ["docker-entrypoint.sh"]' in changes
    assert "WORKDIR /data" in changes
    assert 'VOLUME ["/data"]' in changes
    assert "EXPOSE 6379" in changes


def test_registry_stand_in_carries_the_official_config_path() -> None:
    registry = images.find_base_image("registry:2.8")
    assert registry is not None

    command = images.stand_in_command(registry, "http://mirror.example/debian")
    changes = images.import_changes(registry)

    assert "--include=docker-registry" in command
    config = images.STANDINS / "registry-config.yml"
    assert (
        f'--customize-hook=install -D -m 0644 {config} "$1"'
        "/etc/docker/registry/config.yml"
    ) in command
    assert 'ENTRYPOINT ["/entrypoint.sh"]' in changes
    assert 'CMD ["/etc/docker/registry/config.yml"]' in changes
    assert 'VOLUME ["/var/lib/registry"]' in changes
    assert "EXPOSE 5000" in changes


def test_registry_config_serves_port_5000_from_the_volume() -> None:
    config = yaml.safe_load((images.STANDINS / "registry-config.yml").read_text())

    assert config["http"]["addr"] == ":5000"
    assert "tls" not in config["http"]
    assert config["storage"]["filesystem"]["rootdirectory"] == "/var/lib/registry"


def test_gcc_stand_in_has_a_c_toolchain() -> None:
    gcc = images.find_base_image("gcc:12-bookworm")
    assert gcc is not None

    command = images.stand_in_command(gcc, "http://mirror.example/debian")
    included = next(part for part in command if part.startswith("--include="))

    assert set(included.removeprefix("--include=").split(",")) >= {
        "gcc-12",
        "gcc",
        "libc6-dev",
        "make",
    }
    assert 'CMD ["bash"]' in images.import_changes(gcc)


def test_every_file_a_stand_in_copies_is_in_the_checkout() -> None:
    for image in images.BASE_IMAGES:
        for file in image.files:
            assert (images.STANDINS / file.source).is_file(), file
            assert file.target.startswith("/"), file


def test_copied_file_paths_are_quoted_for_the_shell() -> None:
    file = images.StandInFile("entry point.sh", "/usr/local/bin/entry", 0o755)

    hook = images.copy_in(file, Path("/home/a teacher/brickyard"))

    assert hook == (
        "install -D -m 0755 '/home/a teacher/brickyard/entry point.sh'"
        ' "$1"/usr/local/bin/entry'
    )


def test_recipe_digest_follows_the_recipe_not_the_machine() -> None:
    redis = images.find_base_image("redis:7.0-bookworm")
    assert redis is not None

    changed = dataclasses.replace(redis, packages=(*redis.packages, "procps"))

    assert images.recipe_digest(redis) == images.recipe_digest(redis)
    assert images.recipe_digest(changed) != images.recipe_digest(redis)
    changes = images.import_changes(redis)
    assert f'LABEL "{images.RECIPE_LABEL}"="{images.recipe_digest(redis)}"' in changes


# --- The stand-ins on the engine: each keeps the contract the exercises rely on -----

TEST_LABELS = {"brickyard.test": "images"}
SERVICE_IMAGES = (
    "postgres:15-bookworm",
    "redis:7.0-bookworm",
    "registry:2.8",
    "gcc:12-bookworm",
)


class Created:
    """Docker objects a test made, removed (newest first) however the test ends."""

    def __init__(self, engine: docker.DockerClient) -> None:
        self.engine = engine
        self.containers: list[Container] = []
        self.volumes: list[str] = []
        self.networks: list[str] = []
        self.images: list[str] = []

    def network(self) -> str:
        name = f"brickyard-test-images-{uuid.uuid4().hex[:8]}"
        self.engine.networks.create(name, labels=TEST_LABELS, internal=True)
        self.networks.append(name)
        return name

    def volume(self) -> str:
        name = f"brickyard-test-images-{uuid.uuid4().hex[:8]}"
        self.engine.volumes.create(name, labels=TEST_LABELS)
        self.volumes.append(name)
        return name

    def start(
        self, image: str, command: list[str] | None = None, **options: Any
    ) -> Container:
        container: Container = self.engine.containers.run(
            image, command, detach=True, labels=TEST_LABELS, **options
        )
        self.containers.append(container)
        return container

    def run(
        self, image: str, command: list[str], timeout: float = 60, **options: Any
    ) -> tuple[int, str]:
        """Run a container to its end; return its exit status and output."""
        container = self.start(image, command, **options)
        status = container.wait(timeout=timeout)["StatusCode"]
        return status, container.logs().decode(errors="replace")

    def remove(self, container: Container) -> None:
        # Images that declare a VOLUME give each container an anonymous volume, which
        # cannot be labelled: remove it with its container.
        container.remove(force=True, v=True)
        self.containers.remove(container)

    def remove_all(self) -> None:
        for container in reversed(self.containers):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
        for volume in reversed(self.volumes):
            with contextlib.suppress(docker.errors.NotFound):
                self.engine.volumes.get(volume).remove(force=True)
        for network in reversed(self.networks):
            with contextlib.suppress(docker.errors.NotFound):
                self.engine.networks.get(network).remove()
        for image in reversed(self.images):
            with contextlib.suppress(docker.errors.ImageNotFound):
                self.engine.images.remove(image, force=True)


@pytest.fixture
def created(engine: docker.DockerClient) -> Iterator[Created]:
    objects = Created(engine)
    try:
        yield objects
    finally:
        objects.remove_all()


def wait_for(probe: Callable[[], bool], what: str, timeout: float = 60) -> float:
    """Poll `probe` until it holds; return the seconds it took."""
    started = time.monotonic()
    while not probe():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)
    return time.monotonic() - started


def exec_output(container: Container, command: list[str]) -> tuple[int, str]:
    """Run `command` in `container`; return its exit status and trimmed output."""
    result = container.exec_run(command)
    # Neither streamed nor detached, so the output is bytes and the status is set.
    assert isinstance(result.output, bytes) and result.exit_code is not None
    return result.exit_code, result.output.decode(errors="replace").strip()


@pytest.mark.engine
@pytest.mark.parametrize(
    ("image", "command", "version"),
    [
        ("postgres:15-bookworm", ["postgres", "--version"], "(PostgreSQL) 15."),
        ("redis:7.0-bookworm", ["redis-server", "--version"], "v=7.0."),
        ("registry:2.8", ["registry", "--version"], " 2.8."),
        ("gcc:12-bookworm", ["gcc", "--version"], ") 12."),
    ],
)
def test_stand_in_contains_the_version_its_tag_claims(
    created: Created, image: str, command: list[str], version: str
) -> None:
    status, output = created.run(image, command, network_mode="none")

    assert status == 0, output
    assert version in output


@pytest.mark.engine
@pytest.mark.parametrize("name", SERVICE_IMAGES)
def test_stand_in_config_is_what_its_definition_says(
    engine: docker.DockerClient, name: str
) -> None:
    definition = images.find_base_image(name)
    assert definition is not None

    found = engine.images.get(name)
    if found.labels.get(images.labels.STAND_IN) != "true":
        pytest.skip(f"{name} was pulled from a registry, not stood in for")
    config = found.attrs["Config"]

    assert found.labels[images.RECIPE_LABEL] == images.recipe_digest(definition), (
        f"{name} is a stand-in of an older recipe: run 'docker rmi {name}' and"
        " 'brickyard images' to rebuild it"
    )
    assert tuple(config["Entrypoint"] or ()) == definition.entrypoint
    assert tuple(config["Cmd"]) == definition.cmd
    assert set(config.get("Volumes") or {}) == set(definition.volumes)
    assert set(config.get("ExposedPorts") or {}) == {
        f"{port}/tcp" for port in definition.ports
    }
    assert config["WorkingDir"] == definition.workdir
    assert not images.is_stale(engine, definition)
    changed = dataclasses.replace(definition, cmd=("sh",))
    assert images.is_stale(engine, changed)


POSTGRES_ENV = {
    "POSTGRES_PASSWORD": "brick-secret",
    "POSTGRES_USER": "builder",
    "POSTGRES_DB": "yard",
}
INIT_SQL = """\
CREATE TABLE bricks (colour text NOT NULL);
INSERT INTO bricks VALUES ('red');
"""
# Not executable, so the entrypoint sources it; it sees the POSTGRES_* variables.
INIT_SH = """\
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\
    -c "INSERT INTO bricks VALUES ('blue')"
"""
BRICKS_QUERY = "SELECT string_agg(colour, ',' ORDER BY colour) FROM bricks"


def start_postgres(
    created: Created, network: str, volume: str, init_dir: Path | None = None
) -> Container:
    mounts = [docker.types.Mount("/var/lib/postgresql/data", volume)]
    if init_dir is not None:
        mounts.append(
            docker.types.Mount(
                "/docker-entrypoint-initdb.d",
                str(init_dir),
                type="bind",
                read_only=True,
            )
        )
    db = created.start(
        "postgres:15-bookworm",
        environment=POSTGRES_ENV,
        mounts=mounts,
        network=network,
        networking_config={
            network: created.engine.api.create_endpoint_config(aliases=["db"])
        },
    )
    # Over TCP: the server that runs the init scripts listens on its socket only, so
    # this answers once the database is complete.
    probe = ["pg_isready", "-h", "127.0.0.1", "-U", "builder", "-d", "yard"]
    wait_for(lambda: exec_output(db, probe)[0] == 0, "pg_isready answering")
    return db


def psql_from_another_container(
    created: Created, network: str, sql: str, password: str = "brick-secret"
) -> tuple[int, str]:
    return created.run(
        "postgres:15-bookworm",
        ["psql", "-h", "db", "-U", "builder", "-d", "yard", "-tA", "-c", sql],
        environment={"PGPASSWORD": password},
        network=network,
    )


@pytest.mark.engine
def test_postgres_stand_in_keeps_the_official_contract(
    created: Created, tmp_path: Path
) -> None:
    network, volume = created.network(), created.volume()
    init_dir = tmp_path / "initdb"
    init_dir.mkdir(mode=0o755)
    (init_dir / "01-bricks.sql").write_text(INIT_SQL)
    (init_dir / "02-more.sh").write_text(INIT_SH)
    for script in init_dir.iterdir():
        script.chmod(0o644)

    db = start_postgres(created, network, volume, init_dir)
    status, found = psql_from_another_container(
        created, network, f"SELECT current_database(), current_user, ({BRICKS_QUERY})"
    )
    assert (status, found.strip()) == (0, "yard|builder|blue,red")

    status, refused = psql_from_another_container(
        created, network, "SELECT 1", password="wrong"
    )
    assert status != 0
    assert "password authentication failed" in refused

    server_user = exec_output(
        db, ["sh", "-c", 'stat -c %U /proc/$(head -n 1 "$PGDATA/postmaster.pid")']
    )
    assert server_user == (0, "postgres")

    status, _ = psql_from_another_container(
        created, network, "INSERT INTO bricks VALUES ('green')"
    )
    assert status == 0

    # A client still connected must not hold up `docker stop`.
    idle = created.start(
        "postgres:15-bookworm",
        [
            "psql",
            "-h",
            "db",
            "-U",
            "builder",
            "-d",
            "yard",
            "-c",
            "SELECT pg_sleep(60)",
        ],
        environment={"PGPASSWORD": "brick-secret"},
        network=network,
    )
    waiting = (
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%'"
        " AND pid <> pg_backend_pid()"
    )
    sessions = ["psql", "-U", "builder", "-d", "yard", "-tAc", waiting]
    wait_for(lambda: exec_output(db, sessions) == (0, "1"), "the idle client")
    started = time.monotonic()
    db.stop(timeout=10)
    stop_seconds = time.monotonic() - started
    assert stop_seconds < 3, f"docker stop took {stop_seconds:.1f} s"
    db.reload()
    assert db.attrs["State"]["ExitCode"] == 0
    created.remove(idle)
    created.remove(db)

    again = start_postgres(created, network, volume, init_dir)
    status, kept = psql_from_another_container(created, network, BRICKS_QUERY)
    assert (status, kept.strip()) == (0, "blue,green,red")
    log = again.logs().decode(errors="replace")
    assert "skipping initialization" in log
    assert "initializing a database cluster" not in log


@pytest.mark.engine
def test_postgres_stand_in_refuses_to_start_without_a_password(
    created: Created,
) -> None:
    status, output = created.run("postgres:15-bookworm", [], network_mode="none")

    assert status != 0
    assert "POSTGRES_PASSWORD" in output


@pytest.mark.engine
def test_postgres_stand_in_defaults_the_database_to_the_user(
    created: Created,
) -> None:
    db = created.start(
        "postgres:15-bookworm",
        environment={"POSTGRES_HOST_AUTH_METHOD": "trust", "POSTGRES_USER": "builder"},
        network_mode="none",
    )
    probe = ["pg_isready", "-h", "127.0.0.1", "-U", "builder"]
    wait_for(lambda: exec_output(db, probe)[0] == 0, "pg_isready answering")

    # Over TCP with no password: trust was asked for.
    found = exec_output(
        db,
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "builder",
            "-tAc",
            "SELECT current_database()",
        ],
    )

    assert found == (0, "builder")


@pytest.mark.engine
def test_postgres_stand_in_reads_secret_files_and_takes_server_options(
    created: Created, tmp_path: Path
) -> None:
    network = created.network()
    secret = tmp_path / "password"
    secret.write_text("from-a-secret\n")
    secret.chmod(0o644)

    # Options alone go to the server, as `command: ["-c", ...]` in a compose file.
    db = created.start(
        "postgres:15-bookworm",
        ["-c", "max_connections=42"],
        environment={
            "POSTGRES_PASSWORD_FILE": "/run/secrets/password",
            "POSTGRES_USER": "builder",
        },
        mounts=[
            docker.types.Mount(
                "/run/secrets/password", str(secret), type="bind", read_only=True
            )
        ],
        network=network,
        networking_config={
            network: created.engine.api.create_endpoint_config(aliases=["db"])
        },
    )
    probe = ["pg_isready", "-h", "127.0.0.1", "-U", "builder"]
    wait_for(lambda: exec_output(db, probe)[0] == 0, "pg_isready answering")
    query = "SELECT current_database(), current_setting('max_connections')"

    # Through the network address, where a password is required.
    def ask(password: str) -> tuple[int, str]:
        command = ["psql", "-h", "db", "-U", "builder", "-tAc", query]
        return exec_output(db, ["env", f"PGPASSWORD={password}", *command])

    assert ask("from-a-secret") == (0, "builder|42")
    assert ask("wrong")[0] != 0


@pytest.mark.engine
def test_redis_stand_in_keeps_appendonly_data_across_containers(
    created: Created,
) -> None:
    network, volume = created.network(), created.volume()

    def start_redis() -> Container:
        cache = created.start(
            "redis:7.0-bookworm",
            ["redis-server", "--appendonly", "yes"],
            mounts=[docker.types.Mount("/data", volume)],
            network=network,
            networking_config={
                network: created.engine.api.create_endpoint_config(aliases=["cache"])
            },
        )
        ping = ["redis-cli", "ping"]
        wait_for(lambda: exec_output(cache, ping) == (0, "PONG"), "redis answering")
        return cache

    def redis_cli(*words: str) -> tuple[int, str]:
        # From another container: the server listens on every interface, and
        # protected mode would answer DENIED to a client that is not local.
        status, output = created.run(
            "redis:7.0-bookworm", ["redis-cli", "-h", "cache", *words], network=network
        )
        return status, output.strip()

    cache = start_redis()
    assert redis_cli("SET", "brick", "red") == (0, "OK")
    assert exec_output(cache, ["ls", "/data/appendonlydir"])[0] == 0
    assert exec_output(cache, ["stat", "-c", "%U", "/proc/1"]) == (0, "redis")
    started = time.monotonic()
    cache.stop(timeout=10)
    assert time.monotonic() - started < 3
    created.remove(cache)

    start_redis()
    assert redis_cli("GET", "brick") == (0, "red")


def tiny_image_tar() -> bytes:
    """A root file system of one file, enough to push and pull."""
    content = b"a brick\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo("brick.txt")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


@pytest.mark.engine
def test_registry_stand_in_takes_a_push_and_gives_it_back(
    created: Created, engine: docker.DockerClient
) -> None:
    registry = created.start("registry:2.8", ports={"5000/tcp": ("127.0.0.1", None)})
    registry.reload()
    published = registry.ports["5000/tcp"]
    assert published, registry.ports
    port = published[0]["HostPort"]
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/v2/", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    wait_for(answers, "the registry answering on /v2/", timeout=30)
    repository = f"127.0.0.1:{port}/brickyard-test/brick"
    reference = f"{repository}:1"
    created.images.append(reference)
    engine.api.import_image_from_data(
        tiny_image_tar(),
        repository=repository,
        tag="1",
        changes=[f'LABEL "{key}"="{value}"' for key, value in TEST_LABELS.items()],
    )
    pushed_id = engine.images.get(reference).id

    for line in engine.images.push(repository, tag="1", stream=True, decode=True):
        assert "error" not in line, line
    with urllib.request.urlopen(f"{base}/v2/_catalog", timeout=5) as response:
        catalog = json.load(response)
    assert "brickyard-test/brick" in catalog["repositories"]
    engine.images.remove(reference)
    assert not images.image_present(engine, reference)
    pulled = engine.images.pull(repository, tag="1")

    assert pulled.id == pushed_id
    stored = exec_output(
        registry, ["ls", "/var/lib/registry/docker/registry/v2/repositories"]
    )
    assert stored == (0, "brickyard-test")


HELLO_C = '#include <stdio.h>\\nint main(void) { puts("hello, bricks"); return 0; }\\n'
MAKEFILE = "hello: hello.c\\n\\tcc -O2 -o $@ $<\\n"


@pytest.mark.engine
def test_gcc_stand_in_compiles_and_runs_hello_world(created: Created) -> None:
    script = (
        f"cd /tmp && printf '{HELLO_C}' > hello.c && printf '{MAKEFILE}' > Makefile"
        " && make --silent hello && ./hello"
        # A static binary is what a multi-stage build copies into a slim image.
        " && gcc -static -o hello-static hello.c && ./hello-static"
    )

    status, output = created.run(
        "gcc:12-bookworm", ["bash", "-c", script], network_mode="none"
    )

    assert status == 0, output
    assert output.split() == ["hello,", "bricks", "hello,", "bricks"]


@pytest.mark.engine
@pytest.mark.parametrize("name", ["debian:bookworm-slim", "python:3.11-slim-bookworm"])
def test_apt_keeps_no_caches_as_in_the_official_images(
    engine: docker.DockerClient, name: str
) -> None:
    script = "cat /etc/apt/apt.conf.d/docker-clean && apt-config dump | grep pkgcache"

    output = engine.containers.run(
        name, ["sh", "-c", script], remove=True, network_mode="none"
    ).decode()

    assert "/var/cache/apt/*.bin" in output
    assert 'Dir::Cache::pkgcache "";' in output

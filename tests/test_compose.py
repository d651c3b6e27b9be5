"""Compose stacks: refusals, the override, and reading Compose's output, on recordings.

The recordings under `tests/resources/compose/` are the real output of Compose 2.40
against Engine 20.10: `config --format json` of four files (recorded in
/tmp/brickyard-recorded/<name>), `ps --all --format json` of a stack with a healthy,
an unhealthy, an exited and a scaled service, and `docker events` of its `up`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
import yaml

from grader.checks import compose as checks
from grader.checks.registry import Unavailable
from grader.engine import compose
from grader.engine.cleanup import Filters
from grader.engine.containers import Limits
from grader.spec import SpecError, load_exercise
from tests.conftest import REPO, run_brickyard

RECORDED = REPO / "tests" / "resources" / "compose"
#: Where the recorded compose files lay when `docker compose config` read them.
RECORDED_AT = Path("/tmp/brickyard-recorded")
LABELS = {"brickyard.run": "r1", "brickyard.stack": "brickyard-01-x-r1"}


def config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"config-{name}.json").read_text())
    return data


def test_project_names_are_valid_for_compose_and_unique_per_run() -> None:
    first = compose.project_name("03-Web_Stack", "A1b2")
    second = compose.project_name("03-Web_Stack", "c3d4")

    assert first == "brickyard-03-web_stack-a1b2"
    assert first != second


def test_a_plain_stack_is_not_refused() -> None:
    assert compose.refusals(config("complete"), RECORDED_AT / "complete") == []
    assert compose.refusals(config("long-syntax"), RECORDED_AT / "long-syntax") == []


def test_every_risky_field_is_refused_by_name() -> None:
    found = "\n".join(compose.refusals(config("risky"), RECORDED_AT / "risky"))

    for expected in (
        "`services.evil.privileged` is true",
        "`services.evil.network_mode` is `host`",
        "`services.evil.pid` is `host`",
        "`services.evil.cap_add`",
        "`services.evil.devices`",
        "`services.evil.security_opt` turns off confinement (`seccomp=unconfined`)",
        "mounts the Docker socket (/var/run/docker.sock)",
        "mounts /etc, which is outside the exercise folder",
        "`services.evil.volumes_from` names `container:foo`",
        "`services.builder.ipc` is `host`",
        "`services.builder.userns_mode` is `host`",
        "`services.builder.build.context` is /tmp/brickyard-recorded, which is outside",
        "`services.builder` asks for 50 replicas",
        "`services.remote.build.context` is https://github.com/docker/compose.git",
        "`volumes.ext` is external",
        "`secrets.s.file` reads /etc/passwd",
    ):
        assert expected in found
    # A bind mount inside the exercise folder, a tmpfs and anonymous volumes are fine.
    assert "/tmp/brickyard-recorded/risky/sub" not in found
    assert "/anon" not in found


def test_the_override_labels_every_service_image_volume_and_network() -> None:
    override = compose.override_for(config("complete"), LABELS, Limits(), "p")

    for settings in override["services"].values():
        assert settings["labels"] == LABELS
    # The grader builds the image itself, so Compose gets no build to run.
    assert isinstance(override["services"]["web"]["build"], compose.Drop)
    assert override["volumes"] == {"dbdata": {"labels": LABELS}}
    assert set(override["networks"]) == {"front", "back", "default"}


def test_every_network_is_internal_unless_the_exercise_allows_egress() -> None:
    closed = compose.override_for(config("complete"), LABELS, Limits(), "p")
    opened = compose.override_for(config("complete"), LABELS, Limits(), "p", True)

    assert {key: net["internal"] for key, net in closed["networks"].items()} == {
        "front": True,
        "back": True,
        "default": True,
    }
    assert all("internal" not in net for net in opened["networks"].values())
    # A missing name fails within a second, not the resolver's 10 s.
    assert closed["services"]["web"]["dns_opt"] == ["timeout:1", "attempts:1"]
    assert "dns_opt" not in opened["services"]["web"]


@pytest.mark.parametrize("mode", ["bridge", "default"])
def test_the_engines_default_network_is_refused(mode: str) -> None:
    stack = {"services": {"web": {"image": "x", "network_mode": mode}}}

    found = compose.refusals(stack, RECORDED_AT)

    assert len(found) == 1
    assert found[0].startswith(f"`services.web.network_mode` is `{mode}`")
    assert "leave `network_mode` out" in found[0]


def test_a_built_image_gets_a_run_scoped_tag() -> None:
    override = compose.override_for(config("complete"), LABELS, Limits(), "proj")

    assert override["services"]["web"]["image"] == "proj-web:latest"
    # Services that run a base image keep it.
    assert "image" not in override["services"]["db"]


def test_limits_go_where_the_student_wrote_them_and_a_lower_limit_stays() -> None:
    services = compose.override_for(
        config("limits"), LABELS, Limits(memory="256m", cpus=1.0, pids=256), "p"
    )["services"]

    assert services["plain"]["mem_limit"] == 256 * 1024**2
    assert services["plain"]["cpus"] == 1.0
    assert services["plain"]["pids_limit"] == 256
    # Under a written `deploy.resources.limits`, every cap goes there, so Compose
    # sees no two different values for one limit.
    assert "mem_limit" not in services["deployed"]
    assert services["deployed"]["deploy"]["resources"]["limits"] == {
        "memory": str(100 * 1024**2),
        "cpus": 1.0,
        "pids": 256,
    }
    assert services["deployed"]["memswap_limit"] == 100 * 1024**2
    assert services["generous"]["mem_limit"] == 256 * 1024**2
    assert services["generous"]["cpus"] == 1.0
    assert services["generous"]["pids_limit"] == 100


def test_ports_are_published_on_loopback_at_ports_the_engine_picks() -> None:
    services = compose.override_for(config("limits"), LABELS, Limits(), "p")["services"]

    ports = services["named"]["ports"]
    assert isinstance(ports, compose.Replace)
    assert ports[0] == {"target": 80, "protocol": "tcp", "host_ip": "127.0.0.1"}
    assert {port["protocol"] for port in ports} == {"tcp", "udp"}
    assert all("published" not in port for port in ports)


def test_global_names_are_dropped_so_runs_never_collide() -> None:
    override = compose.override_for(config("limits"), LABELS, Limits(), "p")

    assert isinstance(override["services"]["named"]["container_name"], compose.Drop)
    assert isinstance(override["networks"]["back"]["name"], compose.Drop)
    assert isinstance(override["volumes"]["cache"]["name"], compose.Drop)
    assert "name" not in override["networks"]["default"]


def test_the_override_is_written_with_compose_merge_tags() -> None:
    override = compose.override_for(config("limits"), LABELS, Limits(), "p")
    text = compose.dump_override(override)

    assert "ports: !override" in text
    assert "container_name: !reset ''" in text
    assert "!!python" not in text


LIMITED = {
    "services": {
        "deployed": {
            "image": "debian:bookworm-slim",
            "deploy": {"resources": {"limits": {"memory": "100m"}}},
        },
        "named": {
            "image": "debian:bookworm-slim",
            "container_name": "fixed",
            "ports": ["8080:80"],
        },
    }
}


@pytest.mark.engine
@pytest.mark.parametrize("scenario", ["01-complete", "02-long-syntax", None])
def test_compose_accepts_the_override(tmp_path: Path, scenario: str | None) -> None:
    if scenario is None:
        folder = tmp_path
        (folder / "compose.yaml").write_text(yaml.safe_dump(LIMITED))
    else:
        folder = REPO / "tests" / "cases" / "kinds" / "compose_config" / scenario
    file = compose.find_compose_file(folder, "compose.yaml")
    project = compose.Project("brickyard-test-override", folder, file)
    override = tmp_path / "override.yaml"
    student = compose.load_config(project)
    override.write_text(
        compose.dump_override(
            compose.override_for(student, LABELS, Limits(), project.name)
        )
    )

    merged = compose.load_config(compose.Project(project.name, folder, file, override))

    assert merged["networks"]
    assert all(network["internal"] for network in merged["networks"].values())
    for service in merged["services"].values():
        assert service["labels"]["brickyard.run"] == "r1"
        assert "container_name" not in service
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1"
            assert "published" not in port


def test_sizes_are_read_in_docker_notation() -> None:
    assert compose.parse_bytes("256m") == 256 * 1024**2
    assert compose.parse_bytes("1g") == 1024**3
    assert compose.parse_bytes("512MB") == 512 * 1024**2
    assert compose.parse_bytes("1024") == 1024
    with pytest.raises(ValueError):
        compose.parse_bytes("lots")


def test_ps_output_is_read_line_by_line_or_as_an_array() -> None:
    text = (RECORDED / "ps.ndjson").read_text()
    rows = [json.loads(line) for line in text.splitlines()]

    states = compose.parse_ps(text)

    assert compose.parse_ps(json.dumps(rows)) == states
    by_name = {state.label: state for state in states}
    assert by_name["crash"].describe() == "exited with code 3"
    assert by_name["sick"].describe() == "is unhealthy"
    assert by_name["db"].health == "healthy"
    assert [state.label for state in states if state.service == "web"] == [
        "web",
        "web #2",
    ]
    assert "127.0.0.1:" in by_name["web #2"].ports
    assert compose.parse_ps("") == []


def test_the_timeline_gives_first_start_and_first_healthy_per_service() -> None:
    lines = (RECORDED / "events.ndjson").read_text().splitlines()
    events = [event for line in lines if (event := compose.parse_event(line))]

    moments = compose.timeline(events)

    assert compose.parse_event("not json") is None
    assert set(moments.healthy) == {"db"}
    assert set(moments.started) == {"crash", "sick", "db", "web"}
    # web waited for db to turn healthy: it started after, not before.
    assert moments.started["web"] > moments.healthy["db"] > moments.started["db"]
    assert moments.seconds(moments.origin) == 0


def test_a_command_result_hides_the_project_name_and_build_tool_notices() -> None:
    result = compose.CommandResult(
        ["docker", "compose", "-p", "proj", "-f", "/x/compose.yaml", "up", "-d"],
        1,
        " Container proj-web-1  Started\n",
        'time="x" level=warning msg="Docker Compose is configured to build using'
        " Bake, but buildx isn't installed\"\ncontainer proj-web-1 exited (1)\n",
        project="proj",
    )

    assert result.shown() == "docker compose up -d"
    assert result.error_line() == "container web-1 exited (1)"
    assert "Bake" not in result.output_tail()
    assert result.outcome() == "exited with code 1"


def test_a_missing_compose_file_is_found_under_another_name(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")

    assert compose.find_compose_file(tmp_path, "compose.yaml").name == (
        "docker-compose.yml"
    )
    with pytest.raises(Unavailable, match=r"there is no stack\.yaml"):
        compose.find_compose_file(tmp_path, "stack.yaml")


# The checks' own reading of the normalized model.


def no_image_healthcheck(name: str) -> str | None:
    return None


def test_a_complete_file_meets_every_structural_requirement() -> None:
    params = checks.ConfigParams(
        services=["proxy", "web", "db"],
        healthcheck=["db"],
        depends_on_healthy={"web": ["db"]},
        named_volumes={"db": ["/var/lib/data"]},
        networks={"web": ["front", "back"]},
        connected=[["proxy", "web"], ["web", "db"]],
        isolated=[["proxy", "db"]],
        only_published=["proxy"],
    )

    def compose_file_only(name: str) -> str | None:
        healthcheck = config("complete")["services"][name].get("healthcheck")
        return "compose file" if healthcheck else None

    assert checks.config_problems(config("complete"), params, compose_file_only) == []


def test_long_syntax_and_other_network_names_count_the_same() -> None:
    params = checks.ConfigParams(
        depends_on_healthy={"web": ["db"]},
        named_volumes={"db": ["/var/lib/data"]},
        connected=[["proxy", "web"], ["web", "db"]],
        isolated=[["proxy", "db"]],
        only_published=["proxy"],
    )

    assert checks.config_problems(config("long-syntax"), params, lambda _: "x") == []


def test_each_missing_piece_is_named_with_its_field() -> None:
    params = checks.ConfigParams(
        services=["cache"],
        healthcheck=["db"],
        depends_on_healthy={"proxy": ["web"]},
        named_volumes={"db": ["/srv/db.py", "/elsewhere"]},
        networks={"proxy": ["back"]},
        isolated=[["web", "db"]],
        only_published=[],
    )

    problems = checks.config_problems(config("complete"), params, no_image_healthcheck)

    assert problems == [
        "there is no service `cache` under `services:`",
        "`services.db` has no health check (add `healthcheck:` with a `test`, or a"
        " HEALTHCHECK to its image)",
        "`services.proxy.depends_on` does not list `web`",
        "`services.db.volumes` mounts a bind at /srv/db.py"
        " (/tmp/brickyard-recorded/complete/stack_db.py), not a named volume",
        "`services.db.volumes` mounts nothing at /elsewhere",
        "`services.proxy.networks` does not include `back` (it is on: front)",
        "web and db are both on back, so they are not isolated: a service reaches"
        " every service on a network it is on",
        "`services.proxy.ports` publishes 8080:8000 on the host, but only no service"
        " should (other services reach it by name; `expose:` documents a port"
        " without publishing it)",
    ]


def test_an_anonymous_volume_and_a_short_depends_on_are_explained() -> None:
    anonymous = checks.named_volume_problem(
        "db", [{"type": "volume", "target": "/data", "volume": {}}], "/data/"
    )
    model = {
        "services": {
            "web": {"depends_on": {"db": {"condition": "service_started"}}},
            "db": {},
        }
    }
    params = checks.ConfigParams(depends_on_healthy={"web": ["db"]})

    assert "anonymous volume at /data/" in anonymous
    assert checks.config_problems(model, params, no_image_healthcheck) == [
        "`services.web.depends_on.db` has condition `service_started` (the default"
        " when none is written), so web starts once db has started, not once it is"
        " healthy (`condition: service_healthy`)"
    ]


def test_services_sharing_a_network_stack_are_connected() -> None:
    services: dict[str, dict[str, Any]] = {
        "app": {"networks": {"default": None}},
        "sidecar": {"network_mode": "service:app"},
    }

    assert checks.shared_networks(services, ["app", "sidecar"]) == [
        "(one network stack)"
    ]
    assert checks.shared_networks(services, ["app", "missing"]) is None


def test_a_fixed_host_port_or_container_name_blocks_scaling() -> None:
    named = config("limits")["services"]["named"]

    blockers = checks.scale_blockers("named", named, 3)

    assert any("container_name" in blocker for blocker in blockers)
    assert any("host port 8080" in blocker for blocker in blockers)
    # `5000-5002:5000-5002` maps each container port to one host port of its own.
    assert any("host port 5001" in blocker for blocker in blockers)
    assert checks.scale_blockers("named", named, 1) == []
    ranged = {"ports": [{"target": 8000, "published": "8000-8002"}]}
    assert checks.scale_blockers("web", ranged, 3) == []
    assert len(checks.scale_blockers("web", ranged, 4)) == 1


def test_ports_are_shown_as_a_student_writes_them() -> None:
    assert checks.describe_port({"target": 8000, "published": "8080"}) == "8080:8000"
    assert checks.describe_port({"target": 53, "protocol": "udp"}) == "53/udp"


def test_a_link_is_written_with_from_in_exercise_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "05-links"
    folder.mkdir()
    check = {
        "id": "reach",
        "kind": "service_reaches",
        "title": "t",
        "points": 1,
        "feedback": "f",
        "hint": "h",
        "params": {"links": [{"from": "web", "to": "db", "port": 5432}]},
    }
    spec = {"id": "05-links", "title": "t", "concept": "c", "checks": [check]}
    (folder / "exercise.yaml").write_text(yaml.safe_dump(spec))

    links = load_exercise(folder).checks[0].params.links

    assert links == [checks.Link(from_="web", to="db", port=5432)]
    check["params"] = {"links": [{"from_": "web", "to": "db", "port": 1}]}
    (folder / "exercise.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match="from_"):
        load_exercise(folder)


def test_a_write_command_without_the_marker_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="marker"):
        checks.StackVolumeParams("db", ["sh", "-c", "echo hi > /x"], ["cat", "/x"])


def test_a_dockerfile_outside_the_folder_is_refused() -> None:
    model = {
        "services": {
            "web": {"build": {"context": "/work/ex", "dockerfile": "../../etc/passwd"}},
            "ok": {"build": {"context": "/work/ex", "dockerfile": "docker/Dockerfile"}},
        }
    }

    assert compose.refusals(model, Path("/work/ex")) == [
        "`services.web.build.dockerfile` is ../../etc/passwd, which is outside the"
        " exercise folder: keep the Dockerfile in the exercise folder"
    ]


KILLED_STACK = """
services:
  web:
    build: .
    depends_on:
      db:
        condition: service_healthy
  db:
    image: python:3.11-slim-bookworm
    command: ["python3", "/srv/db.py"]
    volumes: ["./stack_db.py:/srv/db.py:ro", "data:/var/lib/data", "/scratch"]
    # db stays `starting` for a minute: the grader is killed while `up --wait` waits.
    healthcheck:
      test: ["CMD", "true"]
      interval: 60s
volumes:
  data:
"""


@pytest.mark.engine
def test_clean_removes_every_object_of_a_stack_whose_run_was_killed(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    folder = tmp_path / "exercises" / "01-killed"
    folder.mkdir(parents=True)
    (folder / "compose.yaml").write_text(KILLED_STACK)
    (folder / "Dockerfile").write_text('FROM python:3.11-slim-bookworm\nCMD ["true"]\n')
    shutil.copy(REPO / "tests" / "cases" / "kinds" / "_shared" / "stack_db.py", folder)
    check = {"id": "up", "kind": "compose_up", "title": "t", "points": 1}
    spec = {
        "id": "01-killed",
        "title": "t",
        "concept": "c",
        "checks": [{**check, "feedback": "f", "hint": "h"}],
    }
    (folder / "exercise.yaml").write_text(yaml.safe_dump(spec))
    grader = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "grade", "--root", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    selector: Filters = {"label": f"brickyard.pid={grader.pid}"}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = engine.containers.list(filters=selector)
            if running:
                break
            time.sleep(0.5)
        assert running, "the stack never started"
    finally:
        # The whole process group goes, as when a CI job is cancelled: the grader,
        # its `docker compose up` and its `docker events`.
        os.killpg(grader.pid, signal.SIGKILL)
        grader.wait(timeout=30)
    project = running[0].labels[compose.PROJECT_LABEL]
    volumes = [
        mount["Name"] for mount in running[0].attrs["Mounts"] if mount.get("Name")
    ]

    cleaned = run_brickyard("clean")

    assert cleaned.returncode == 0, cleaned.stderr
    left: Filters = {"label": f"{compose.PROJECT_LABEL}={project}"}
    assert engine.containers.list(all=True, filters=left) == []
    assert engine.networks.list(filters=left) == []
    assert engine.images.list(all=True, filters=selector) == []
    assert len(volumes) == 2
    for name in volumes:
        with pytest.raises(docker.errors.NotFound):
            engine.volumes.get(name)


LIMITED_BUILD = """\
services:
  web:
    build: .
    command: ["sleep", "60"]
"""
# The step records which cgroup it ran in and the memory it was allowed.
RECORDING_DOCKERFILE = """\
FROM debian:bookworm-slim
RUN grep pids /proc/self/cgroup > /pids.txt \\
 && cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /memory.txt
"""


@pytest.mark.engine
def test_a_service_image_is_built_by_the_limited_builder_on_an_internal_network(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(LIMITED_BUILD)
    (tmp_path / "Dockerfile").write_text(RECORDING_DOCKERFILE)
    name = f"brickyard-test-build-{os.getpid()}"
    project = compose.Project(name, tmp_path, tmp_path / "compose.yaml")
    labels = {**LABELS, "brickyard.stack": name}
    stack = compose.Stack(
        engine, project, compose.load_config(project), labels, Limits()
    )
    try:
        stack.start(build_timeout=120, up_timeout=60)
        pids = stack.exec("web", ["cat", "/pids.txt"], timeout=30).stdout
        memory = stack.exec("web", ["cat", "/memory.txt"], timeout=30).stdout
        image = engine.images.get(f"{name}-web:latest")
        selector: Filters = {"label": f"{compose.PROJECT_LABEL}={name}"}
        networks = engine.networks.list(filters=selector)
    finally:
        stack.remove()

    assert image.labels["brickyard.stack"] == name
    assert [network.attrs["Internal"] for network in networks] == [True]
    assert int(memory) == 1024**3
    if Path("/sys/fs/cgroup/pids/brickyard").is_dir():
        assert "/brickyard/build-" in pids
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(f"{name}-web:latest")


@pytest.mark.engine
def test_a_service_build_context_with_an_escaping_symlink_is_refused(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(LIMITED_BUILD)
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nCOPY . /app/\n")
    (tmp_path / "secret").symlink_to("/etc/shadow")
    name = f"brickyard-test-symlink-{os.getpid()}"
    project = compose.Project(name, tmp_path, tmp_path / "compose.yaml")
    stack = compose.Stack(
        engine, project, compose.load_config(project), LABELS, Limits()
    )
    try:
        with pytest.raises(Unavailable) as refused:
            stack.start(build_timeout=60, up_timeout=30)
    finally:
        stack.remove()

    assert "service web did not build" in str(refused.value)
    assert "secret is a symbolic link to /etc/shadow" in str(refused.value)
    assert stack.ps() == []


# Each refused entry on a line of its own, so that its line is told from its section's.
REFUSED_ENTRIES = """\
services:
  web:
    image: python:3.11-slim-bookworm
    sysctls:
      net.core.somaxconn: "1024"
    oom_kill_disable: true
    pid: host
    volumes:
      - ./data:/data
      - /etc:/x
    env_file:
      - ok.env
      - ../outside.env
    cap_add:
      - NET_ADMIN
  side:
    extends:
      file: ../outside.yaml
      service: base
    sysctls:
      - net.ipv4.ip_forward=1
    uts: host
    label_file: ../outside.env
"""


@pytest.mark.engine
def test_each_refusal_names_the_line_of_the_refused_entry(tmp_path: Path) -> None:
    folder = tmp_path / "ex"
    folder.mkdir()
    (folder / "compose.yaml").write_text(REFUSED_ENTRIES)
    (folder / "ok.env").write_text("A=1\n")
    (tmp_path / "outside.env").write_text("B=2\n")
    (tmp_path / "outside.yaml").write_text(
        "services:\n  base:\n    image: debian:bookworm-slim\n"
    )
    file = folder / "compose.yaml"
    model = compose.load_config(compose.Project("brickyard-test-lines", folder, file))

    found = [
        compose.with_line(refusal, file) for refusal in compose.refusals(model, folder)
    ] + compose.file_refusals(file, folder)

    lines = {refusal.split(":", 1)[0]: refusal for refusal in found}
    assert sorted(lines, key=lambda key: int(key.split()[-1])) == [
        f"compose.yaml line {line}" for line in (5, 6, 7, 10, 13, 15, 18, 21, 22, 23)
    ]
    for line, field in (
        (5, "`services.web.sysctls` sets net.core.somaxconn=1024"),
        (6, "`services.web.oom_kill_disable` is true"),
        (7, "`services.web.pid` is `host`"),
        (10, "`services.web.volumes` mounts /etc, which is outside the exercise"),
        (13, "`services.web.env_file` reads ../outside.env, which is outside"),
        (15, "`services.web.cap_add` adds `NET_ADMIN`"),
        (18, "`services.side.extends` reads ../outside.yaml, which is outside"),
        (21, "`services.side.sysctls` sets net.ipv4.ip_forward=1"),
        (22, "`services.side.uts` is `host`"),
        (23, "`services.side.label_file` reads ../outside.env, which is outside"),
    ):
        assert lines[f"compose.yaml line {line}"].startswith(
            f"compose.yaml line {line}: {field}"
        )
    # Each says why, and what to do instead.
    for refusal in found:
        assert any(step in refusal for step in ("remove", "keep", "use a")), refusal


def test_an_included_file_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "include:\n  - inner.yaml\n  - path: /srv/other.yaml\n"
    )
    (tmp_path / "inner.yaml").write_text(
        "services:\n  web:\n    image: x\n    env_file: /etc/shadow\n"
    )

    found = compose.file_refusals(tmp_path / "compose.yaml", tmp_path)

    assert sorted(found) == [
        "compose.yaml line 3: `include.1.path` reads /srv/other.yaml, which is"
        " outside the exercise folder: Compose would read that file of the grading"
        " machine; keep the file in the exercise folder",
        "inner.yaml line 4: `services.web.env_file` reads /etc/shadow, which is"
        " outside the exercise folder: Compose would read that file of the grading"
        " machine; keep the file in the exercise folder",
    ]

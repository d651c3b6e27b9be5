"""Every base image that exercises, solutions and cases name is provided offline."""

from __future__ import annotations

from pathlib import Path

import yaml

from grader import dockerfile
from grader.engine.images import BASE_IMAGES
from tests.conftest import CASES, REPO

PROVIDED = {image.name for image in BASE_IMAGES}
#: Hostile cases are wrong on purpose, some in what they build on.
WRONG_ON_PURPOSE = CASES / "hostile"


def named_on_purpose(path: Path) -> set[str]:
    """The unavailable images the case holding `path` names on purpose.

    A case's expect.yaml lists them under `unavailable_images`: a case about an
    image that is not on the engine and cannot be pulled, or a Dockerfile that is
    read and never built.
    """
    for folder in path.parents:
        expect = folder / "expect.yaml"
        if expect.is_file():
            data = yaml.safe_load(expect.read_text()) or {}
            return set(data.get("unavailable_images", []))
        if folder == REPO:
            break
    return set()


def named_files(pattern: str) -> list[Path]:
    found = []
    for top in ("exercises", "solutions", "tests/cases"):
        for path in sorted((REPO / top).rglob(pattern)):
            if WRONG_ON_PURPOSE not in path.parents and path.is_file():
                found.append(path)
    return found


def from_images(path: Path) -> list[str]:
    """The images a Dockerfile's FROM lines name, not its stages or `scratch`."""
    try:
        parsed = dockerfile.parse(path.read_text(encoding="utf-8"))
    except dockerfile.DockerfileSyntaxError:
        return []
    names = []
    for stage in parsed.stages:
        if parsed.parent(stage) is not None:
            continue
        base, _ = dockerfile.substitute(stage.base, parsed.global_args)
        if base != "scratch":
            names.append(base)
    return names


def compose_images(path: Path) -> list[str]:
    """The images a compose file's services run without building them."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    services = data.get("services") if isinstance(data, dict) else None
    return [
        str(service["image"])
        for service in (services or {}).values()
        if isinstance(service, dict) and "image" in service and "build" not in service
    ]


def test_every_base_image_named_is_provided_offline() -> None:
    dockerfiles = named_files("*Dockerfile*")
    composes = [
        path
        for pattern in ("compose*.y*ml", "docker-compose*.y*ml")
        for path in named_files(pattern)
    ]
    assert len(dockerfiles) > 20 and composes, "the search found too few files"
    unknown = {
        f"{path.relative_to(REPO)}: {name}"
        for path in dockerfiles
        for name in from_images(path)
        if name not in PROVIDED | named_on_purpose(path)
    } | {
        f"{path.relative_to(REPO)}: {name}"
        for path in composes
        for name in compose_images(path)
        if name not in PROVIDED | named_on_purpose(path)
    }
    assert not unknown, (
        "these base images are not among the offline ones of grader/engine/images.py"
        f" ({', '.join(sorted(PROVIDED))}):\n" + "\n".join(sorted(unknown))
    )


def test_an_image_named_on_purpose_is_left_out_only_where_listed() -> None:
    case = CASES / "01-first-image" / "wrong-unavailable-base" / "Dockerfile"
    other = CASES / "01-first-image" / "alt-shell-exec" / "Dockerfile"

    assert from_images(case) == ["python:3.12-slim"]
    assert named_on_purpose(case) == {"python:3.12-slim"}
    assert named_on_purpose(other) == set()

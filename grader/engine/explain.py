"""Failed builds the grader recognises, explained in a student's terms."""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import docker
import docker.errors

from grader import dockerfile
from grader.engine import images

if TYPE_CHECKING:
    from grader.engine.build import BuildResult

log = logging.getLogger(__name__)

#: Flags only BuildKit's Dockerfile frontend knows, with how to do without each.
#: The legacy builder of Engine 20.10 knows `--from`, `--chown` and `--platform`.
BUILDKIT_FLAGS: dict[str, dict[str, str]] = {
    "RUN": {
        "mount": "drop `--mount=...`: COPY the files the step needs into the image"
        " first; the layer cache keeps the step's result between builds",
        "network": "drop `--network=...`: the grader decides the build's network",
        "security": "drop `--security=...`",
    },
    "COPY": {
        "link": "drop `--link`: a plain COPY brings the same files",
        "chmod": "drop `--chmod=...` and set the mode in a RUN chmod after the COPY,"
        " or give the file that mode in the folder",
        "parents": "drop `--parents` and copy each folder to its own destination",
        "exclude": "drop `--exclude=...` and list the paths to leave out in"
        " .dockerignore",
    },
    "ADD": {
        "link": "drop `--link`: a plain ADD brings the same files",
        "chmod": "drop `--chmod=...` and set the mode in a RUN chmod after the ADD",
        "checksum": "drop `--checksum=...`",
        "keep-git-dir": "drop `--keep-git-dir`",
        "exclude": "drop `--exclude=...` and list the paths to leave out in"
        " .dockerignore",
    },
}
_HEREDOC_ADVICE = {
    "RUN": "write the heredoc's commands as one RUN line joined with `&&` (or put"
    " them in a script file, COPY it and RUN it)",
    "COPY": "put the heredoc's text in a file of the folder and COPY that file",
    "ADD": "put the heredoc's text in a file of the folder and COPY that file",
}
_HEREDOC = re.compile(r"(?:^|\s)<<-?(['\"]?)[A-Za-z_][A-Za-z0-9_]*\1")
_SYNTAX = re.compile(r"^#\s*syntax\s*=\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Explanation:
    """Why a build failed: `reason` names the problem, `advice` the next step.

    The check that builds the image shows both; checks that only needed the image
    show the reason, so the advice is said once.
    """

    reason: str
    advice: str


@dataclass(frozen=True)
class BuildKitUse:
    """A line of a Dockerfile that needs BuildKit, and how to write it without."""

    line: int
    feature: str
    advice: str


def explain_failure(
    client: docker.DockerClient, path: Path, result: BuildResult
) -> Explanation | None:
    """Say why the build of the Dockerfile at `path` failed, if the grader knows."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    error = result.error or ""
    failed_step = result.steps[-1].instruction if result.steps else ""
    if images.registry_unreachable(error) and failed_step.upper().startswith("FROM"):
        return explain_missing_base(client, base_name(failed_step, text), text)
    uses = find_buildkit_syntax(text)
    if uses:
        return explain_buildkit(uses, text)
    return None


def explain_missing_base(
    client: docker.DockerClient, name: str, text: str
) -> Explanation:
    """The FROM image is not on the engine, and no registry answers to pull it."""
    present = []
    for image in images.BASE_IMAGES:
        try:
            if images.image_present(client, image.name):
                present.append(image.name)
        except docker.errors.APIError as error:
            log.info("could not look for %s: %s", image.name, error)
    line = next(
        (
            index + 1
            for index, row in enumerate(text.splitlines())
            if row.strip().upper().startswith("FROM") and name in row
        ),
        None,
    )
    where = f" (line {line})" if line else ""
    reference = dockerfile.split_reference(name)
    if present:
        offline = ", ".join(present)
        kin = [
            image for image in present if image.startswith(f"{reference.repository}:")
        ]
        advice = (
            f"The base images on this engine for offline work are {offline}. Use one"
            f" of them in FROM{where}, for example `FROM {(kin or present)[0]}`; if"
            " one you need is missing, run `nox -s images` to make it."
        )
    else:
        offline = ", ".join(image.name for image in images.BASE_IMAGES)
        advice = (
            f"None of the offline base images ({offline}) is on this engine yet: run"
            f" `nox -s images` to make them, then use one of them in FROM{where}."
        )
    if not reference.tag and not reference.digest:
        name = f"{name} (no tag, so {name}:latest)"
    return Explanation(
        f"its base image {name} is not on this Docker engine, and no registry"
        " answers to pull it from",
        advice,
    )


def explain_buildkit(uses: list[BuildKitUse], text: str) -> Explanation:
    """The Dockerfile uses syntax only BuildKit understands."""
    first = uses[0]
    syntax = next(
        (
            index + 1
            for index, row in enumerate(text.splitlines()[:5])
            if _SYNTAX.match(row)
        ),
        None,
    )
    directive = (
        f" The `# syntax=` directive on line {syntax} does not help: the legacy"
        " builder ignores it."
        if syntax
        else ""
    )
    others = "; ".join(
        f"line {use.line}: {use.advice}"
        for use in uses[1:]
        if use.advice != first.advice or use.line != first.line
    )
    more = f" Also {others}." if others else ""
    return Explanation(
        f"this Dockerfile uses BuildKit syntax ({first.feature} on line"
        f" {first.line}), which the grader's builder (Docker's legacy builder) does"
        " not have",
        f"Write it without: {first.advice}.{more}{directive}",
    )


def find_buildkit_syntax(text: str) -> list[BuildKitUse]:
    """Find the instructions that only BuildKit can build, in order."""
    try:
        instructions = dockerfile.parse(text).instructions
    except dockerfile.DockerfileSyntaxError:
        return []
    found = []
    for instruction in instructions:
        flags = BUILDKIT_FLAGS.get(instruction.keyword, {})
        for name in instruction.flags():
            if name in flags:
                found.append(
                    BuildKitUse(
                        instruction.line,
                        f"`{instruction.keyword} --{name}`",
                        flags[name],
                    )
                )
        if instruction.keyword in _HEREDOC_ADVICE and _HEREDOC.search(
            instruction.after_flags()
        ):
            found.append(
                BuildKitUse(
                    instruction.line,
                    f"a heredoc `{instruction.keyword} <<`",
                    _HEREDOC_ADVICE[instruction.keyword],
                )
            )
    return found


def base_name(step: str, text: str) -> str:
    """The image a FROM step names, with the Dockerfile's global ARGs filled in."""
    words = [word for word in step.split()[1:] if not word.startswith("--")]
    name = words[0] if words else step
    if "$" in name:
        with contextlib.suppress(dockerfile.DockerfileSyntaxError):
            name = dockerfile.substitute(name, dockerfile.parse(text).global_args)[0]
    return name

"""Static checks: rules read from the Dockerfile's text, no engine needed."""

from __future__ import annotations

from grader import dockerfile
from grader.checks.registry import Need, NoParams, Outcome, Unavailable, check_kind
from grader.engine.session import ExerciseSession


def parse_dockerfile(session: ExerciseSession) -> dockerfile.Dockerfile:
    """Return the parsed Dockerfile, or raise Unavailable saying what is wrong."""
    try:
        return dockerfile.parse(session.dockerfile_text())
    except dockerfile.DockerfileSyntaxError as error:
        raise Unavailable(f"the Dockerfile cannot be read: {error}") from error


@check_kind("base_image_pinned", Need.FILES)
def base_image_pinned(session: ExerciseSession, params: NoParams) -> Outcome:
    """Every FROM names its base image with a tag (or digest) other than `latest`."""
    parsed = parse_dockerfile(session)
    if not parsed.stages:
        return Outcome(
            False, "The Dockerfile has no FROM instruction, so it names no base image."
        )
    stage_names: set[str] = set()
    problems: list[str] = []
    bases: list[str] = []
    for stage in parsed.stages:
        base, unknown = dockerfile.substitute(stage.base, parsed.global_args)
        bases.append(f"line {stage.line}: FROM {stage.base}")
        if stage.name:
            stage_names.add(stage.name.lower())
        if unknown:
            problems.append(
                f"line {stage.line}: `FROM {stage.base}` uses ${{{unknown[0]}}}, which"
                " has"
                " no default, so the tag depends on how the image is built"
            )
            continue
        if (
            base.lower() in stage_names - {(stage.name or "").lower()}
            or base == "scratch"
        ):
            continue
        reference = dockerfile.split_reference(base)
        if reference.digest:
            continue
        if reference.tag is None:
            problems.append(
                f"line {stage.line}: `FROM {stage.base}` has no tag, so Docker uses"
                " `latest`, which moves whenever a new version is published"
            )
        elif reference.tag == "latest":
            problems.append(
                f"line {stage.line}: `FROM {stage.base}` asks for `latest`, which moves"
                " whenever a new version is published"
            )
    evidence = {"FROM lines": "\n".join(bases)}
    if problems:
        return Outcome(False, "; ".join(problems) + ".", evidence)
    return Outcome(True, "Every base image is pinned to a tag or digest.", evidence)

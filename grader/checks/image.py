"""Image checks: the student's image built and inspected, never started."""

from __future__ import annotations

from dataclasses import dataclass

from grader.checks.registry import Need, NoParams, Outcome, check_kind
from grader.engine.session import ExerciseSession


@check_kind("image_builds", Need.IMAGE)
def image_builds(session: ExerciseSession, params: NoParams) -> Outcome:
    """The image builds from the Dockerfile within the exercise's build time limit."""
    result = session.build()
    evidence: dict[str, object] = {
        "build seconds": round(result.seconds, 1),
        "steps": len(result.steps),
    }
    if result.ok:
        return Outcome(
            True,
            f"The image built in {result.seconds:.1f} s with {len(result.steps)}"
            " steps.",
            evidence,
        )
    evidence["build log (last lines)"] = result.log_tail()
    return Outcome(False, f"The image did not build: {result.error}", evidence)


@dataclass(frozen=True)
class ImageConfigParams:
    """What the image's configuration must hold; every field is optional."""

    #: Ports the image must declare with EXPOSE.
    exposes: list[int] | None = None
    #: Environment variables the image must set, with their values.
    env: dict[str, str] | None = None
    #: The working directory the image must set.
    workdir: str | None = None
    #: Labels the image must carry, with their values.
    labels: dict[str, str] | None = None
    #: When true, the image's USER must be set and must not be root.
    user_not_root: bool = False
    #: When true, the image must define a HEALTHCHECK.
    healthcheck: bool = False


@check_kind("image_config", Need.IMAGE, ImageConfigParams)
def image_config(session: ExerciseSession, params: ImageConfigParams) -> Outcome:
    """The image's configuration: ports, env, workdir, labels, user, health check."""
    config = session.image_attrs().get("Config") or {}
    missing: list[str] = []
    measured: dict[str, object] = {}

    if params.exposes is not None:
        exposed = sorted(config.get("ExposedPorts") or {})
        measured["exposed ports"] = ", ".join(exposed) or "none"
        for port in params.exposes:
            if f"{port}/tcp" not in exposed:
                missing.append(f"port {port} is not exposed (add `EXPOSE {port}`)")
    if params.env:
        image_env = dict(item.partition("=")[::2] for item in config.get("Env") or [])
        for name, value in params.env.items():
            measured[f"env {name}"] = image_env.get(name, "(unset)")
            if image_env.get(name) != value:
                missing.append(
                    f"ENV {name} is {image_env.get(name, 'unset')!r}, expected"
                    f" {value!r}"
                )
    if params.workdir is not None:
        measured["workdir"] = config.get("WorkingDir") or "/"
        if (config.get("WorkingDir") or "/").rstrip("/") != params.workdir.rstrip("/"):
            missing.append(
                f"the working directory is {measured['workdir']!r}, expected"
                f" {params.workdir!r}"
            )
    if params.labels:
        image_labels = config.get("Labels") or {}
        for name, value in params.labels.items():
            if image_labels.get(name) != value:
                missing.append(
                    f"LABEL {name} is {image_labels.get(name, 'unset')!r}, expected"
                    f" {value!r}"
                )
    if params.user_not_root:
        user = config.get("User") or ""
        measured["user"] = user or "(unset: root)"
        if user.split(":")[0] in ("", "root", "0"):
            missing.append(
                f"the image runs as {measured['user']} (add a USER that is not root)"
            )
    if params.healthcheck:
        test = (config.get("Healthcheck") or {}).get("Test") or []
        measured["healthcheck"] = " ".join(test) or "none"
        if not test or test == ["NONE"]:
            missing.append("no HEALTHCHECK is defined")

    if missing:
        return Outcome(
            False,
            "The image configuration is incomplete: " + "; ".join(missing) + ".",
            measured,
        )
    return Outcome(
        True,
        "The image configuration holds everything the exercise asks for.",
        measured,
    )

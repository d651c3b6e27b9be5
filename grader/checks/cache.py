"""Cache checks: rebuild after an edit and see which steps the build cache reused."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors

from grader.checks.image import base_image_of
from grader.checks.registry import Need, Outcome, Unavailable, check_kind, sentences
from grader.engine import layers
from grader.engine.session import ExerciseSession

_EDIT_MARK = "\n# brickyard: a one-line edit to test the build cache\n"


@dataclass(frozen=True)
class CacheParams:
    """The edit to make before rebuilding, and what the rebuild must do."""

    #: The file to edit, relative to the build context (a copy; yours is untouched).
    edit: str
    #: Instructions (any part of their text) the rebuild must take from the cache.
    reused: list[str] = field(default_factory=list)
    #: Instructions (any part of their text) the rebuild must run again.
    rebuilt: list[str] = field(default_factory=list)
    #: The text appended to the edited file.
    append: str = _EDIT_MARK


@check_kind("cache_reuse", Need.REBUILD, CacheParams)
def cache_reuse(session: ExerciseSession, params: CacheParams) -> Outcome:
    """After editing one file, the rebuild reuses (or reruns) the steps named.

    The student's image is built; a copy of the build context is edited (a line
    appended to the named file) and built again; then the two images' layer digests
    are compared step by step (see grader/engine/layers.py), so the verdict is the
    same with the legacy builder and with BuildKit. Any Dockerfile that puts the
    named steps before the edited file is copied in passes, whatever its other steps.

    Example:
        - id: deps-cached
          kind: cache_reuse
          title: Editing app.py does not reinstall the dependencies
          points: 3
          params:
            edit: app.py
            reused: [pip install]
    """
    before = session.image()
    with tempfile.TemporaryDirectory(prefix="brickyard-cache-") as scratch:
        copy = Path(scratch) / "context"
        shutil.copytree(session.context, copy, symlinks=True)
        target = copy / params.edit
        if not target.is_file():
            raise Unavailable(
                f"the file {params.edit} that this check edits is not in the build"
                " context; keep it where the exercise put it"
            )
        with target.open("a", encoding="utf-8") as handle:
            handle.write(params.append)
        name = "edit-" + "".join(ch if ch.isalnum() else "-" for ch in params.edit)
        after = session.build_variant(copy, name.lower().strip("-"))
    if not after.ok:
        raise Unavailable(
            f"the rebuild after editing {params.edit} failed: {after.error}",
            {"build log (last lines)": after.log_tail()},
        )

    verdicts = compare_builds(session, before.image_id or "", after.image_id or "")
    table = "\n".join(
        f"{'reused ' if verdict.reused else 'REBUILT'}  {verdict.instruction[:90]}"
        for verdict in verdicts
    )
    evidence: dict[str, object] = {f"steps after editing {params.edit}": table}
    problems = []
    for pattern, want_reused in [(p, True) for p in params.reused] + [
        (p, False) for p in params.rebuilt
    ]:
        named = [v for v in verdicts if layers.matches(v.instruction, pattern)]
        if not named:
            problems.append(f"no step of the Dockerfile contains {pattern!r}")
            continue
        for verdict in named:
            if verdict.reused != want_reused:
                problems.append(
                    f"`{verdict.instruction[:70]}` was "
                    + ("rebuilt" if want_reused else "taken from the cache")
                    + f" after only {params.edit} changed"
                )
    if problems:
        return Outcome(False, sentences(problems), evidence)
    expected = ", ".join(
        [f"reused {p!r}" for p in params.reused]
        + [f"rebuilt {p!r}" for p in params.rebuilt]
    )
    return Outcome(
        True, f"After editing {params.edit} the rebuild {expected}.", evidence
    )


def compare_builds(
    session: ExerciseSession, before_id: str, after_id: str
) -> list[layers.StepVerdict]:
    """Compare two builds of the exercise step by step, leaving out the base's steps."""
    client = session.client
    base = base_image_of(session)
    skip = 0
    if base is not None:
        try:
            skip = len(client.api.history(base))
        except docker.errors.ImageNotFound:
            skip = 0
    images = [client.images.get(image_id) for image_id in (before_id, after_id)]
    digests = [image.attrs["RootFS"].get("Layers") or [] for image in images]
    steps = [
        layers.steps_of(client.api.history(image.id), len(layer_list))
        for image, layer_list in zip(images, digests, strict=True)
    ]
    return layers.compare(steps[0], steps[1], digests[0], digests[1], skip=skip)

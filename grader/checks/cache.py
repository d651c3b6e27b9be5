"""Cache checks: rebuild after an edit and see which steps the build cache reused."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from grader import dockerfile
from grader.checks.image import base_image_of
from grader.checks.registry import Need, Outcome, Unavailable, check_kind, sentences
from grader.engine import layers
from grader.engine.build import BuildResult
from grader.engine.progress import is_grader_label
from grader.engine.session import ExerciseSession

log = logging.getLogger(__name__)

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
    after = build_edited(session, params, "")
    verdicts = compare_builds(session, before.image_id or "", after.image_id or "")
    problems, evidence = judge(session, params, verdicts)
    if problems:
        # Another run's cleanup can remove a cached step image between the two
        # builds (the legacy builder holds no claim on its cache), and the rebuild
        # then misses it for no fault of the student's. Both builds are made once
        # more, the first from the cache it just renewed; a Dockerfile in the wrong
        # order misses the cache again, the same way.
        log.warning(
            "cache check after editing %s failed (%s); building both once more",
            params.edit,
            sentences(problems),
        )
        again = session.build_variant(session.context, variant_name(params, "-base"))
        if again.ok:
            after = build_edited(session, params, "-again")
            verdicts = compare_builds(
                session, again.image_id or "", after.image_id or ""
            )
            problems, evidence = judge(session, params, verdicts)
    if problems:
        return Outcome(False, sentences(problems), evidence)
    expected = ", ".join(
        [f"reused {p!r}" for p in params.reused]
        + [f"rebuilt {p!r}" for p in params.rebuilt]
    )
    return Outcome(
        True, f"After editing {params.edit} the rebuild {expected}.", evidence
    )


def build_edited(
    session: ExerciseSession, params: CacheParams, suffix: str
) -> BuildResult:
    """Build a copy of the context with `params.edit` edited; raise if it fails."""
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
        after = session.build_variant(copy, variant_name(params, suffix))
    if not after.ok:
        raise Unavailable(
            f"the rebuild after editing {params.edit} failed: {after.error}",
            {"build log (last lines)": after.log_tail()},
        )
    return after


def variant_name(params: CacheParams, suffix: str) -> str:
    """Name a build of this check's own, one per edited file: `edit-app-py`."""
    name = "edit-" + "".join(ch if ch.isalnum() else "-" for ch in params.edit)
    return name.lower().strip("-") + suffix


def judge(
    session: ExerciseSession, params: CacheParams, verdicts: list[layers.StepVerdict]
) -> tuple[list[str], dict[str, object]]:
    """Say what the rebuild did that the check forbids; the steps as evidence."""
    shown = written_instructions(session, verdicts) or [
        verdict.instruction for verdict in verdicts
    ]
    table = "\n".join(
        f"{'reused ' if verdict.reused else 'REBUILT'}  {clip(text, 90)}"
        for verdict, text in zip(verdicts, shown, strict=True)
    )
    evidence: dict[str, object] = {f"steps after editing {params.edit}": table}
    problems = []
    for pattern, want_reused in [(p, True) for p in params.reused] + [
        (p, False) for p in params.rebuilt
    ]:
        named = [
            (verdict, text)
            for verdict, text in zip(verdicts, shown, strict=True)
            if dockerfile.mentions(verdict.instruction, pattern)
            or dockerfile.mentions(text, pattern)
        ]
        if not named:
            problems.append(f"no step of the Dockerfile contains {pattern!r}")
            continue
        for verdict, text in named:
            if verdict.reused != want_reused:
                problems.append(
                    f"`{clip(text, 70)}` was "
                    + ("rebuilt" if want_reused else "taken from the cache")
                    + f" after only {params.edit} changed"
                )
    return problems, evidence


def compare_builds(
    session: ExerciseSession, before_id: str, after_id: str
) -> list[layers.StepVerdict]:
    """Compare two builds of the exercise step by step, leaving out the base's steps."""
    return compare_images(session.client, before_id, after_id, base_image_of(session))


def compare_images(
    client: docker.DockerClient, before_id: str, after_id: str, base: str | None
) -> list[layers.StepVerdict]:
    """Compare two images built from one Dockerfile, past the steps of `base`.

    Whichever builder made them: both record a history entry per instruction and a
    digest per layer, which is all this reads.
    """
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
    verdicts = layers.compare(steps[0], steps[1], digests[0], digests[1], skip=skip)
    # The LABEL steps the legacy builder adds for the grader's labels are not the
    # student's steps.
    return [verdict for verdict in verdicts if not is_grader_label(verdict.instruction)]


def written_instructions(
    session: ExerciseSession, verdicts: list[layers.StepVerdict]
) -> list[str] | None:
    """Return the Dockerfile's own lines for the compared steps, when they pair up.

    The history shows the legacy builder's text (`COPY file:3b1f... in .`); the
    Dockerfile's line is what the student wrote. The steps after the base image are
    the instructions of the final stage and the stages it builds on, FROM aside;
    when their number or keywords differ from the history's, None.
    """
    try:
        parsed = dockerfile.parse(session.dockerfile_text())
    except (dockerfile.DockerfileSyntaxError, Unavailable):
        return None
    final = parsed.final_stage()
    if final is None:
        return None
    written = [
        instruction
        for stage in parsed.chain(final)
        for instruction in stage.instructions
        if instruction.keyword != "FROM"
    ]
    if len(written) != len(verdicts):
        return None
    for instruction, verdict in zip(written, verdicts, strict=True):
        keyword = (verdict.instruction.split() or [""])[0].upper()
        # The legacy builder records a RUN that sees build args as `|1 NAME=value
        # /bin/sh -c ...`.
        if keyword.startswith("|"):
            keyword = "RUN"
        if keyword != instruction.keyword:
            return None
    return [instruction.text() for instruction in written]


def clip(text: str, width: int) -> str:
    """Shorten an instruction to `width` characters at a word boundary, with "…"."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"

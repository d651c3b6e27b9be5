"""Static checks: rules read from the Dockerfile's text, no engine needed."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from docker.utils.fnmatch import fnmatchcase

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
    """Every FROM names its base image with a tag (or digest) other than `latest`.

    A FROM that builds on an earlier stage (or on `scratch`) is not judged; ARGs
    are expanded first, so `FROM python:${PY}` passes when the ARG's default pins a
    tag. An untagged base means `latest`, which changes under the student's feet.

    Example:
        - id: pinned-base
          kind: base_image_pinned
          title: The base image is pinned to a version
          points: 1
    """
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


def final_stage(parsed: dockerfile.Dockerfile) -> dockerfile.Stage:
    """Return the final stage, or raise Unavailable when there is no FROM at all."""
    stage = parsed.final_stage()
    if stage is None:
        raise Unavailable(
            "the Dockerfile has no FROM instruction, so it defines no image; start it"
            " with `FROM <image>:<tag>`"
        )
    return stage


def quote(instruction: dockerfile.Instruction, start: bool = False) -> str:
    """Show an instruction as a student finds it: its line number and its text.

    `start` capitalizes it, for the start of a sentence.
    """
    text = " ".join(instruction.text().split())
    if len(text) > 72:
        text = text[:69] + "..."
    return f"{'Line' if start else 'line'} {instruction.line}: `{text}`"


def describe_stage(stage: dockerfile.Stage, start: bool = False) -> str:
    """Name the final stage by its FROM line; `start` capitalizes it."""
    name = f" AS {stage.name}" if stage.name else ""
    return (
        f"{'The' if start else 'the'} final stage (line {stage.line}:"
        f" `FROM {stage.base}{name}`)"
    )


def chain_instructions(
    parsed: dockerfile.Dockerfile, stage: dockerfile.Stage
) -> list[tuple[dockerfile.Stage, dockerfile.Instruction]]:
    """Return the instructions that make up `stage`'s image, those it inherits first.

    The FROM instructions are left out: they only say where the chain starts.
    """
    return [
        (current, instruction)
        for current in parsed.chain(stage)
        for instruction in current.instructions
        if instruction.keyword != "FROM"
    ]


def last_of(
    parsed: dockerfile.Dockerfile, stage: dockerfile.Stage, keyword: str
) -> tuple[dockerfile.Stage, dockerfile.Instruction] | None:
    """Return the last `keyword` instruction that takes effect in `stage`'s image."""
    found = [
        (owner, instruction)
        for owner, instruction in chain_instructions(parsed, stage)
        if instruction.keyword == keyword
    ]
    return found[-1] if found else None


def elsewhere(
    parsed: dockerfile.Dockerfile, stage: dockerfile.Stage, keyword: str
) -> str:
    """Say where `keyword` appears only in stages that do not make the final image."""
    chain = {id(item) for item in parsed.chain(stage)}
    others = [
        instruction
        for other in parsed.stages
        if id(other) not in chain
        for instruction in other.instructions
        if instruction.keyword == keyword
    ]
    if not others:
        return ""
    return (
        f" ({quote(others[-1])} is in an earlier build stage, whose settings do not"
        " carry over to the final image)"
    )


def inherited_from(parsed: dockerfile.Dockerfile, stage: dockerfile.Stage) -> str:
    """Return the image that the first stage of `stage`'s chain starts from."""
    root = parsed.chain(stage)[0]
    return dockerfile.substitute(root.base, parsed.global_args)[0] or root.base


@dataclass(frozen=True)
class ExecFormParams:
    """Which of CMD and ENTRYPOINT the final stage must set, and what form counts."""

    #: The final stage must set a CMD or an ENTRYPOINT (one inherited from the base
    #: image does not count).
    require_cmd_or_entrypoint: bool = True
    #: The final stage must set a CMD.
    require_cmd: bool = False
    #: The final stage must set an ENTRYPOINT.
    require_entrypoint: bool = False
    #: Accept a shell-form command that starts with `exec` (`CMD exec python3 app.py`):
    #: the shell replaces itself with the app, which then receives the signals.
    allow_shell_exec: bool = True


# Shells that stay PID 1 when given one command with -c: Debian's /bin/sh is dash,
# which does not replace itself with the command it runs (see ENGINE-NOTES.md).
_SHELLS_THAT_WAIT = {"sh", "dash"}
_JSONISH = re.compile(r"[\[\]',\"]")
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`\\\"'*?~#]")


@check_kind("exec_form", Need.FILES, ExecFormParams)
def exec_form(session: ExerciseSession, params: ExecFormParams) -> Outcome:
    """CMD and ENTRYPOINT of the final stage are in exec (JSON) form.

    The command and entrypoint that take effect in the final image are read: the last
    of each in the final stage or in an earlier stage it is built `FROM`, with an
    ENTRYPOINT clearing a CMD inherited from the stage's base, as Docker does. Exec
    form (`CMD ["python3", "app.py"]`) makes the app PID 1, so `docker stop`'s SIGTERM
    reaches it; so does a shell form that starts with `exec`, which is accepted unless
    `allow_shell_exec` is false. An exec form that only runs `sh -c` without `exec`,
    and text that looks like JSON but is not (single quotes), behave like shell form
    and fail. A command inherited from the base image counts as absent.

    Example:
        - id: exec-form
          kind: exec_form
          title: CMD is in exec form
          points: 2
          params:
            require_cmd_or_entrypoint: true
    """
    parsed = parse_dockerfile(session)
    stage = final_stage(parsed)
    command, entrypoint, cleared = effective_command(parsed, stage)
    evidence: dict[str, object] = {
        "final stage": f"line {stage.line}: FROM {stage.base}",
        "ENTRYPOINT": quote(entrypoint) if entrypoint else "(none set)",
        "CMD": quote(command) if command else "(none set)",
    }
    problems: list[str] = []
    for instruction in (entrypoint, command):
        if instruction is None:
            continue
        problem = form_problem(
            instruction,
            params.allow_shell_exec,
            entrypoint if instruction is command else None,
        )
        if problem:
            problems.append(problem)

    has_command = command is not None and command.exec_form != []
    has_entrypoint = entrypoint is not None and entrypoint.exec_form != []
    base = inherited_from(parsed, stage)
    missing: list[str] = []
    if params.require_cmd_or_entrypoint and not (has_command or has_entrypoint):
        missing.append("neither CMD nor ENTRYPOINT")
    if params.require_cmd and not has_command:
        missing.append("no CMD")
    if params.require_entrypoint and not has_entrypoint:
        missing.append("no ENTRYPOINT")
    if missing:
        cleared_note = (
            f"; {quote(cleared)} also clears any CMD inherited from the base image"
            if cleared and not has_command
            else ""
        )
        problems.append(
            f"{describe_stage(stage)} sets {missing[0]}, so the image keeps whatever"
            f" its base image `{base}` defines, which the grader does not count"
            f"{cleared_note}{elsewhere(parsed, stage, 'CMD')}"
        )

    if problems:
        return Outcome(False, capitalized("; ".join(problems)) + ".", evidence)
    shown = [
        quote(item)
        + (" is in exec form" if item.exec_form is not None else " starts with `exec`")
        for item in (entrypoint, command)
        if item is not None
    ]
    if not shown:
        return Outcome(
            True,
            "The final stage sets no CMD or ENTRYPOINT, and this exercise does not ask"
            " for one.",
            evidence,
        )
    return Outcome(
        True,
        capitalized(" and ".join(shown)) + ": the app runs as PID 1 and receives"
        " SIGTERM from `docker stop`.",
        evidence,
    )


def effective_command(
    parsed: dockerfile.Dockerfile, stage: dockerfile.Stage
) -> tuple[
    dockerfile.Instruction | None,
    dockerfile.Instruction | None,
    dockerfile.Instruction | None,
]:
    """Return the CMD and ENTRYPOINT that take effect in `stage`'s image.

    The third value is the ENTRYPOINT that cleared an inherited CMD, if one did:
    Docker resets the CMD a stage inherits when the stage sets an ENTRYPOINT before
    any CMD of its own.
    """
    command: dockerfile.Instruction | None = None
    entrypoint: dockerfile.Instruction | None = None
    cleared: dockerfile.Instruction | None = None
    for current in parsed.chain(stage):
        command_set_here = False
        for instruction in current.instructions:
            if instruction.keyword == "CMD":
                command, command_set_here = instruction, True
            elif instruction.keyword == "ENTRYPOINT":
                entrypoint = instruction
                if not command_set_here:
                    command, cleared = None, instruction
    return command, entrypoint, cleared


def form_problem(
    instruction: dockerfile.Instruction,
    allow_shell_exec: bool,
    exec_entrypoint: dockerfile.Instruction | None,
) -> str | None:
    """Say why `instruction` does not start the app as PID 1; None when it does."""
    words = instruction.exec_form
    keyword = instruction.keyword
    if words is not None:
        if (
            len(words) >= 3
            and words[0].rsplit("/", 1)[-1] in _SHELLS_THAT_WAIT
            and words[1].startswith("-")
            and "c" in words[1]
            and not words[2].lstrip().startswith("exec ")
        ):
            return (
                f"{quote(instruction)} is JSON, but it runs `{words[0]} -c`, which is"
                " the shell form written out by hand: the shell stays PID 1 and does"
                f" not pass SIGTERM on. {advice(keyword, words[2])}"
            )
        return None
    text = instruction.arguments.strip()
    if text.startswith("["):
        plain = _JSONISH.sub(" ", text)
        return (
            f"{quote(instruction)} looks like a JSON list but is not valid JSON (each"
            " item needs double quotes), so Docker runs it as a shell command instead."
            f" {advice(keyword, plain)}"
        )
    if allow_shell_exec and re.match(r"exec\s", text):
        return None
    if keyword == "CMD" and exec_entrypoint is not None:
        return (
            f"{quote(instruction)} is in shell form, so the ENTRYPOINT at line"
            f" {exec_entrypoint.line} receives `/bin/sh -c {text}` as its arguments."
            f" {advice('CMD', text)}"
        )
    return (
        f"{quote(instruction)} is in shell form: Docker runs `/bin/sh -c '{text}'`, so"
        " the shell is PID 1 and the app never receives SIGTERM from `docker stop`."
        f" {advice(keyword, text)}"
    )


def advice(keyword: str, command: str) -> str:
    """Say how to write `command` so the app runs as PID 1, as a sentence."""
    if _SHELL_SYNTAX.search(command):
        return (
            f"Start the command with `exec` (`{keyword} exec ...`) or move the shell"
            f' logic into a script and write `{keyword} ["/app/start.sh"]`'
        )
    return f"Write `{keyword} {json.dumps(command.split())}`"


def capitalized(text: str) -> str:
    """Return `text` with its first letter in upper case, for a message's start."""
    return text[:1].upper() + text[1:]


@check_kind("user_not_root", Need.FILES)
def user_not_root(session: ExerciseSession, params: NoParams) -> Outcome:
    """The last USER of the final stage is set and is not root.

    The USER that takes effect in the final image is read: the last one in the final
    stage or in an earlier stage it is built `FROM` (a USER in another build stage
    does not carry over). Its user part is root when it reads `root` or a number equal
    to 0, whatever the group (`0:0`, `root:root`); any other name or UID passes,
    including `1000:0`. A USER written with a variable (`USER ${APP_USER}`) is
    resolved from the ARG and ENV values in scope, the exercise's build arguments
    included; a variable with no value leaves the user empty, which is root. No USER
    at all means the base image's user, root for official images.

    Example:
        - id: non-root
          kind: user_not_root
          title: The container does not run as root
          points: 2
    """
    parsed = parse_dockerfile(session)
    stage = final_stage(parsed)
    found = last_of(parsed, stage, "USER")
    if found is None:
        return Outcome(
            False,
            f"{describe_stage(stage, start=True)} has no USER instruction, so the"
            " container runs as the user of the base image"
            f" `{inherited_from(parsed, stage)}`, which for official images is root"
            f"{elsewhere(parsed, stage, 'USER')}.",
            {"final stage": f"line {stage.line}: FROM {stage.base}"},
        )

    owner, instruction = found
    written = instruction.arguments.strip()
    values = parsed.variables_at(
        owner, instruction.line, dict(session.exercise.image.build_args)
    )
    user, unknown = dockerfile.substitute(written, values)
    evidence: dict[str, object] = {"USER": quote(instruction), "resolves to": user}
    if unknown:
        return Outcome(
            False,
            f"{quote(instruction, start=True)} uses ${unknown[0]}, which has no value"
            " when the image is built (give the ARG a default or set it with ENV), so"
            " the user is empty and the container runs as root.",
            evidence,
        )
    resolved = f" (`{written}` resolves to `{user}`)" if user != written else ""
    name = user.split(":", 1)[0].strip()
    if name in ("", "root") or (name.isdigit() and int(name) == 0):
        return Outcome(
            False,
            f"{quote(instruction, start=True)}{resolved} is the last USER of the final"
            " image and names root, so the container runs with root's power. Create a"
            " user (e.g. `RUN useradd --create-home app`) and end with `USER app`.",
            evidence,
        )
    return Outcome(
        True,
        f"{quote(instruction, start=True)}{resolved} is the last USER of the final"
        f" image: the container runs as `{user}`, not root.",
        evidence,
    )


@check_kind("healthcheck_defined", Need.FILES)
def healthcheck_defined(session: ExerciseSession, params: NoParams) -> Outcome:
    """The final stage has a HEALTHCHECK that runs a command (not `NONE`).

    The HEALTHCHECK that takes effect in the final image is read: the last one in
    the final stage or in an earlier stage it is built `FROM`. It passes when it reads
    `HEALTHCHECK [options] CMD <command>`, in shell or exec form, with any options;
    `HEALTHCHECK NONE` switches health checks off and fails, as does a HEALTHCHECK
    only in another build stage or only in the base image. Whether the command really
    reports the app's health is for an engine check to measure.

    Example:
        - id: healthcheck
          kind: healthcheck_defined
          title: The image defines a health check
          points: 1
    """
    parsed = parse_dockerfile(session)
    stage = final_stage(parsed)
    found = last_of(parsed, stage, "HEALTHCHECK")
    if found is None:
        return Outcome(
            False,
            f"{describe_stage(stage, start=True)} has no HEALTHCHECK, so Docker cannot"
            " tell whether the app inside a running container still works; one"
            f" inherited from the base image `{inherited_from(parsed, stage)}` does not"
            f" count{elsewhere(parsed, stage, 'HEALTHCHECK')}.",
            {"final stage": f"line {stage.line}: FROM {stage.base}"},
        )
    _, instruction = found
    rest = instruction.after_flags()
    evidence: dict[str, object] = {"HEALTHCHECK": quote(instruction)}
    if instruction.flags():
        evidence["options"] = " ".join(
            f"--{name}={value}" for name, value in instruction.flags().items()
        )
    keyword, _, command = rest.partition(" ")
    if keyword.upper() == "NONE":
        return Outcome(
            False,
            f"{quote(instruction, start=True)} switches the health check off. Write"
            " `HEALTHCHECK CMD <a command that fails when the app is unhealthy>`.",
            evidence,
        )
    if keyword.upper() != "CMD" or not command.strip():
        return Outcome(
            False,
            f"{quote(instruction, start=True)} does not read `HEALTHCHECK [options] CMD"
            " <command>`, so Docker rejects it. Put the options first, then CMD and"
            " the command.",
            evidence,
        )
    return Outcome(
        True,
        f"{quote(instruction, start=True)} defines the health check of the final"
        " image.",
        evidence,
    )


@dataclass(frozen=True)
class StagesParams:
    """How many build stages the Dockerfile needs, and whether the last copies."""

    #: The fewest build stages (FROM instructions) the Dockerfile must have.
    min_stages: int = 2
    #: When true, the final stage must `COPY --from=` an earlier stage (by name or
    #: index), so it takes only the build's results and leaves the tools behind.
    copy_from: bool = True

    def __post_init__(self) -> None:
        if self.min_stages < 1:
            raise ValueError(
                f"min_stages is {self.min_stages}", "give 1 or more stages"
            )


@check_kind("stages", Need.FILES, StagesParams)
def stages(session: ExerciseSession, params: StagesParams) -> Outcome:
    """The Dockerfile has at least N build stages and the final one copies from one.

    Stages are counted by their FROM lines. With `copy_from`, some COPY in the final
    stage, or in an earlier stage it is built `FROM`, must take files `--from` an
    earlier stage, named (any case) or by index; `--from` an outside image does not
    count. Any names, any number of stages and any paths pass.

    Example:
        - id: multi-stage
          kind: stages
          title: A build stage and a slim final stage
          points: 2
          params:
            min_stages: 2
            copy_from: true
    """
    parsed = parse_dockerfile(session)
    stage = final_stage(parsed)
    listing = "\n".join(
        f"line {item.line}: FROM {item.base}"
        + (f" AS {item.name}" if item.name else "")
        for item in parsed.stages
    )
    evidence: dict[str, object] = {"stages": listing}
    count = len(parsed.stages)
    if count < params.min_stages:
        return Outcome(
            False,
            f"The Dockerfile has {count} build stage{'s' if count != 1 else ''}"
            f" (FROM at line{'s' if count != 1 else ''}"
            f" {', '.join(str(item.line) for item in parsed.stages)}); the exercise"
            f" asks for at least {params.min_stages}: build in one stage, then start"
            " the final stage with another FROM.",
            evidence,
        )
    if not params.copy_from:
        return Outcome(True, f"The Dockerfile has {count} build stages.", evidence)

    copies = [
        (instruction, instruction.flags()["from"])
        for owner, instruction in chain_instructions(parsed, stage)
        if instruction.keyword == "COPY" and "from" in instruction.flags()
    ]
    evidence["COPY --from"] = "\n".join(quote(item) for item, _ in copies) or "none"
    for instruction, source in copies:
        earlier = parsed.stage_named(source, before=stage.index)
        if earlier is not None:
            label = f"`{earlier.name}`" if earlier.name else f"number {earlier.index}"
            return Outcome(
                True,
                f"The Dockerfile has {count} build stages and {quote(instruction)}"
                f" copies from the earlier stage {label} (line {earlier.line}).",
                evidence,
            )
    if copies:
        instruction, source = copies[-1]
        return Outcome(
            False,
            f"{quote(instruction, start=True)} copies from `{source}`, which is not an"
            " earlier stage of this Dockerfile but an image. Name the build stage"
            " (`FROM ... AS build`) and write `COPY --from=build ...`.",
            evidence,
        )
    return Outcome(
        False,
        f"{describe_stage(stage, start=True)} copies nothing from an earlier stage, so"
        " the build stage's results never reach the final image. Add `COPY"
        " --from=<stage name> <path in that stage> <path here>`.",
        evidence,
    )


@dataclass(frozen=True)
class InstructionOrderParams:
    """The dependency manifest, how to spot the install step, and where to look."""

    #: The dependency manifest, relative to the build context (requirements.txt,
    #: package.json, app/requirements.txt).
    manifest: str = "requirements.txt"
    #: Spots the install step: plain text the RUN contains (any spacing, and version
    #: digits after a word: `pip install` finds `pip3 install`), or a regular
    #: expression searched in the text of each RUN, heredocs included.
    install: str = r"pip[0-9.]*\s+install"
    #: The stage to read, by name or index. By default the final stage (with the
    #: stages it is built FROM), or, when it installs nothing, the stages it copies
    #: from.
    stage: str | None = None

    def __post_init__(self) -> None:
        if not self.manifest.strip() or not self.install.strip():
            raise ValueError(
                "manifest and install must not be empty",
                "name the manifest file and a text of the install RUN",
            )


@dataclass(frozen=True)
class _Step:
    """One instruction of the sequence instruction_order reads, with its role."""

    instruction: dockerfile.Instruction
    #: Brings the manifest into the build, alone or with other files.
    brings_manifest: bool = False
    #: Brings the manifest with the whole source (`COPY . .`).
    whole_source: bool = False
    #: Is a RUN that matches the install step.
    installs: bool = False


@check_kind("instruction_order", Need.FILES, InstructionOrderParams)
def instruction_order(
    session: ExerciseSession, params: InstructionOrderParams
) -> Outcome:
    """The dependency manifest is copied and installed before the rest of the source.

    In the final stage (with the stages it is built FROM) or the named stage, some
    COPY or ADD that brings in the manifest must come before an install RUN, and no
    COPY or ADD of the whole source (`COPY . .`, `ADD . /app`, `COPY * ./`, or the
    folder that holds the manifest) may come before that RUN. A COPY brings in the
    manifest when one of its sources names it, matches it with a wildcard
    (`requirements*.txt`), or is a folder that holds it; both COPY forms, `--chown`
    and other flags, any destination and WORKDIR, extra steps in between, a BuildKit
    `RUN --mount=type=bind,source=requirements.txt` and an install done in a build
    stage that the final stage copies from all pass. Narrower copies of single source
    files before the install are not refused here; the cache check measures them.

    Example:
        - id: deps-first
          kind: instruction_order
          title: Dependencies are installed before the source is copied
          points: 2
          params:
            manifest: requirements.txt
            install: pip install
    """
    parsed = parse_dockerfile(session)
    stage = final_stage(parsed)
    manifest = normalize_source(params.manifest)
    if params.stage is not None:
        chosen = parsed.stage_named(params.stage)
        if chosen is None:
            return Outcome(
                False,
                f"The Dockerfile has no stage named `{params.stage}`, which this"
                " exercise reads; name it with `FROM <image> AS"
                f" {params.stage}`.",
                {"stages": ", ".join(s.name or str(s.index) for s in parsed.stages)},
            )
        candidates = [chosen]
    else:
        candidates = [stage, *copied_from(parsed, stage)]

    sequences = [
        read_steps(parsed, candidate, manifest, params.install)
        for candidate in candidates
    ]
    steps = next((seq for seq in sequences if any(s.installs for s in seq)), None)
    if steps is None:
        runs = [
            quote(instruction)
            for candidate in candidates
            for _, instruction in chain_instructions(parsed, candidate)
            if instruction.keyword == "RUN"
        ]
        return Outcome(
            False,
            f"No RUN in {describe_stage(stage)}"
            + (" or the stages it copies from" if len(candidates) > 1 else "")
            + f" matches the install step `{params.install}`, so the dependencies in"
            f" {params.manifest} are never installed.",
            {"RUN instructions": "\n".join(runs) or "none"},
        )

    evidence = {
        "order": "\n".join(describe_step(step) for step in steps if roles(step))
    }
    installs = [index for index, step in enumerate(steps) if step.installs]
    for index in installs:
        before = steps[: index + 1]
        whole = next((s for s in before if s.whole_source), None)
        narrow = next((s for s in before if s.brings_manifest), None)
        if narrow is not None and whole is None and narrow is steps[index]:
            return Outcome(
                True,
                f"{quote(narrow.instruction, start=True)} mounts {params.manifest} and"
                " installs from it without the rest of the source, so editing the"
                " source reuses the cached install.",
                evidence,
            )
        if narrow is not None and whole is None:
            return Outcome(
                True,
                f"{quote(narrow.instruction, start=True)} brings in {params.manifest}"
                f" and {quote(steps[index].instruction)} installs from it before the"
                " rest of the source is copied, so editing the source reuses the cached"
                " install.",
                evidence,
            )

    # Every install step failed: explain the one that reads the manifest, if any.
    fed = [i for i in installs if any(s.brings_manifest for s in steps[: i + 1])]
    if fed:
        install = steps[fed[0]]
        whole = next(s for s in steps[: fed[0] + 1] if s.whole_source)
        return Outcome(
            False,
            f"{quote(install.instruction, start=True)} comes after"
            f" {quote(whole.instruction)}, which copies the whole source, so any edit"
            f" to the source runs the install again. Copy {params.manifest} alone first"
            f" (`COPY {params.manifest} ./`), install, then copy the rest.",
            evidence,
        )
    return Outcome(
        False,
        f"No COPY before {quote(steps[installs[0]].instruction)} brings in"
        f" {params.manifest}, so the install does not read it. Add `COPY"
        f" {params.manifest} ./` before the install and install from it.",
        evidence,
    )


def copied_from(
    parsed: dockerfile.Dockerfile, stage: dockerfile.Stage
) -> list[dockerfile.Stage]:
    """Return the earlier stages `stage` copies files from, nearest first, deeply."""
    found: list[dockerfile.Stage] = []
    pending = [stage]
    while pending:
        current = pending.pop(0)
        for _, instruction in chain_instructions(parsed, current):
            source = instruction.flags().get("from")
            if instruction.keyword != "COPY" or source is None:
                continue
            earlier = parsed.stage_named(source, before=current.index)
            if earlier is not None and earlier not in found and earlier is not stage:
                found.append(earlier)
                pending.append(earlier)
    return found


def read_steps(
    parsed: dockerfile.Dockerfile,
    stage: dockerfile.Stage,
    manifest: str,
    install: str,
) -> list[_Step]:
    """Classify the instructions of `stage`'s chain for instruction_order."""
    steps = []
    for _, instruction in chain_instructions(parsed, stage):
        sources: list[str] = []
        if instruction.keyword in ("COPY", "ADD") and "from" not in instruction.flags():
            sources = [
                source
                for source in instruction.transfer().sources
                if "://" not in source
            ]
        elif instruction.keyword == "RUN":
            sources = bind_mount_sources(instruction)
        steps.append(
            _Step(
                instruction,
                brings_manifest=any(brings(source, manifest) for source in sources),
                whole_source=any(whole_source(source, manifest) for source in sources),
                installs=instruction.keyword == "RUN"
                and dockerfile.mentions(instruction.script(), install),
            )
        )
    return steps


def bind_mount_sources(instruction: dockerfile.Instruction) -> list[str]:
    """Return the context paths a BuildKit `RUN --mount=type=bind` makes visible."""
    sources = []
    for word in instruction.arguments.split():
        if not word.startswith("--"):
            break
        if not word.startswith("--mount="):
            continue
        options = dict(
            item.partition("=")[::2] for item in word[len("--mount=") :].split(",")
        )
        if options.get("type", "bind") == "bind" and "from" not in options:
            sources.append(options.get("source") or options.get("src") or ".")
    return sources


def normalize_source(path: str) -> str:
    """Return a COPY source or context path relative to the context root, as `a/b`."""
    return posixpath.normpath(path.strip().lstrip("/")) if path.strip() else "."


def brings(source: str, manifest: str) -> bool:
    """Tell whether COPY `source` brings `manifest` into the image."""
    pattern = normalize_source(source)
    if pattern == ".":
        return True
    folders = [str(parent) for parent in PurePosixPath(manifest).parents][:-1]
    return any(fnmatchcase(path, pattern) for path in (manifest, *folders))


def whole_source(source: str, manifest: str) -> bool:
    """Tell whether COPY `source` brings the manifest along with the whole source.

    That is the context root, a catch-all wildcard (`*`), or a folder that holds the
    manifest: the folder of the project it belongs to.
    """
    pattern = normalize_source(source)
    if not brings(source, manifest):
        return False
    # `*`, `app/*`: every file of a folder, not a pattern aimed at the manifest.
    last = PurePosixPath(pattern).name
    catch_all = "*" in last and set(last) <= set("*?.")
    return pattern == "." or catch_all or not fnmatchcase(manifest, pattern)


def roles(step: _Step) -> list[str]:
    """Name what a step does, for the evidence."""
    found = []
    if step.whole_source:
        found.append("copies the whole source")
    elif step.brings_manifest:
        found.append("brings in the manifest")
    if step.installs:
        found.append("installs")
    return found


def describe_step(step: _Step) -> str:
    """Show a step with what it does: its line, its text and its roles."""
    return f"{quote(step.instruction)}: {', '.join(roles(step))}"

"""A small Dockerfile parser: instructions with line numbers, stages and ARG values.

It follows the Dockerfile reference closely enough for grading: line continuations
(with the `escape` parser directive), comments, heredocs (`RUN <<EOF ... EOF`), JSON
(exec) form versus shell form, build stages and the stages they build on, the sources
of COPY and ADD, and `${VAR}` / `${VAR:-default}` substitution from the ARG and ENV
values in scope at an instruction.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
_LEADING_FLAGS = re.compile(r"^(?:--\S+\s*)+")

#: Every instruction the Dockerfile reference defines.
INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword in upper case, its arguments, where it starts."""

    keyword: str
    arguments: str
    line: int
    #: The bodies of the heredocs this instruction carries, in order.
    heredocs: tuple[str, ...] = ()

    @property
    def exec_form(self) -> list[str] | None:
        """The argument list when the instruction is written in exec (JSON) form."""
        text = self.arguments.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        return None

    def flags(self) -> dict[str, str]:
        """The leading `--name=value` flags, e.g. `COPY --from=build`."""
        found: dict[str, str] = {}
        for word in self.arguments.split():
            if not word.startswith("--"):
                break
            name, _, value = word[2:].partition("=")
            found[name] = value
        return found

    def text(self) -> str:
        return f"{self.keyword} {self.arguments}".strip()

    def after_flags(self) -> str:
        """The arguments without their leading `--name=value` flags."""
        return _LEADING_FLAGS.sub("", self.arguments).strip()

    def script(self) -> str:
        """The command a RUN executes, heredoc bodies included, as one text."""
        return "\n".join((self.after_flags(), *self.heredocs))

    def transfer(self) -> Transfer:
        """The sources and destination of a COPY or ADD, in either form.

        Heredoc sources (`COPY <<EOF /etc/conf`) are dropped: they come from the
        Dockerfile itself, not from the build context.
        """
        rest = self.after_flags()
        words: list[str] | None = None
        if rest.startswith("["):
            try:
                value = json.loads(rest)
            except json.JSONDecodeError:
                value = None
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                words = value
        if words is None:
            words = rest.split()
        if len(words) < 2:
            return Transfer((), words[0] if words else "", self.flags())
        sources = tuple(word for word in words[:-1] if not word.startswith("<<"))
        return Transfer(sources, words[-1], self.flags())


@dataclass(frozen=True)
class Transfer:
    """What a COPY or ADD brings into the image: sources, destination, flags."""

    sources: tuple[str, ...]
    destination: str
    flags: dict[str, str]


@dataclass
class Stage:
    """A build stage: the FROM that opens it and the instructions that follow."""

    index: int
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Dockerfile:
    """A parsed Dockerfile."""

    instructions: list[Instruction]
    #: ARGs declared before the first FROM, with their defaults (None when absent).
    global_args: dict[str, str | None]
    stages: list[Stage]

    def find(self, keyword: str) -> list[Instruction]:
        """Return every instruction with `keyword`, in order."""
        return [item for item in self.instructions if item.keyword == keyword.upper()]

    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, reference: str, before: int | None = None) -> Stage | None:
        """Return the stage `reference` names: a stage name (any case) or an index.

        Only stages before index `before` count, as only those exist when a `FROM` or
        a `COPY --from` of stage `before` is read.
        """
        earlier = self.stages if before is None else self.stages[:before]
        if reference.isdigit():
            index = int(reference)
            return earlier[index] if index < len(earlier) else None
        wanted = reference.lower()
        found = [stage for stage in earlier if (stage.name or "").lower() == wanted]
        return found[-1] if found else None

    def parent(self, stage: Stage) -> Stage | None:
        """Return the earlier stage that `stage` is built `FROM`, if it names one."""
        base, _ = substitute(stage.base, self.global_args)
        if base.isdigit():
            # `FROM 0` names an image called 0, not the first stage.
            return None
        return self.stage_named(base, before=stage.index)

    def chain(self, stage: Stage) -> list[Stage]:
        """Return the stages `stage` builds on, from the first FROM of an image to it.

        A stage built `FROM` an earlier stage inherits that stage's configuration
        (CMD, USER, ENV, HEALTHCHECK), so rules about the final image read the chain.
        """
        chain = [stage]
        while (parent := self.parent(chain[0])) is not None:
            chain.insert(0, parent)
        return chain

    def variables_at(
        self,
        stage: Stage,
        line: int,
        build_args: dict[str, str] | None = None,
    ) -> dict[str, str | None]:
        """Return the ARG and ENV values in scope just before `line` in `stage`.

        ENV values carry over from the stages `stage` is built on; ARG values do not:
        each stage declares the ARGs it uses, and an `ARG NAME` without a default takes
        the default given before the first FROM. `build_args` (`--build-arg`) override
        ARG defaults; an ENV of the same name overrides an ARG. A declared ARG with no
        value maps to None.
        """
        build_args = build_args or {}
        env: dict[str, str | None] = {}
        args: dict[str, str | None] = {}
        for current in self.chain(stage):
            args = {}
            for instruction in current.instructions:
                if current is stage and instruction.line >= line:
                    break
                if instruction.keyword not in ("ARG", "ENV"):
                    continue
                scope = {**args, **env}
                for name, value in parse_assignments(instruction):
                    if value is not None:
                        value = substitute(value, scope)[0]
                    if instruction.keyword == "ENV":
                        env[name] = value
                    elif name in build_args:
                        args[name] = build_args[name]
                    elif value is not None:
                        args[name] = value
                    else:
                        args[name] = self.global_args.get(name)
        return {**args, **env}


class DockerfileSyntaxError(ValueError):
    """The text cannot be read as a Dockerfile; the message names the line."""


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile `text`."""
    lines = text.splitlines()
    escape = "\\"
    for line in lines:
        match = _DIRECTIVE.match(line)
        if not match:
            break
        if match[1].lower() == "escape":
            escape = match[2]

    instructions: list[Instruction] = []
    index = 0
    while index < len(lines):
        start = index
        stripped = lines[index].strip()
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        logical = stripped
        while logical.endswith(escape) and index < len(lines):
            logical = logical[: -len(escape)].rstrip() + " "
            # Comment lines inside a continued instruction are dropped by the builder.
            while index < len(lines) and lines[index].strip().startswith("#"):
                index += 1
            if index < len(lines):
                logical += lines[index].strip()
                index += 1
        if logical.endswith(escape):
            logical = logical[: -len(escape)].rstrip()
        keyword, _, arguments = logical.partition(" ")
        if not re.fullmatch(r"[A-Za-z]+", keyword):
            raise DockerfileSyntaxError(
                f"line {start + 1}: {shorten(keyword)!r} is not an instruction"
            )
        bodies = []
        for match in (
            _HEREDOC.finditer(arguments)
            if keyword.upper() in ("RUN", "COPY", "ADD")
            else ()
        ):
            body: list[str] = []
            terminator = match[3]
            while index < len(lines):
                line = lines[index]
                index += 1
                if (line.lstrip("\t") if match[1] else line) == terminator:
                    break
                body.append(line)
            else:
                raise DockerfileSyntaxError(
                    f"line {start + 1}: the heredoc <<{terminator} is never closed by"
                    " a line"
                    f" reading {terminator}"
                )
            bodies.append("\n".join(body))
        instructions.append(
            Instruction(keyword.upper(), arguments.strip(), start + 1, tuple(bodies))
        )

    return assemble(instructions)


def mentions(text: str, pattern: str) -> bool:
    """Tell whether an instruction's text holds `pattern`: as words, or as a regex.

    Words match with any case and spacing and with version digits after each word,
    so `pip install` also finds `PIP  install`, `pip3 install` and
    `python3.11 -m pip install`. A pattern that is not found as words is tried as a
    regular expression, so an exercise can ask for `(pip|uv) install`.
    """
    words = pattern.split()
    tolerant = r"\s+".join(re.escape(word) + r"[0-9.]*" for word in words)
    if words and re.search(tolerant, text, re.IGNORECASE):
        return True
    try:
        return re.search(pattern, text, re.IGNORECASE) is not None
    except re.error:
        return False


def shorten(text: str, width: int = 40) -> str:
    """Cut a long bad value (binary garbage, say) to a readable length."""
    return text if len(text) <= width else text[: width - 3] + "..."


def assemble(instructions: list[Instruction]) -> Dockerfile:
    """Group instructions into stages; collect the ARGs that precede the first FROM."""
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [
                word
                for word in instruction.arguments.split()
                if not word.startswith("--")
            ]
            if not words:
                raise DockerfileSyntaxError(
                    f"line {instruction.line}: FROM names no image"
                )
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(len(stages), words[0], name, instruction.line))
        elif not stages:
            if instruction.keyword == "ARG":
                for declaration in instruction.arguments.split():
                    key, equals, value = declaration.partition("=")
                    global_args[key] = value.strip("\"'") if equals else None
            continue
        if stages:
            stages[-1].instructions.append(instruction)
    return Dockerfile(instructions, global_args, stages)


def parse_assignments(instruction: Instruction) -> list[tuple[str, str | None]]:
    """Return the `NAME=value` pairs an ARG or ENV declares, in order.

    `ARG NAME` declares a name without a value (None); the legacy `ENV NAME value`
    sets one variable to the rest of the line. Quotes are read as the shell would.
    """
    text = instruction.arguments.strip()
    if not text:
        return []
    first = text.split(None, 1)
    if instruction.keyword == "ENV" and "=" not in first[0]:
        return [(first[0], first[1] if len(first) > 1 else "")]
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, equals, value = word.partition("=")
        pairs.append((name, value if equals else None))
    return pairs


def substitute(text: str, values: dict[str, str | None]) -> tuple[str, list[str]]:
    """Expand `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`; list unknown names."""
    unknown: list[str] = []

    def expand(match: re.Match[str]) -> str:
        name = match[1] or match[4]
        value = values.get(name)
        if match[2] == "-":
            return value if value else match[3]
        if match[2] == "+":
            return match[3] if value else ""
        if value is None:
            unknown.append(name)
            return ""
        return value

    return _VARIABLE.sub(expand, text), unknown


@dataclass(frozen=True)
class ImageReference:
    """An image reference split as Docker reads it: repository, tag, digest."""

    repository: str
    tag: str | None
    digest: str | None


def split_reference(reference: str) -> ImageReference:
    """Split `registry:5000/name:tag@sha256:...` into its parts."""
    name, _, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
        return ImageReference(repository, tag, digest or None)
    return ImageReference(name, None, digest or None)

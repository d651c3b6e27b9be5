"""Build context checks: what `docker build` sends, computed as the docker SDK does.

The grader builds with the docker SDK, which reads `.dockerignore`, walks the context
with `docker.utils.build.exclude_paths` and puts what is left in a tar, always adding
the Dockerfile and `.dockerignore` themselves. These checks call the same function on
the same folder, so what they report is what the build sends. Paths that are not in
the folder (a `.env` that is git-ignored, say) are judged by building a small probe
folder that holds them and asking the SDK the same question about it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from docker.api.build import process_dockerfile
from docker.utils.build import Pattern, exclude_paths

from grader.checks.registry import Need, Outcome, Unavailable, brief, check_kind
from grader.engine.session import ExerciseSession

IGNORE_FILE = ".dockerignore"
_GLOB = frozenset("*?[")
_PROBE_FILE = "brickyard-probe"
_LISTED = 40


@dataclass
class BuildContext:
    """The build context of one folder as the docker SDK sends it."""

    root: Path
    #: The Dockerfile's path in the context (always sent).
    dockerfile: str
    #: The patterns of `.dockerignore` with their line numbers, as the SDK reads
    #: them: stripped, without blank lines and comments.
    patterns: list[tuple[int, str]]
    #: Whether the folder has a `.dockerignore` at all.
    has_ignore_file: bool
    #: Every path the SDK puts in the tar: files, folders and links.
    sent: set[str]
    #: The sent entries that carry content, with their size in bytes (a link counts
    #: as a file of 0 bytes: the tar holds the link, not its target).
    files: dict[str, int]
    #: The top-most paths left out, folders ending in `/`.
    excluded: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())

    def largest(self, count: int = 5) -> list[tuple[str, int]]:
        """Return the `count` largest sent files, largest first."""
        ranked = sorted(self.files.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:count]

    def files_under(self, path: str) -> list[str]:
        """Return the sent files at `path` or below it."""
        prefix = path.rstrip("/") + "/"
        return [name for name in self.files if name == path or name.startswith(prefix)]


def read_patterns(root: Path) -> tuple[list[tuple[int, str]], bool]:
    """Read `.dockerignore` as the SDK does; return its patterns and whether it exists.

    The SDK strips each line and drops blank ones and those starting with `#`
    (docker/api/build.py, `APIClient.build`); the line numbers are kept for messages.
    """
    path = root / IGNORE_FILE
    if not path.exists():
        return [], False
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise Unavailable(f"{IGNORE_FILE} cannot be read: {error}") from error
    patterns = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#")
    ]
    return patterns, True


def compute_context(root: Path, dockerfile: str = "Dockerfile") -> BuildContext:
    """Compute what building `root` with `dockerfile` sends, as the docker SDK does."""
    root = root.resolve()
    patterns, has_ignore_file = read_patterns(root)
    try:
        # The Dockerfile's path relative to the context, or its content when it lies
        # outside the context (the SDK then adds it to the tar under another name).
        name, outside = process_dockerfile(dockerfile, str(root))
        sent = {
            path.replace(os.sep, "/")
            for path in exclude_paths(
                str(root), [text for _, text in patterns], dockerfile=name
            )
        }
    except OSError as error:
        raise Unavailable(f"the build context cannot be read: {error}") from error

    files: dict[str, int] = {}
    for path in sent:
        try:
            info = os.lstat(root / path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            files[path] = info.st_size
        elif stat.S_ISLNK(info.st_mode):
            files[path] = 0
    if outside is not None:
        files[dockerfile] = len(outside.encode("utf-8"))
    context = BuildContext(
        root, dockerfile, patterns, has_ignore_file, sent, files, excluded=[]
    )
    context.excluded = top_excluded(root, sent)
    return context


def top_excluded(root: Path, sent: set[str]) -> list[str]:
    """Return the top-most paths under `root` that are not sent, folders with `/`."""
    walked = {""} | {
        str(parent)
        for path in sent
        for parent in PurePosixPath(path).parents
        if str(parent) != "."
    }
    walked |= {path for path in sent if (root / path).is_dir()}
    excluded = []
    for folder in sorted(walked):
        try:
            children = sorted(os.listdir(root / folder))
        except OSError:
            continue
        for child in children:
            path = f"{folder}/{child}" if folder else child
            if path in sent or path in walked:
                continue
            is_folder = (root / path).is_dir() and not (root / path).is_symlink()
            excluded.append(path + "/" if is_folder else path)
    return excluded


def probe(context: BuildContext, path: str, as_folder: bool) -> bool:
    """Tell whether `path`, absent from the folder, would be sent if it were there.

    A scratch folder holding only `path` (a file, or a folder with one file in it)
    is walked by the SDK with the same patterns. A folder counts as sent when the
    file inside it is.
    """
    with tempfile.TemporaryDirectory(prefix="brickyard-context-") as scratch:
        target = Path(scratch) / path
        if as_folder:
            target.mkdir(parents=True, exist_ok=True)
            (target / _PROBE_FILE).write_bytes(b"")
            wanted = f"{path}/{_PROBE_FILE}"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"")
            wanted = path
        sent = exclude_paths(
            scratch,
            [text for _, text in context.patterns],
            dockerfile=context.dockerfile,
        )
        return wanted in {item.replace(os.sep, "/") for item in sent}


def covers(entry: str, path: str) -> bool:
    """Tell whether `entry`, written as in .dockerignore, names `path` or a parent."""
    pattern = Pattern(entry)
    if not pattern.dirs:
        return False
    parts = PurePosixPath(path).parts
    return any(pattern.match("/".join(parts[:end])) for end in range(1, len(parts) + 1))


def deciding_line(context: BuildContext, path: str) -> tuple[int, str] | None:
    """Return the last `.dockerignore` line whose pattern matches `path`, if any.

    Like the SDK, a pattern matches a path or the folder above it that has as many
    parts as the pattern; the last matching line decides.
    """
    found = None
    parents = list(PurePosixPath(path).parts[:-1])
    for number, text in context.patterns:
        pattern = Pattern(text)
        if not pattern.dirs:
            continue
        matched = pattern.match(path) or (
            bool(parents)
            and len(pattern.dirs) <= len(parents)
            and pattern.match("/".join(parents[: len(pattern.dirs)]))
        )
        if matched:
            found = (number, text)
    return found


def example_of(entry: str) -> str | None:
    """Return a path that the wildcard `entry` names, to probe with; None if unsure."""
    text = "/".join(Pattern(entry).dirs)
    if not text:
        return None
    result = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("**", index):
            result.append("probe-folder")
            index += 2
            if text.startswith("/", index):
                result.append("/")
                index += 1
            continue
        if char == "*":
            result.append("probe")
        elif char == "?":
            result.append("p")
        elif char == "[":
            end = text.find("]", index + 1)
            inside = text[index + 1 : end] if end > 0 else ""
            if not inside or inside[0] in "!^":
                return None
            result.append(inside[0])
            index = end
        else:
            result.append(char)
        index += 1
    return "".join(result)


def shared_context(session: ExerciseSession) -> BuildContext:
    """Return the exercise's build context, computed once per exercise."""

    def make() -> BuildContext:
        if not session.context.is_dir():
            raise Unavailable(
                f"the build context {session.exercise.image.context} is not a folder"
            )
        return compute_context(session.context, session.exercise.image.dockerfile)

    return session.shared("build-context", make)


def context_evidence(context: BuildContext) -> dict[str, object]:
    """Show what was sent and what was left out, for a check's evidence."""
    listed = sorted(context.files)
    shown = "\n".join(listed[:_LISTED])
    if len(listed) > _LISTED:
        shown += f"\n... and {len(listed) - _LISTED} more"
    patterns = "\n".join(f"line {number}: {text}" for number, text in context.patterns)
    return {
        IGNORE_FILE: patterns
        or ("(no patterns)" if context.has_ignore_file else "(no .dockerignore)"),
        "sent": f"{len(context.files)} files, {human_size(context.total_bytes)}",
        "files sent": shown or "(none)",
        "left out": "\n".join(context.excluded) or "(nothing)",
    }


def human_size(size: int) -> str:
    """Show a size as `docker build` does, in powers of 1000: 2.5 MB, 340 kB."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def why_sent(context: BuildContext, path: str) -> str:
    """Say why `path` is sent: no .dockerignore, no pattern, or a `!` exception."""
    if not context.has_ignore_file:
        return f"there is no {IGNORE_FILE}, so everything in the folder is sent"
    decided = deciding_line(context, path)
    if decided is None:
        return f"no line of {IGNORE_FILE} matches it"
    number, text = decided
    if text.startswith("!"):
        return f"line {number} of {IGNORE_FILE} (`{text}`) sends it again"
    return f"line {number} of {IGNORE_FILE} (`{text}`) matches it, yet it is sent"


def why_left_out(context: BuildContext, path: str) -> str:
    """Say which `.dockerignore` line leaves `path` out."""
    decided = deciding_line(context, path)
    if decided is None:
        return f"{IGNORE_FILE} leaves it out"
    number, text = decided
    return f"line {number} of {IGNORE_FILE} (`{text}`) leaves it out"


@dataclass(frozen=True)
class ContextExcludesParams:
    """Paths the build context must leave out, and paths it must still send."""

    #: Paths that must not be sent, written as in .dockerignore: `.env`, `.git`,
    #: `node_modules/` (a trailing `/` says it is a folder), `*.log` (`*` stays in
    #: one folder, `**/*.log` reaches every folder).
    paths: list[str]
    #: Paths that must still be sent (`app.py`, `requirements.txt`), so that
    #: excluding everything (`*`) does not pass.
    must_include: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("paths is empty", "list the paths that must be left out")


@check_kind("context_excludes", Need.FILES, ContextExcludesParams)
def context_excludes(
    session: ExerciseSession, params: ContextExcludesParams
) -> Outcome:
    """`.dockerignore` keeps the named paths out of the build context.

    The context is computed as the docker SDK sends it (`.dockerignore` patterns,
    `!` exceptions, the Dockerfile always sent). A path in `paths` fails when a sent
    file is that path or lies under it, or matches it when it is a wildcard. Paths
    that are not in the folder (a git-ignored `.env`, a `node_modules` not yet
    installed, no `*.log` file at all) are probed: the SDK walks a scratch folder
    holding them (for a wildcard, one example such as `probe.log`) with the same
    patterns, so the verdict does not depend on what happens to be on disk. Any
    patterns that leave the paths out pass (`.env`, `/.env`, `**/.env`, `.git/`,
    `*` followed by `!` exceptions), as long as every path in `must_include` is
    still sent.

    Example:
        - id: ignores-secrets
          kind: context_excludes
          title: .dockerignore keeps secrets and clutter out of the build
          points: 2
          params:
            paths: [.env, .git, node_modules/, "*.log"]
            must_include: [app.py, requirements.txt]
    """
    context = shared_context(session)
    evidence = context_evidence(context)
    sent = {entry: excluded_problem(context, entry) for entry in params.paths}
    problems = [problem for problem in sent.values() if problem]
    if problems and not context.has_ignore_file:
        named = ", ".join(f"`{entry}`" for entry, problem in sent.items() if problem)
        problems = [
            f"There is no {IGNORE_FILE}, so `docker build` sends everything in the"
            f" folder to the engine, {named} included. Create {IGNORE_FILE} next to"
            " the Dockerfile with a line for each."
        ]
    for entry in params.must_include:
        problem = included_problem(context, entry)
        if problem:
            problems.append(problem)
    if problems:
        return Outcome(False, " ".join(problems), evidence)
    kept = ", ".join(f"`{entry}`" for entry in params.paths)
    also = (
        f"; {', '.join(f'`{entry}`' for entry in params.must_include)} still sent"
        if params.must_include
        else ""
    )
    return Outcome(
        True,
        f"The build context leaves out {kept}{also}"
        f" ({len(context.files)} files, {human_size(context.total_bytes)} sent).",
        evidence,
    )


def is_glob(entry: str) -> bool:
    """Tell whether `entry` holds a wildcard."""
    return bool(_GLOB & set(entry))


def clean(entry: str) -> str:
    """Return `entry` as a context path: no leading `./` or `/`, no trailing `/`."""
    return "/".join(Pattern(entry).dirs)


def excluded_problem(context: BuildContext, entry: str) -> str | None:
    """Say how `entry` reaches the build context; None when it is left out."""
    sent = sorted(name for name in context.files if covers(entry, name))
    if sent:
        shown = brief([f"`{name}`" for name in sent], 5)
        which = "" if sent == [clean(entry)] else f" ({shown})"
        return (
            f"`{entry}` is sent with the build context{which}:"
            f" {why_sent(context, sent[0])}. {fix_for(context, sent[0])}"
        )

    if is_glob(entry) and matches_on_disk(context.root, entry):
        # The folder holds files the wildcard names, and none of them is sent.
        return None
    path = clean(entry) if not is_glob(entry) else example_of(entry)
    if path is None:
        return None
    on_disk = context.root / path
    if on_disk.is_file() or has_files(on_disk):
        # It is on disk and no file of it is sent: it is left out.
        return None
    # Absent, or an empty folder: judge the patterns on a probe instead.
    kinds = [True] if on_disk.is_dir() else probe_kinds(entry)
    if any(not probe(context, path, as_folder) for as_folder in kinds):
        return None
    example = "" if path == clean(entry) else f" (such as `{path}`)"
    return (
        f"`{entry}` is not in the folder now, but if it were{example} it would be"
        f" sent: {why_sent(context, path)}. {fix_for(context, path)}"
    )


def fix_for(context: BuildContext, path: str) -> str:
    """Say how to leave `path` out: drop the `!` line that sends it, or add one."""
    decided = deciding_line(context, path)
    if decided is not None and decided[1].startswith("!"):
        return f"Remove line {decided[0]} of {IGNORE_FILE} or make it narrower."
    return f"Add a line for it to {IGNORE_FILE}."


def matches_on_disk(root: Path, entry: str) -> bool:
    """Tell whether some file or folder under `root` is named by `entry`."""
    for folder, folders, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        for name in (*folders, *files):
            if covers(entry, name if relative == "." else f"{relative}/{name}"):
                return True
    return False


def has_files(folder: Path) -> bool:
    """Tell whether `folder` is a folder with a file somewhere below it."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    return any(files for _, _, files in os.walk(folder))


def probe_kinds(entry: str) -> list[bool]:
    """Return how to probe an absent entry: as a folder, a file, or either."""
    if entry.rstrip().endswith("/"):
        return [True]
    if is_glob(entry):
        return [False]
    # Without a trailing `/` the entry may be a file or a folder: a pattern that
    # leaves it out in either reading shows the intent.
    return [False, True]


def included_problem(context: BuildContext, entry: str) -> str | None:
    """Say why `entry` is not sent; None when it is."""
    path = clean(entry)
    if not path:
        return None
    if is_glob(entry):
        present = sorted(
            name
            for name in {*context.sent, *context.excluded}
            if Pattern(entry).match(name.rstrip("/"))
        )
        if not present:
            example = example_of(entry)
            if example is None or probe(context, example, entry.endswith("/")):
                return None
            return (
                f"`{entry}` must still be sent, but a file such as `{example}` would be"
                f" left out: {why_left_out(context, example)}."
            )
        missing = [name for name in present if not sends(context, name.rstrip("/"))]
        if not missing:
            return None
        first = missing[0].rstrip("/")
        return (
            f"`{first}` must still be sent, but {why_left_out(context, first)}, so no"
            f" COPY can bring it into the image. Narrow that pattern or add `!{first}`"
            " after it."
        )
    if os.path.lexists(context.root / path):
        if sends(context, path):
            return None
    elif probe(context, path, entry.endswith("/")):
        return None
    return (
        f"`{path}` must still be sent, but {why_left_out(context, path)}, so no COPY"
        f" can bring it into the image. Narrow that pattern or add `!{path}` after it."
    )


def sends(context: BuildContext, path: str) -> bool:
    """Tell whether `path` (a file, or a folder with a file in it) is sent."""
    if path in context.files:
        return True
    if (context.root / path).is_dir():
        below = context.files_under(path)
        return bool(below) or path in context.sent
    return False


@dataclass(frozen=True)
class ContextSizeParams:
    """The most the build context may hold; give at least one limit."""

    #: The most bytes the sent files may add up to.
    max_bytes: int | None = None
    #: The same limit in megabytes of 1,000,000 bytes, as `docker build` counts.
    max_mb: float | None = None
    #: The most files (and links) the context may hold.
    max_files: int | None = None

    def __post_init__(self) -> None:
        limits = (self.max_bytes, self.max_mb, self.max_files)
        if all(limit is None for limit in limits):
            raise ValueError(
                "sets no limit", "give max_bytes, max_mb or max_files (or several)"
            )
        if any(limit is not None and limit <= 0 for limit in limits):
            raise ValueError("has a limit of 0 or less", "give limits above 0")


@check_kind("context_size", Need.FILES, ContextSizeParams)
def context_size(session: ExerciseSession, params: ContextSizeParams) -> Outcome:
    """The build context stays under a size and a file count.

    The context is computed as the docker SDK sends it (`.dockerignore` honoured)
    and its files' sizes are added up; links count as files of no size, and the tar
    adds a little for headers. Whatever patterns keep the context small pass: the
    check measures the result, not the `.dockerignore` text. The evidence names the
    five largest files sent.

    Example:
        - id: small-context
          kind: context_size
          title: The build context stays under 1 MB
          points: 1
          params:
            max_mb: 1
    """
    context = shared_context(session)
    size, count = context.total_bytes, len(context.files)
    evidence = context_evidence(context)
    evidence["largest files sent"] = (
        "\n".join(
            f"{human_size(bytes_)}  {name}" for name, bytes_ in context.largest(5)
        )
        or "(none)"
    )
    limits = []
    if params.max_bytes is not None:
        limits.append(params.max_bytes)
    if params.max_mb is not None:
        limits.append(int(params.max_mb * 10**6))
    problems = []
    if limits and size > min(limits):
        problems.append(
            f"{human_size(size)} ({size:,} bytes), over the limit of"
            f" {human_size(min(limits))}"
        )
    if params.max_files is not None and count > params.max_files:
        problems.append(f"{count:,} files, over the limit of {params.max_files:,}")
    if problems:
        largest = ", ".join(
            f"`{name}` ({human_size(bytes_)})" for name, bytes_ in context.largest(3)
        )
        return Outcome(
            False,
            f"The build context holds {' and '.join(problems)}: `docker build` sends"
            " all of it to the engine before the first step runs. The largest files"
            f" sent: {largest}. Leave out what the image does not need in"
            f" {IGNORE_FILE}.",
            evidence,
        )
    bounds = []
    if limits:
        bounds.append(f"{human_size(min(limits))}")
    if params.max_files is not None:
        bounds.append(f"{params.max_files:,} files")
    return Outcome(
        True,
        f"The build context holds {count:,} files, {human_size(size)}, within the"
        f" limit of {' and '.join(bounds)}.",
        evidence,
    )

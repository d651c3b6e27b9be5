"""Image checks: the student's image built and inspected, never started."""

from __future__ import annotations

import fnmatch
import io
import json
import tarfile
from dataclasses import dataclass, field

import docker.errors
from docker.models.containers import Container

from grader import dockerfile
from grader.checks.registry import (
    Need,
    NoParams,
    Outcome,
    Unavailable,
    brief,
    check_kind,
    sentences,
)
from grader.engine import files, image_bytes
from grader.engine.session import ExerciseSession


@check_kind("image_builds", Need.IMAGE)
def image_builds(session: ExerciseSession, params: NoParams) -> Outcome:
    """The image builds from the Dockerfile within the exercise's build time limit.

    The build runs with no network (`--network none`) and the exercise's
    `image.build_timeout`; when it fails, the last lines of the build output are the
    evidence, and every check that needs the image fails with the same reason.

    Example:
        - id: builds
          kind: image_builds
          title: The image builds
          points: 2
    """
    result = session.build()
    # The student's own steps: the LABEL steps the grader adds are not theirs.
    steps = len(result.student_steps)
    evidence: dict[str, object] = {
        "build seconds": round(result.seconds, 1),
        "steps": steps,
    }
    if result.ok:
        return Outcome(
            True,
            f"The image built in {result.seconds:.1f} s with {steps} steps.",
            evidence,
        )
    evidence["build log (last lines)"] = result.log_tail()
    if result.explanation is not None:
        explained = result.explanation
        return Outcome(
            False,
            f"The image did not build: {explained.reason}. {explained.advice}",
            evidence,
        )
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
    #: Text the image's default command (ENTRYPOINT and CMD together) must contain.
    command_contains: str | None = None
    #: The image's USER, exactly (`app`, `1000:1000`); `root`, `0` and `0:0` are
    #: all root, and so is no USER at all.
    user: str | None = None
    #: The image's CMD, exactly, as an exec-form list (`["python3", "app.py"]`); a
    #: shell-form CMD is stored as `["/bin/sh", "-c", "..."]` and does not match.
    cmd: list[str] | None = None
    #: The image's ENTRYPOINT, exactly, as an exec-form list; `[]` means none.
    entrypoint: list[str] | None = None


@check_kind("image_config", Need.IMAGE, ImageConfigParams)
def image_config(session: ExerciseSession, params: ImageConfigParams) -> Outcome:
    """The image's settings: ports, env, workdir, labels, user, command, health check.

    Read from `docker image inspect` of the built image, so it does not matter how
    the Dockerfile sets a value (`ENV A=1 B=2` or two ENV lines, `EXPOSE 8000/tcp`);
    only fields given in params are checked. `user_not_root` takes a USER by name or
    number; `user` is exact but for root, which every spelling (`root`, `0`, `0:0`,
    no USER) matches. `cmd` and `entrypoint` compare the stored lists, so a
    shell-form CMD (stored as `["/bin/sh", "-c", ...]`) fails an exec-form `cmd`.

    Example:
        - id: exposes-port
          kind: image_config
          title: The image declares port 8000
          points: 1
          params:
            exposes: [8000]
            command_contains: app.py
    """
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
    if params.user_not_root or params.user is not None:
        user = config.get("User") or ""
        measured["user"] = user or "(unset: root)"
        if params.user_not_root and is_root(user):
            missing.append(
                f"the image runs as {measured['user']} (add a USER that is not root)"
            )
        if params.user is not None and not same_user(user, params.user):
            missing.append(
                f"the image's USER is {measured['user']!r}, expected"
                f" {params.user!r} (set it with `USER {params.user}`)"
            )
    if params.healthcheck:
        test = (config.get("Healthcheck") or {}).get("Test") or []
        measured["healthcheck"] = " ".join(test) or "none"
        if not test or test == ["NONE"]:
            missing.append("no HEALTHCHECK is defined")

    if params.command_contains is not None:
        command = " ".join((config.get("Entrypoint") or []) + (config.get("Cmd") or []))
        measured["command"] = command or "(none)"
        if params.command_contains not in command:
            missing.append(
                f"the default command `{command}` does not run"
                f" {params.command_contains!r}"
            )

    for name, wanted in (("CMD", params.cmd), ("ENTRYPOINT", params.entrypoint)):
        if wanted is None:
            continue
        actual = list(config.get(name.title()) or [])
        measured[name] = json.dumps(actual)
        if actual != wanted:
            missing.append(
                f"{name} is {json.dumps(actual)}, expected {json.dumps(wanted)}"
                f" (write `{name} {json.dumps(wanted)}` in exec form)"
                if wanted
                else f"{name} is {json.dumps(actual)}, expected none (remove it)"
            )

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


#: The names and numbers of the root user and group.
ROOT = ("", "root", "0")


def is_root(user: str) -> bool:
    """Tell whether a USER value (`root`, `0`, `0:0`, empty) runs as root."""
    return user.partition(":")[0] in ROOT


def same_user(actual: str, wanted: str) -> bool:
    """Compare USER values, with every spelling of root (and root's group) equal."""
    actual_user, _, actual_group = actual.partition(":")
    wanted_user, _, wanted_group = wanted.partition(":")
    if is_root(actual_user) != is_root(wanted_user):
        return False
    if not is_root(wanted_user) and actual_user != wanted_user:
        return False
    if not wanted_group:
        return True
    if wanted_group in ROOT:
        return actual_group in ROOT
    return actual_group == wanted_group


def base_image_of(session: ExerciseSession) -> str | None:
    """Return the final stage's base image as the Dockerfile names it, ARGs expanded.

    None when the final stage is `scratch` or builds on an earlier stage's result
    whose own base cannot be sized separately.
    """
    from grader.checks.dockerfile_rules import parse_dockerfile

    parsed = parse_dockerfile(session)
    names = {stage.name.lower(): stage for stage in parsed.stages if stage.name}
    stage = parsed.final_stage()
    while stage is not None:
        base, _ = dockerfile.substitute(stage.base, parsed.global_args)
        if base.lower() in names and names[base.lower()] is not stage:
            stage = names[base.lower()]
            continue
        return None if base == "scratch" else base
    return None


def megabytes(size: float) -> float:
    return round(size / 1e6, 1)


@dataclass(frozen=True)
class SizeParams:
    """Bounds on the image's size; give one or both."""

    #: The largest total size allowed, in MB (10^6 bytes), as `docker images` shows.
    max_mb: float | None = None
    #: The most the image may add on top of its final stage's base image, in MB.
    max_added_mb: float | None = None


@check_kind("image_size", Need.IMAGE, SizeParams)
def image_size(session: ExerciseSession, params: SizeParams) -> Outcome:
    """The image is no bigger than a bound, absolute or relative to its base image.

    The total is the image's `Size` as the engine reports it; what the image adds is
    that total minus the size of the final stage's base image. Any way of getting
    small passes: a slimmer base, fewer files, cleaning up in the same layer, or a
    multi-stage build.

    Example:
        - id: small
          kind: image_size
          title: The image adds at most 30 MB to its base
          points: 2
          params:
            max_added_mb: 30
    """
    total = int(session.image_attrs().get("Size") or 0)
    evidence: dict[str, object] = {"image size (MB)": megabytes(total)}
    problems: list[str] = []
    if params.max_mb is not None and total > params.max_mb * 1e6:
        problems.append(
            f"the image is {megabytes(total)} MB, more than the {params.max_mb:g} MB"
            " allowed"
        )
    if params.max_added_mb is not None:
        base = base_image_of(session)
        base_size = 0
        if base is not None:
            try:
                base_size = int(session.client.images.get(base).attrs.get("Size") or 0)
            except docker.errors.ImageNotFound:
                raise Unavailable(
                    f"the base image {base} is not on the engine"
                ) from None
        added = total - base_size
        evidence["base image"] = base or "scratch"
        evidence["base size (MB)"] = megabytes(base_size)
        evidence["added (MB)"] = megabytes(added)
        if added > params.max_added_mb * 1e6:
            problems.append(
                f"the image adds {megabytes(added)} MB to {base or 'scratch'}, more"
                f" than the {params.max_added_mb:g} MB allowed"
            )
    evidence["largest layers"] = largest_layers(session)
    if problems:
        return Outcome(False, sentences(problems), evidence)
    return Outcome(
        True, f"The image is {megabytes(total)} MB, within the bound.", evidence
    )


def largest_layers(session: ExerciseSession, count: int = 4) -> str:
    """Describe the image's largest layers and the instructions that made them."""
    image_id = session.image().image_id
    assert image_id is not None
    history = session.client.images.get(image_id).history()
    biggest = sorted(history, key=lambda entry: entry.get("Size", 0), reverse=True)
    lines = [
        f"{megabytes(entry.get('Size', 0)):>7} MB  {short_step(entry)}"
        for entry in biggest[:count]
        if entry.get("Size", 0) > 0
    ]
    return "\n".join(lines)


def short_step(entry: dict) -> str:
    """Show a history entry's instruction without the builder's `/bin/sh -c #(nop)`."""
    created_by = str(entry.get("CreatedBy") or "")
    for prefix in ("/bin/sh -c #(nop) ", "/bin/sh -c "):
        if created_by.startswith(prefix):
            created_by = created_by[len(prefix) :]
            if prefix.endswith("-c "):
                created_by = "RUN " + created_by
            break
    return created_by[:100]


@dataclass(frozen=True)
class LayerParams:
    """Bounds on the number of file-system layers."""

    #: The most layers the image may add on top of its final stage's base image.
    max_added: int | None = None
    #: The most layers the whole image may have.
    max_total: int | None = None


@check_kind("layer_count", Need.IMAGE, LayerParams)
def layer_count(session: ExerciseSession, params: LayerParams) -> Outcome:
    """The image has at most N file-system layers, in total or on top of its base.

    Layers are counted from the image's `RootFS.Layers`: only instructions that change
    files make one (RUN, COPY, ADD), so chaining commands in one RUN or copying in
    fewer steps both pass.

    Example:
        - id: few-layers
          kind: layer_count
          title: At most 4 layers on top of the base
          points: 1
          params:
            max_added: 4
    """
    total = len((session.image_attrs().get("RootFS") or {}).get("Layers") or [])
    base_layers = base_layer_count(session)
    added = total - base_layers
    evidence = {"layers": total, "base layers": base_layers, "added layers": added}
    problems = []
    if params.max_total is not None and total > params.max_total:
        problems.append(f"the image has {total} layers, more than {params.max_total}")
    if params.max_added is not None and added > params.max_added:
        problems.append(
            f"the image adds {added} layers to its base, more than {params.max_added}"
        )
    if problems:
        return Outcome(False, sentences(problems), evidence)
    return Outcome(True, f"The image adds {added} layers to its base.", evidence)


@dataclass(frozen=True)
class WasteParams:
    """Which paths may not be written in one layer and removed in a later one."""

    #: Globs of the paths whose wasted bytes count (`/var/lib/apt/lists/*`); `*`
    #: crosses folders. None given: every path counts.
    paths: list[str] = field(default_factory=list)
    #: The most those paths may waste, in MB (10^6 bytes).
    max_wasted_mb: float = 1.0


@check_kind("layer_waste", Need.IMAGE, WasteParams)
def layer_waste(session: ExerciseSession, params: WasteParams) -> Outcome:
    """Files written in one layer are not deleted or overwritten in a later one.

    A layer keeps every file its step wrote, so a file that a later step deletes is
    hidden yet still shipped. The layers the Dockerfile adds to its final stage's
    base are read (grader/engine/image_bytes.py) and the bytes of every path that
    more than one of them holds are counted, as dive counts wasted bytes. Cleaning
    up in the RUN that downloads, never writing the files, or a multi-stage build all
    pass; a clean-up in a RUN of its own fails, naming the paths.

    Example:
        - id: same-layer
          kind: layer_waste
          title: The package lists are removed in the RUN that downloads them
          points: 2
          params:
            paths: ["/var/lib/apt/lists/*", "/var/cache/apt/*"]
            max_wasted_mb: 1
    """
    attrs = session.image_attrs()
    all_layers, source = image_bytes.read_layers(session.client, attrs)
    skip = base_layer_count(session)
    waste = image_bytes.measure_waste(all_layers[skip:])
    counted = [
        item
        for item in waste.paths
        if not params.paths
        or any(fnmatch.fnmatchcase(item.path, glob) for glob in params.paths)
    ]
    total = sum(item.size for item in counted)
    evidence: dict[str, object] = {
        "wasted (MB)": megabytes(total),
        "layers read": f"{len(all_layers) - skip} above the base, from {source}",
        "paths counted": ", ".join(params.paths) or "every path",
    }
    # Folders and empty files count no bytes; naming them would only hide the rest.
    counted = [item for item in counted if item.size > 0]
    if counted:
        evidence["paths that waste most"] = "\n".join(
            f"{megabytes(item.size):>7} MB  {item.path} (in {item.layers} layers)"
            for item in counted[:8]
        )
    if total <= params.max_wasted_mb * 1e6:
        return Outcome(
            True,
            f"{megabytes(total)} MB is written in one layer and removed in a later"
            f" one, within the {params.max_wasted_mb:g} MB allowed.",
            evidence,
        )
    shown = brief([item.path for item in counted], 3)
    return Outcome(
        False,
        f"{megabytes(total)} MB of files are written in one layer and deleted or"
        f" overwritten in a later one ({shown}), more than the"
        f" {params.max_wasted_mb:g} MB allowed: the later step hides them, but the"
        " image still ships every copy. Remove them in the same RUN that writes"
        " them.",
        evidence,
    )


def base_layer_count(session: ExerciseSession) -> int:
    """Return how many layers the final stage's base image has (0 for scratch)."""
    base = base_image_of(session)
    if base is None:
        return 0
    try:
        base_attrs = session.client.images.get(base).attrs
    except docker.errors.ImageNotFound:
        raise Unavailable(f"the base image {base} is not on the engine") from None
    return len((base_attrs.get("RootFS") or {}).get("Layers") or [])


@dataclass(frozen=True)
class FilesParams:
    """Paths that must or must not be in the image; globs (`*`, `?`, `[]`) allowed."""

    #: Absolute paths that must exist in the image.
    present: list[str] = field(default_factory=list)
    #: Absolute paths that must not be in the image (`/app/.env`, `/usr/bin/gcc*`).
    absent: list[str] = field(default_factory=list)
    #: Paths the image's runtime user must not be able to write (the app's own files).
    not_writable: list[str] = field(default_factory=list)
    #: Look for the `absent` paths in every layer too, not only in the final file
    #: system: a file that a later step deletes is hidden, yet its layer still
    #: ships it to whoever pulls the image.
    absent_in_layers: bool = False


@check_kind("image_files", Need.IMAGE, FilesParams)
def image_files(session: ExerciseSession, params: FilesParams) -> Outcome:
    """Files the image must hold, must not hold, or must not be writable by its user.

    The image is read through the archive API of a created container that never
    starts, so nothing of the student's runs. Writability is decided from each file's
    owner and mode against the uid and groups of the image's USER, as the kernel would,
    so `chown root`, `chmod a-w`, or a user who owns nothing all pass. With
    `absent_in_layers` every layer is searched for the `absent` paths as well, so a
    secret copied in and `rm`-ed by a later RUN, still shipped, fails.

    Example:
        - id: no-secrets
          kind: image_files
          title: No secrets or junk in the image
          points: 2
          params:
            present: [/app/app.py]
            absent: [/app/.env, /app/.git, "/app/*.log"]
    """
    image_id = session.image().image_id
    assert image_id is not None
    problems: list[str] = []
    evidence: dict[str, object] = {}
    with files.created_container(session.client, image_id, session.labels) as container:
        listing: list[files.FileEntry] | None = None

        def lookup(pattern: str) -> list[files.FileEntry]:
            nonlocal listing
            if files.is_glob(pattern):
                if listing is None:
                    listing = list(files.list_files(container))
                return files.match(listing, pattern)
            entry = files.stat_path(container, pattern)
            return [entry] if entry else []

        for pattern in params.present:
            if not lookup(pattern):
                problems.append(f"{pattern} is missing")
        absent_found: set[str] = set()
        for pattern in params.absent:
            found = lookup(pattern)
            if found:
                absent_found.add(pattern)
                shown = ", ".join(entry.path for entry in found[:5])
                problems.append(
                    f"{pattern} should not be in the image but is ({shown})"
                )
        if params.absent_in_layers:
            hidden = hidden_in_layers(
                session, [p for p in params.absent if p not in absent_found]
            )
            for pattern, (paths, layer) in hidden.items():
                problems.append(
                    f"{pattern} is deleted from the final file system, but layer"
                    f" {layer} still holds it ({', '.join(paths[:5])}): keep it out of"
                    " every layer (leave it out of COPY, list it in .dockerignore, or"
                    " delete it in the RUN that writes it)"
                )
        if params.not_writable:
            user = runtime_user(session, container)
            evidence["runtime user"] = f"{user.name} (uid {user.uid}, gids {user.gids})"
            for pattern in params.not_writable:
                for entry in lookup(pattern):
                    if user.can_write(entry):
                        problems.append(
                            f"{entry.path} is writable by {user.name} (owner uid"
                            f" {entry.uid}, mode {entry.mode:o})"
                        )
    evidence["checked"] = ", ".join(
        params.present + params.absent + params.not_writable
    )
    if problems:
        return Outcome(False, sentences(problems), evidence)
    return Outcome(
        True, "The image holds the files it should, and only those.", evidence
    )


def hidden_in_layers(
    session: ExerciseSession, patterns: list[str]
) -> dict[str, tuple[list[str], str]]:
    """Find the patterns that some layer of the image holds; say which layer.

    The layers are walked oldest first as grader/engine/image_bytes.py reads them;
    a pattern matches a path itself, a path below it, or (with glob characters) as
    `fnmatch` does, `*` crossing folders.
    """
    if not patterns:
        return {}
    attrs = session.image_attrs()
    layers, _ = image_bytes.read_layers(session.client, attrs)
    found: dict[str, tuple[list[str], str]] = {}
    for index, entries in enumerate(layers):
        for pattern in patterns:
            if pattern in found:
                continue
            paths = [
                entry.path
                for entry in entries
                if not entry.whiteout and holds(pattern, entry.path)
            ]
            if paths:
                found[pattern] = (paths, f"{index + 1} of {len(layers)}")
    return found


def holds(pattern: str, path: str) -> bool:
    """Tell whether `path` is what `pattern` names, or lies below it."""
    if files.is_glob(pattern):
        return fnmatch.fnmatchcase(path, pattern)
    clean = pattern.rstrip("/")
    return path == clean or path.startswith(clean + "/")


@dataclass(frozen=True)
class RuntimeUser:
    """The user a container of the image runs as, with the groups that grant access."""

    name: str
    uid: int
    gids: tuple[int, ...]

    def can_write(self, entry: files.FileEntry) -> bool:
        """Decide as the kernel would: root always; else owner, group, other bits."""
        if self.uid == 0:
            return True
        if entry.uid == self.uid:
            return bool(entry.mode & 0o200)
        if entry.gid in self.gids:
            return bool(entry.mode & 0o020)
        return bool(entry.mode & 0o002)


def runtime_user(session: ExerciseSession, container: Container) -> RuntimeUser:
    """Resolve the image's USER to a uid and groups from /etc/passwd and /etc/group."""
    user_text = (session.image_attrs().get("Config") or {}).get("User") or "root"
    name, _, group = user_text.partition(":")
    passwd = read_text(container, "/etc/passwd")
    groups_text = read_text(container, "/etc/group")
    uid, gid = None, None
    for line in passwd.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and (parts[0] == name or parts[2] == name):
            name, uid, gid = parts[0], int(parts[2]), int(parts[3])
            break
    if uid is None:
        uid = int(name) if name.isdigit() else 0
        gid = uid
    gids = {gid or 0}
    if group:
        gids = {int(group)} if group.isdigit() else gids
    for line in groups_text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and name in parts[3].split(","):
            gids.add(int(parts[2]))
    return RuntimeUser(name, uid, tuple(sorted(gids)))


def read_text(container: Container, path: str) -> str:
    """Return a small text file from the container, or "" when it is absent."""
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return ""
    data = io.BytesIO(b"".join(stream))
    with tarfile.open(fileobj=data) as archive:
        member = archive.next()
        handle = archive.extractfile(member) if member else None
        return handle.read().decode(errors="replace") if handle else ""

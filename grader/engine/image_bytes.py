"""Where an image's bytes are: each layer's size and the bytes wasted across layers.

A layer holds every file its step wrote, even when a later step overwrites or deletes
that file: the image still ships the old bytes. dive calls the bytes of every path
that more than one layer holds "wasted" (all copies count, the last one too), and so
does this module, reading each layer's file list from the engine's overlay2 folders
when they are on this machine, and otherwise from `docker save`, as a stream.

One difference from dive: deleting a whole directory counts as deleting each file
it held, so `rm -rf dir` and `rm dir/*` waste the same; dive sums a deleted
directory under the directory's own path, which it then sees only once.
"""

from __future__ import annotations

import bisect
import functools
import io
import json
import logging
import os
import posixpath
import stat
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import docker
import docker.errors

from grader.engine.layers import Step, readable, steps_of
from grader.engine.progress import is_grader_label

log = logging.getLogger(__name__)

#: overlayfs and `docker save` mark a deleted path with this prefix on its name.
WHITEOUT = ".wh."
#: Marks a directory whose lower contents are hidden; dive skips it, and so do we.
OPAQUE = ".wh..wh..opq"
#: How many of the paths that waste most bytes a report keeps.
WASTED_PATHS_SHOWN = 10
#: Layers read from overlay2, by diff id: the base image's layers recur per exercise.
_CACHE: dict[str, list[LayerFile]] = {}
_CACHE_SIZE = 32


@dataclass(frozen=True)
class LayerFile:
    """One entry of a layer's diff: a file or folder it writes, or a path it deletes."""

    path: str
    size: int = 0
    is_dir: bool = False
    #: This layer deletes `path` (and everything under it).
    whiteout: bool = False


@dataclass(frozen=True)
class WastedPath:
    """A path that more than one layer holds, and the bytes of all its copies."""

    path: str
    layers: int
    size: int


@dataclass(frozen=True)
class Waste:
    """The wasted bytes of an image: in total, per layer, and per path."""

    total: int
    #: Per layer (oldest first): the bytes of its copies of wasted paths.
    per_layer: list[int]
    #: Biggest first.
    paths: list[WastedPath]


def measure_waste(layers: list[list[LayerFile]]) -> Waste:
    """Find the paths more than one of `layers` (oldest first) writes or deletes.

    As in dive, only a layer's leaves count (a folder that holds other entries of
    the same layer is only their parent), a deletion adds a copy of size 0, and the
    bytes of every copy of such a path are wasted.
    """
    stacked: dict[str, LayerFile] = {}
    copies: dict[str, list[tuple[int, int]]] = {}
    for index, entries in enumerate(layers):
        parents = {
            ancestor for entry in entries for ancestor in ancestors_of(entry.path)
        }
        names = sorted(stacked) if any(entry.whiteout for entry in entries) else []
        for entry in entries:
            if entry.path in parents and not entry.whiteout:
                continue
            if entry.whiteout:
                for path in subtree(names, entry.path):
                    if path in copies:
                        copies[path].append((index, 0))
            else:
                copies.setdefault(entry.path, []).append((index, entry.size))
        stack(stacked, names, entries)

    per_layer = [0] * len(layers)
    wasted = []
    for path, found in copies.items():
        if len(found) < 2:
            continue
        for index, size in found:
            per_layer[index] += size
        wasted.append(WastedPath(path, len(found), sum(size for _, size in found)))
    wasted.sort(key=lambda item: (-item.size, item.path))
    return Waste(sum(per_layer), per_layer, wasted)


def ancestors_of(path: str) -> Iterator[str]:
    """Yield the folders above `path`, nearest first (`/a/b/c` gives /a/b, /a)."""
    parent = posixpath.dirname(path)
    while parent not in ("/", ""):
        yield parent
        parent = posixpath.dirname(parent)


def subtree(names: list[str], path: str) -> list[str]:
    """Return `path` and the paths below it, out of `names` (sorted)."""
    start = bisect.bisect_left(names, path)
    found = [path] if start < len(names) and names[start] == path else []
    # Every path below `path` sorts between `path/` and `path0` ("0" follows "/").
    low = bisect.bisect_left(names, path + "/")
    high = bisect.bisect_left(names, path + "0")
    return found + names[low:high]


def stack(
    stacked: dict[str, LayerFile], names: list[str], entries: list[LayerFile]
) -> None:
    """Lay `entries` over the file system so far: deletions first, then writes."""
    for entry in entries:
        if entry.whiteout:
            for path in subtree(names, entry.path):
                stacked.pop(path, None)
    for entry in entries:
        if not entry.whiteout:
            stacked[entry.path] = entry


def layer_path(name: str) -> str | None:
    """Turn an archive member's name into an absolute path; None for the root."""
    clean = posixpath.normpath("/" + name)
    return None if clean == "/" else clean


def read_layer_tar(fileobj: IO[bytes]) -> list[LayerFile]:
    """Read a layer's entries from its tar stream, without seeking."""
    entries = []
    with tarfile.open(fileobj=fileobj, mode="r|*") as archive:
        for member in archive:
            path = layer_path(member.name)
            if path is None:
                continue
            name = posixpath.basename(path)
            if name.startswith(OPAQUE):
                continue
            if name.startswith(WHITEOUT):
                deleted = posixpath.join(posixpath.dirname(path), name[len(WHITEOUT) :])
                entries.append(LayerFile(deleted, whiteout=True))
                continue
            # A hard link's entry has no data of its own: the bytes count once.
            size = member.size if member.isreg() else 0
            entries.append(LayerFile(path, size, member.isdir()))
    return entries


def read_layer_dir(root: Path) -> list[LayerFile]:
    """Read a layer's entries from its overlay2 `diff` folder.

    overlayfs marks a deleted path with a character device 0:0 in its place.
    """
    entries = []
    linked: set[tuple[int, int]] = set()
    folders = [root]
    while folders:
        folder = folders.pop()
        with os.scandir(folder) as listing:
            for item in listing:
                info = item.stat(follow_symlinks=False)
                path = "/" + Path(item.path).relative_to(root).as_posix()
                if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                    entries.append(LayerFile(path, whiteout=True))
                elif stat.S_ISDIR(info.st_mode):
                    entries.append(LayerFile(path, is_dir=True))
                    folders.append(Path(item.path))
                elif stat.S_ISREG(info.st_mode):
                    size = info.st_size
                    if info.st_nlink > 1:
                        # Like the tar form, count a hard-linked file's bytes once.
                        inode = (info.st_dev, info.st_ino)
                        size = 0 if inode in linked else size
                        linked.add(inode)
                    entries.append(LayerFile(path, size))
                else:
                    entries.append(LayerFile(path))
    return sorted(entries, key=lambda entry: entry.path)


class ChunkReader(io.RawIOBase):
    """A readable file over an iterable of byte chunks (the SDK's `docker save`)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            try:
                self.pending = memoryview(next(self.chunks))
            except StopIteration:
                return 0
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


def read_saved_layers(chunks: Iterable[bytes]) -> list[list[LayerFile]]:
    """Read every layer of a `docker save` stream, oldest first.

    The archive is read once, front to back: each layer's tar is read as it passes
    (legacy `<id>/layer.tar` or OCI `blobs/sha256/<digest>`), and `manifest.json`,
    wherever it comes, gives their order.
    """
    parsed: dict[str, list[LayerFile]] = {}
    order: list[str] | None = None
    stream = io.BufferedReader(ChunkReader(chunks), buffer_size=1 << 20)
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            if not member.isreg():
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            if member.name == "manifest.json":
                order = [str(name) for name in json.load(handle)[0]["Layers"]]
            elif member.name.endswith("/layer.tar") or member.name.startswith("blobs/"):
                try:
                    parsed[member.name] = read_layer_tar(handle)
                except tarfile.ReadError:
                    # An OCI blob that is no tar (the image's config), or an empty
                    # layer the engine saved as zero bytes.
                    parsed.setdefault(member.name, [])
    if order is None:
        raise ValueError("the saved image has no manifest.json")
    return [parsed.get(name, []) for name in order]


def overlay_folders(attrs: dict[str, Any]) -> list[Path] | None:
    """Return the image's layer folders, oldest first, when this machine can read them.

    Only an overlay2 engine on this machine, read as root, has them; Docker Desktop
    keeps them inside its VM.
    """
    driver = attrs.get("GraphDriver") or {}
    data = driver.get("Data") or {}
    if driver.get("Name") != "overlay2" or not data.get("UpperDir"):
        return None
    lower = [item for item in str(data.get("LowerDir") or "").split(":") if item]
    folders = [Path(item) for item in [*reversed(lower), str(data["UpperDir"])]]
    layers = (attrs.get("RootFS") or {}).get("Layers") or []
    if len(folders) != len(layers):
        return None
    if not all(os.access(folder, os.R_OK | os.X_OK) for folder in folders):
        return None
    return folders


def read_layers(
    client: docker.DockerClient, attrs: dict[str, Any]
) -> tuple[list[list[LayerFile]], str]:
    """Read every layer of an image, oldest first; say where from."""
    folders = overlay_folders(attrs)
    if folders is not None:
        try:
            diff_ids = [str(item) for item in attrs["RootFS"]["Layers"]]
            layers = [
                cached(diff_id, functools.partial(read_layer_dir, folder))
                for diff_id, folder in zip(diff_ids, folders, strict=True)
            ]
            return layers, "overlay2"
        except OSError as error:
            log.info("cannot read the layer folders (%s); using docker save", error)
    chunks = client.api.get_image(attrs["Id"], chunk_size=1 << 20)
    return read_saved_layers(chunks), "docker save"


def cached(diff_id: str, read: Callable[[], list[LayerFile]]) -> list[LayerFile]:
    if diff_id not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[diff_id] = read()
    return _CACHE[diff_id]


def describe_image(
    client: docker.DockerClient, image_id: str, name: str, base_id: str | None = None
) -> dict[str, Any]:
    """Describe where the bytes of an image are, as JSON-ready data for the reports.

    `steps` lists `docker history` oldest first: the instruction, its size, whether
    it made a layer, whether it belongs to the base image (`base_id`, the last FROM),
    and the bytes of that layer wasted as this module counts them.
    """
    attrs: dict[str, Any] = client.api.inspect_image(image_id)
    history: list[dict[str, Any]] = client.api.history(image_id)
    layers, source = read_layers(client, attrs)
    waste = measure_waste(layers)

    oldest_first = list(reversed(history))
    counts = [layer_count(client, entry) for entry in oldest_first]
    steps = layered_steps(oldest_first, counts, len(layers))
    base_from = base_index(oldest_first, base_id)
    rows = []
    layer_index = 0
    for index, (step, entry) in enumerate(zip(steps, oldest_first, strict=True)):
        wasted = 0
        if step.has_layer and layer_index < len(layers):
            wasted = waste.per_layer[layer_index]
            layer_index += 1
        instruction = readable(step.created_by)
        if not step.has_layer and is_grader_label(instruction):
            continue
        rows.append(
            {
                "instruction": instruction
                or str(entry.get("Comment") or "(no instruction recorded)"),
                "size": step.size,
                "layer": step.has_layer,
                "base": index <= base_from,
                "wasted": wasted,
            }
        )
    return {
        "image": name,
        "id": str(attrs["Id"]),
        "size": int(attrs.get("Size") or 0),
        "layers": len(layers),
        "source": source,
        "wasted_bytes": waste.total,
        # dive's "user size": every layer but the first.
        "user_bytes": sum(row["size"] for row in rows[1:]),
        "steps": rows,
        "wasted_paths": [
            {"path": item.path, "layers": item.layers, "bytes": item.size}
            for item in waste.paths[:WASTED_PATHS_SHOWN]
        ],
    }


def layer_count(client: docker.DockerClient, entry: dict[str, Any]) -> int | None:
    """How many layers the image of a history entry has, when it is a local image.

    The legacy builder keeps an image per step, so its steps can be told exactly;
    entries pulled or built by BuildKit show `<missing>`.
    """
    image_id = str(entry.get("Id") or "")
    if not image_id.startswith("sha256:"):
        return None
    try:
        attrs = client.api.inspect_image(image_id)
    except docker.errors.APIError:
        return None
    return len((attrs.get("RootFS") or {}).get("Layers") or [])


def layered_steps(
    oldest_first: list[dict[str, Any]], counts: list[int | None], total: int
) -> list[Step]:
    """Mark which history entries made a layer.

    Where an entry's image is known (`counts`), the layers up to it are exact; the
    entries between two known ones share the difference, given out by size and
    instruction (grader.engine.layers.steps_of), and so do the entries after the
    last known one, up to `total`.
    """
    steps: list[Step] = []
    start, before = 0, 0
    ends = [index for index, count in enumerate(counts) if count is not None]
    for end in [*ends, len(oldest_first) - 1]:
        if end < start:
            continue
        known = counts[end] if end in ends else None
        upto = total if known is None else known
        segment = oldest_first[start : end + 1]
        steps += steps_of(list(reversed(segment)), max(upto - before, 0))
        start, before = end + 1, upto
    return steps


def base_index(oldest_first: list[dict[str, Any]], base_id: str | None) -> int:
    """Return the index of the base image's newest history entry; -1 if unknown."""
    if not base_id:
        return -1
    wanted = base_id.removeprefix("sha256:")
    for index, entry in enumerate(oldest_first):
        if str(entry.get("Id") or "").removeprefix("sha256:").startswith(wanted):
            return index
    return -1

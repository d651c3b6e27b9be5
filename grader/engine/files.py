"""Reading an image's files through the archive API of a never-started container.

Nothing of the student's runs: the container is created, read and removed. Paths are
looked up one by one with `get_archive`; glob patterns need the full listing, read
once from `export` as a tar stream (names and headers only, never kept in memory).
"""

from __future__ import annotations

import fnmatch
import io
import logging
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import docker
import docker.errors
from docker.models.containers import Container

from grader.engine import cleanup

log = logging.getLogger(__name__)

_GLOB = set("*?[")


@dataclass(frozen=True)
class FileEntry:
    """One path in the image's file system, with its owner and mode."""

    path: str
    uid: int
    gid: int
    mode: int
    is_dir: bool
    size: int


@contextmanager
def created_container(
    client: docker.DockerClient, image: str, labels: dict[str, str]
) -> Iterator[Container]:
    """Create a container of `image` that never starts, and remove it afterwards."""
    container = client.containers.create(
        image, command=["true"], entrypoint=[], labels=labels, network_disabled=True
    )
    try:
        yield container
    finally:
        cleanup.attempt(container.remove, force=True, v=True)


def is_glob(pattern: str) -> bool:
    return bool(_GLOB & set(pattern))


def stat_path(container: Container, path: str) -> FileEntry | None:
    """Return the entry at `path` (following no links), or None when it is absent."""
    try:
        stream, stat = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    # The tar's first member is the path itself; only its header is needed.
    data = io.BytesIO()
    try:
        for chunk in stream:
            data.write(chunk)
            if data.tell() >= 1024:
                break
    finally:
        # A directory's archive holds all it contains: stop reading after the header.
        stream.close()  # type: ignore[attr-defined]
    data.seek(0)
    try:
        with tarfile.open(fileobj=data, mode="r|") as archive:
            member = archive.next()
    except tarfile.TarError:
        member = None
    if member is None:
        mode = int((stat or {}).get("mode", 0)) & 0o7777
        return FileEntry(path, 0, 0, mode, False, 0)
    return entry_from(member, path)


def list_files(container: Container) -> Iterator[FileEntry]:
    """Yield every path of the container's file system, from one export stream."""
    # The SDK streams raw tar bytes (its stubs say str).
    chunks = cast("Iterator[bytes]", container.export())
    with tarfile.open(fileobj=StreamReader(chunks), mode="r|") as archive:
        for member in archive:
            yield entry_from(member, "/" + member.name.lstrip("./").rstrip("/"))


def match(entries: list[FileEntry], pattern: str) -> list[FileEntry]:
    """Return the entries whose path matches the glob `pattern` (absolute paths)."""
    return [entry for entry in entries if fnmatch.fnmatchcase(entry.path, pattern)]


def entry_from(member: tarfile.TarInfo, path: str) -> FileEntry:
    return FileEntry(
        path=path,
        uid=member.uid,
        gid=member.gid,
        mode=member.mode & 0o7777,
        is_dir=member.isdir(),
        size=member.size,
    )


class StreamReader(io.RawIOBase):
    """A file-like view of the SDK's chunk iterator, for tarfile's stream mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = iter(chunks)
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

"""Refusing build contexts that would hurt the host before any of it is sent.

The docker SDK reads the whole context into a tar before the engine sees it, so a
context of a million files or gigabytes would cost the grader's memory and time
whatever the build does. The same walk the SDK makes (`.dockerignore` honoured) is
done first and stopped at the limits; symbolic links that point outside the exercise
folder are refused too, since nothing in an exercise needs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from docker.utils.build import exclude_paths


@dataclass(frozen=True)
class ContextLimits:
    """The most a build context may hold."""

    max_bytes: int = 200 * 1000**2
    max_files: int = 20_000


def check_context(
    context: Path,
    dockerfile: str,
    folder: Path,
    limits: ContextLimits = ContextLimits(),
) -> str | None:
    """Return why the context must not be built, or None when it is fine."""
    if not context.resolve().is_relative_to(folder.resolve()):
        return (
            f"The build context {context} is outside the exercise folder; keep"
            " `image.context` inside it."
        )
    ignore = context / ".dockerignore"
    patterns = []
    if ignore.is_file():
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
        patterns = [line.strip() for line in lines]
        patterns = [line for line in patterns if line and not line.startswith("#")]
    total = 0
    count = 0
    root = folder.resolve()
    try:
        paths = exclude_paths(str(context), patterns, dockerfile=dockerfile)
    except (OSError, RecursionError) as error:
        return f"The build context cannot be read: {error}"
    for relative in sorted(paths):
        path = context / relative
        count += 1
        if count > limits.max_files:
            return (
                f"The build context holds more than {limits.max_files:,} files."
                " List generated folders (node_modules/, build/, .git/) in"
                " .dockerignore."
            )
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            if not target.is_relative_to(root):
                return (
                    f"{relative} is a symbolic link to {os.readlink(path)}, outside the"
                    " exercise folder; replace it with the file itself."
                )
            continue
        if path.is_file():
            total += path.stat().st_size
            if total > limits.max_bytes:
                return (
                    f"The build context is larger than {limits.max_bytes / 1e6:.0f} MB"
                    f" (reached at {relative}). Leave bulky files out with"
                    " .dockerignore."
                )
    return None

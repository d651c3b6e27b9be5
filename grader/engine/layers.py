"""Which build steps a rebuild reused, decided by comparing layer digests.

The verdict must not depend on the builder: the legacy builder gives every step an
image id, BuildKit gives none, but both record the image's history (one entry per
instruction) and its layer digests (`RootFS.Layers`, one per step that changed files).
A rebuilt step that writes files gets a new digest even for identical content, since
the files' timestamps differ. So a step counts as reused when every layer up to and
including its own is identical in both images; a step that adds no layer is reused
when every layer before it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Instructions that only change the image's configuration, never its files.
_METADATA_ONLY = re.compile(
    r"^(?:/bin/sh -c )?#\(nop\)\s+(ENV|CMD|LABEL|EXPOSE|USER|ARG|ENTRYPOINT|"
    r"HEALTHCHECK|VOLUME|STOPSIGNAL|SHELL|ONBUILD|MAINTAINER)\b"
    r"|^(ENV|CMD|LABEL|EXPOSE|USER|ARG|ENTRYPOINT|HEALTHCHECK|VOLUME|STOPSIGNAL|"
    r"SHELL|ONBUILD|MAINTAINER)\b"
)
# Instructions that may add a layer even when it is empty (size 0), in the order the
# builders are likelier to give them one: WORKDIR creates its directory.
_MAYBE_EMPTY_LAYER = ("WORKDIR", "COPY", "ADD", "RUN")


@dataclass(frozen=True)
class Step:
    """One history entry of an image, oldest first, and whether it made a layer."""

    created_by: str
    size: int
    has_layer: bool


@dataclass(frozen=True)
class StepVerdict:
    """A step of the rebuilt image and whether the rebuild reused it."""

    instruction: str
    reused: bool


def steps_of(history: list[dict[str, Any]], layer_count: int) -> list[Step]:
    """Turn the engine's history (newest first) into steps with their layers marked.

    Entries with a size make a layer, metadata instructions never do; the remaining
    layers are given to the zero-size entries that may hold an empty one.
    """
    entries = list(reversed(history))
    definite = [int(entry.get("Size") or 0) > 0 for entry in entries]
    spare = layer_count - sum(definite)
    candidates = [
        index
        for index, entry in enumerate(entries)
        if not definite[index] and not _METADATA_ONLY.search(text_of(entry))
    ]
    candidates.sort(key=lambda index: rank(text_of(entries[index])))
    chosen = set(candidates[: max(spare, 0)])
    return [
        Step(text_of(entry), int(entry.get("Size") or 0), definite[i] or i in chosen)
        for i, entry in enumerate(entries)
    ]


def compare(
    before: list[Step],
    after: list[Step],
    layers_before: list[str],
    layers_after: list[str],
    skip: int = 0,
) -> list[StepVerdict]:
    """Decide, for each step of `after` past the first `skip` (the base), if reused."""
    shared = 0
    for old, new in zip(layers_before, layers_after, strict=False):
        if old != new:
            break
        shared += 1
    verdicts = []
    layers_so_far = 0
    for index, step in enumerate(after):
        if step.has_layer:
            layers_so_far += 1
        same_text = index < len(before) and before[index].created_by == step.created_by
        reused = same_text and layers_so_far <= shared
        if index >= skip:
            verdicts.append(StepVerdict(readable(step.created_by), reused))
    return verdicts


def text_of(entry: dict[str, Any]) -> str:
    return str(entry.get("CreatedBy") or "")


def rank(created_by: str) -> int:
    words = readable(created_by).split()
    keyword = words[0] if words else ""
    return _MAYBE_EMPTY_LAYER.index(keyword) if keyword in _MAYBE_EMPTY_LAYER else 99


def readable(created_by: str) -> str:
    """Show a history entry as its Dockerfile instruction, whichever builder made it."""
    text = created_by.strip()
    text = re.sub(r"\s*# buildkit$", "", text)
    if text.startswith("/bin/sh -c #(nop) "):
        return text[len("/bin/sh -c #(nop) ") :].strip()
    if text.startswith("/bin/sh -c "):
        return "RUN " + text[len("/bin/sh -c ") :]
    if text.startswith("RUN /bin/sh -c "):
        return "RUN " + text[len("RUN /bin/sh -c ") :]
    return text

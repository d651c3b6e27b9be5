"""Progress notes: what grading is doing right now, for displays to show as it goes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from grader.engine.labels import PREFIX

#: A build step as the legacy builder announces it: `Step 3/7 : RUN pip install ...`.
BUILD_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


@dataclass(frozen=True)
class ProgressNote:
    """One thing the grader is doing for an exercise, sent as a `progress` event.

    `build` notes carry a line of `docker build` output; `phase` notes name a slow
    piece of work that is not a check (reading an image's layers, cleaning up).
    """

    exercise: str
    text: str
    kind: Literal["build", "phase"] = "phase"

    @property
    def build_step(self) -> str | None:
        """The step this note announces (`Step 3/7 : RUN ...`), if it announces one."""
        match = BUILD_STEP.match(self.text) if self.kind == "build" else None
        if match is None or is_grader_label(match[3]):
            return None
        return self.text


def is_grader_label(instruction: str) -> bool:
    """Tell the LABEL steps the engine adds for the grader's own labels apart."""
    return instruction.startswith(f"LABEL {PREFIX}.")

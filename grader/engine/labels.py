"""The labels every Docker object created by brickyard carries, and the run identity."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

PREFIX = "brickyard"
#: Present on every object a grading run creates; its value is the run id.
RUN = f"{PREFIX}.run"
#: The process id and host of the run, so a later run can tell orphans from live runs.
PID = f"{PREFIX}.pid"
HOST = f"{PREFIX}.host"
#: The exercise the object belongs to, for humans reading `docker ps`.
EXERCISE = f"{PREFIX}.exercise"
#: Present on base images built locally because no registry answered.
STAND_IN = f"{PREFIX}.stand-in"


@dataclass(frozen=True)
class RunIdentity:
    """Who created an object: one grading run of one process on one host."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)

    def labels(self, exercise: str | None = None) -> dict[str, str]:
        """Return the labels for an object this run creates."""
        labels = {RUN: self.run_id, PID: str(self.pid), HOST: self.host}
        if exercise:
            labels[EXERCISE] = exercise
        return labels

"""A run's ledger of the unlabelled images its builds made, kept on disk.

The legacy builder labels only a build's final image; the images of its steps carry
no label. When a grading run is killed in the middle of a build, those step images
are left behind with nothing to find them by. So each run writes the ids of its step
images to a small file as they appear, and deletes the file when it has removed them;
a later run reads the files of runs whose process is gone and removes what they list.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def ledger_folder() -> Path:
    """Return where ledgers live: `$XDG_CACHE_HOME/brickyard/runs` (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "brickyard" / "runs"


class Ledger:
    """The step images of one run, written through to a file as they are added."""

    def __init__(self, run_id: str, pid: int, host: str) -> None:
        self.path = ledger_folder() / f"{run_id}.json"
        self.pid = pid
        self.host = host
        self.images: list[str] = []
        self.lock = threading.Lock()

    def add_image(self, image_id: str) -> None:
        """Record one step image; the file is rewritten so it is always whole."""
        with self.lock:
            self.images.append(image_id)
            self.write()

    def write(self) -> None:
        data = {"pid": self.pid, "host": self.host, "images": self.images}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(data))
            temporary.replace(self.path)
        except OSError as error:
            log.warning("cannot write the run ledger %s: %s", self.path, error)

    def close(self) -> None:
        """Forget the ledger once its images are removed."""
        self.path.unlink(missing_ok=True)


def dead_ledgers(
    host: str, alive: Callable[[int], bool]
) -> list[tuple[Path, list[str]]]:
    """Return the ledgers of runs on `host` whose process is gone, with their images."""
    found: list[tuple[Path, list[str]]] = []
    folder = ledger_folder()
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("host") == host and not alive(int(data.get("pid", 0))):
            found.append((path, [str(image) for image in data.get("images", [])]))
    return found

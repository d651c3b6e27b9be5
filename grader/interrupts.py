"""SIGTERM handled as Ctrl-C, so a run that is told to stop cleans up as on Ctrl-C."""

from __future__ import annotations

import signal
import threading
from types import FrameType


class stop_on_sigterm:
    """Turn SIGTERM into KeyboardInterrupt while the block runs.

    `docker stop`, CI's cancel button and a bulk run stopping its graders all send
    SIGTERM; raised as KeyboardInterrupt, it runs the same cleanup as Ctrl-C. Only
    the main thread may set a handler, so in any other thread the block runs with
    the handler it has.
    """

    def __enter__(self) -> None:
        self.main = threading.current_thread() is threading.main_thread()
        if self.main:
            self.previous = signal.signal(signal.SIGTERM, self.interrupt)

    def __exit__(self, *exc: object) -> None:
        if self.main:
            signal.signal(signal.SIGTERM, self.previous)

    @staticmethod
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

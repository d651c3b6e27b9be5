"""Single key presses from the terminal, read without waiting for Enter."""

from __future__ import annotations

import os
import select
import sys
import time
from types import TracebackType
from typing import Any, TextIO


class Keyboard:
    """Reads the keys a student presses, a few at a time, with a timeout.

    On a POSIX terminal the terminal is put in cbreak mode (keys arrive one by one,
    not echoed; Ctrl-C still interrupts) and restored on exit. From a pipe, keys
    arrive as they are written. `read()` returns None once the input has ended.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.saved: list[Any] | None = None

    def __enter__(self) -> Keyboard:
        if sys.platform != "win32" and self.stream.isatty():
            import termios
            import tty

            descriptor = self.stream.fileno()
            self.saved = termios.tcgetattr(descriptor)
            tty.setcbreak(descriptor)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.saved is not None and sys.platform != "win32":
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self.saved)
            self.saved = None

    def read(self, timeout: float) -> list[str] | None:
        """Return the keys pressed within `timeout` s (maybe none); None at the end."""
        if sys.platform == "win32":
            import msvcrt

            deadline = time.monotonic() + timeout
            keys: list[str] = []
            while not keys and time.monotonic() < deadline:
                while msvcrt.kbhit():
                    keys.append(msvcrt.getwch())
                if not keys:
                    time.sleep(0.05)
            return keys
        descriptor = self.stream.fileno()
        ready, _, _ = select.select([descriptor], [], [], timeout)
        if not ready:
            return []
        data = os.read(descriptor, 64)
        if not data:
            return None
        return list(data.decode("utf-8", errors="ignore"))

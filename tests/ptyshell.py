"""Running a command in a pseudo-terminal, to read its screen and press keys."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

#: Escape sequences a screen is drawn with: colours, cursor moves, clearing.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: The sequence `brickyard watch` starts each screen with.
CLEAR = "\x1b[H\x1b[2J"


class Terminal:
    """A process on the slave side of a pty; the test holds the master side."""

    def __init__(
        self,
        command: list[str],
        cwd: Path,
        env: dict[str, str],
        columns: int = 120,
        rows: int = 60,
    ) -> None:
        self.master, slave = os.openpty()
        size = struct.pack("HHHH", rows, columns, 0, 0)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.output = ""

    def read(self, timeout: float = 0.2) -> None:
        """Add whatever the process printed within `timeout` s to `output`."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the process has ended and the pty is closed
            return
        self.output += data.decode("utf-8", errors="replace")

    def screen(self) -> str:
        """The last screen drawn, without escape sequences."""
        return plain(self.output.rsplit(CLEAR, 1)[-1])

    def wait_for(self, test: Callable[[str], bool], timeout: float, what: str) -> str:
        """Read until `test(screen)` holds; return that screen or fail saying `what`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            if test(self.screen()):
                return self.screen()
            if self.process.poll() is not None:
                self.read()
                break
        raise AssertionError(
            f"waited {timeout:.0f} s for {what}; the screen was:\n{self.screen()}"
        )

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float) -> int:
        """Wait for the process to end, reading what it prints; return its status."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the process did not end within {timeout:.0f} s")
        for _ in range(5):
            self.read(0.05)
        os.close(self.master)
        return self.process.returncode


def plain(text: str) -> str:
    """`text` without escape sequences, with carriage returns as line ends."""
    return _ESCAPES.sub("", text).replace("\r\n", "\n").replace("\r", "\n")

"""The brick counter of exercise 13: a small web app with an access log and a fault.

GET /        the page; it names the replica (the container's host name) that
             answered
GET /crash   a fault left in on purpose: the app logs it, answers, and exits with
             code 1, as an unhandled error would
GET /health  200 "ok"

Options:
  --log-file PATH   where the log goes; `-`, the default, is standard output
  --port N          the port to listen on (default 8000)

Python's standard library only; SIGTERM ends the app at once.
"""

import argparse
import http.server
import os
import signal
import socket
import sys
import threading
import time
from typing import TextIO

REPLICA = socket.gethostname()


class Log:
    """One line per event, written and flushed at once, to a file or stdout."""

    def __init__(self, destination: str) -> None:
        # The file stays open for as long as the app runs.
        self.stream: TextIO = (
            sys.stdout
            if destination == "-"
            else open(destination, "a", encoding="utf-8")  # noqa: SIM115
        )
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        with self.lock:
            self.stream.write(f"{stamp} {REPLICA} {text}\n")
            self.stream.flush()


class BrickCounter(http.server.BaseHTTPRequestHandler):
    log: Log

    def do_GET(self) -> None:
        if self.path == "/":
            self.answer(200, f"Brick counter, answered by replica {REPLICA}.\n")
        elif self.path == "/health":
            self.answer(200, "ok\n")
        elif self.path == "/crash":
            self.log.write(
                "GET /crash: the sorting machine jammed; exiting with code 1"
            )
            self.answer(500, f"replica {REPLICA} crashed\n")
            os._exit(1)
        else:
            self.answer(404, "not found\n")

    def answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log.write(
            f"{self.command} {self.path} {code} from {self.client_address[0]}"
        )

    def log_message(self, format: str, *args: object) -> None:
        self.log.write(format % args)


def stop(signum: int, frame: object) -> None:
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-file", default="-", help="a path, or - for stdout")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()

    signal.signal(signal.SIGTERM, stop)
    BrickCounter.log = Log(arguments.log_file)
    BrickCounter.log.write(f"brick counter listening on port {arguments.port}")
    address = ("0.0.0.0", arguments.port)
    http.server.ThreadingHTTPServer(address, BrickCounter).serve_forever()


if __name__ == "__main__":
    main()

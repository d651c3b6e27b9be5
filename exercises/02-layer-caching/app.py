"""The parts-list service of exercise 02: it answers every GET with a set's parts.

It describes each brick with the `brickset` package, which the image installs with
pip from the wheel in `wheels/` (listed in requirements.txt), so the build needs no
network. It exits cleanly on SIGTERM, which `docker stop` sends.
"""

import http.server
import os
import signal
import sys

import brickset

PORT = int(os.environ.get("PORT", "8000"))

# (count, width, length, colour) of each kind of brick in the set.
PARTS = [(12, 2, 4, "red"), (8, 2, 2, "blue"), (4, 1, 6, "yellow")]


class PartsList(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        lines = [
            f"{count} x {brickset.describe(width, length, colour)}"
            for count, width, length, colour in PARTS
        ]
        lines.append(f"(described by brickset {brickset.__version__})")
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print(f"{self.address_string()} {format % args}", flush=True)


def stop(signum: int, frame: object) -> None:
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    server = http.server.HTTPServer(("0.0.0.0", PORT), PartsList)
    print(f"parts list on port {PORT}", flush=True)
    server.serve_forever()

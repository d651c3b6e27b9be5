"""The greeter of exercise 08: its greeting and version come from its environment.

GREETING   the greeting, e.g. "Hello"; the app refuses to start without it
APP_VERSION  the release it belongs to, shown on every page ("unknown" when unset)
PORT       the port to listen on, 8000 by default

It answers every GET with one line, and exits cleanly on SIGTERM, which `docker stop`
sends.
"""

import http.server
import os
import signal
import sys

PORT = int(os.environ.get("PORT", "8000"))


class Greeter(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        greeting = os.environ["GREETING"]
        version = os.environ.get("APP_VERSION") or "unknown"
        body = f"{greeting}, builder! (brick-greeter {version})\n".encode()
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
    if not os.environ.get("GREETING"):
        sys.exit("GREETING is not set: the greeter needs it in its environment")
    signal.signal(signal.SIGTERM, stop)
    server = http.server.HTTPServer(("0.0.0.0", PORT), Greeter)
    print(f"greeter on port {PORT}", flush=True)
    server.serve_forever()

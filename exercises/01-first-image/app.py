"""A tiny web app for exercise 01: it answers every GET with a greeting.

It uses only Python's standard library, so the image needs nothing but Python.
It exits cleanly on SIGTERM, which is what `docker stop` sends to the container's
main process (PID 1).
"""

import http.server
import os
import signal
import sys

PORT = int(os.environ.get("PORT", "8000"))


class Greeter(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"Hello from your first container!\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Log requests to stdout, where `docker logs` reads them.
        print(f"{self.address_string()} {format % args}", flush=True)


def stop(signum: int, frame: object) -> None:
    print("SIGTERM received, shutting down", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    server = http.server.HTTPServer(("0.0.0.0", PORT), Greeter)
    print(f"listening on port {PORT}", flush=True)
    server.serve_forever()

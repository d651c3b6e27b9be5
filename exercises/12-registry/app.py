"""The greeter of exercise 12: a web app to publish through a registry.

It answers every GET with a greeting, and exits cleanly on SIGTERM, which
`docker stop` sends.
"""

import http.server
import os
import signal
import sys

PORT = int(os.environ.get("PORT", "8000"))


class Greeter(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"Hello from a published brick!\n"
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
    server = http.server.HTTPServer(("0.0.0.0", PORT), Greeter)
    print(f"greeter on port {PORT}", flush=True)
    server.serve_forever()

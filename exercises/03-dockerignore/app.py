"""The inventory page of exercise 03: it serves static/index.html on port 8000.

Secrets reach the app at run time through its environment (`docker run -e` or
`--env-file .env`), never from a file baked into the image. It exits cleanly on
SIGTERM, which `docker stop` sends.
"""

import http.server
import os
import pathlib
import signal
import sys

PORT = int(os.environ.get("PORT", "8000"))
PAGE = pathlib.Path(__file__).resolve().parent / "static" / "index.html"


class InventoryPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        try:
            body = PAGE.read_bytes()
            status = 200
        except OSError:
            body = f"{PAGE} is missing from the image\n".encode()
            status = 500
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print(f"{self.address_string()} {format % args}", flush=True)


def stop(signum: int, frame: object) -> None:
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    server = http.server.HTTPServer(("0.0.0.0", PORT), InventoryPage)
    print(f"inventory page on port {PORT}", flush=True)
    server.serve_forever()

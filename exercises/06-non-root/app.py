"""The brick shop of exercise 06: a web page that says which user serves it.

It reads its own files and writes none, so it runs as any user. It exits cleanly on
SIGTERM, which `docker stop` sends.
"""

import http.server
import os
import pwd
import signal
import sys

PORT = int(os.environ.get("PORT", "8000"))


def user_name(uid: int) -> str:
    """Return the name of `uid`, or the number when /etc/passwd does not list it."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class BrickShop(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        uid = os.getuid()
        body = (
            f"Welcome to the brick shop!\n"
            f"This page is served by user {user_name(uid)} (uid {uid}).\n"
        ).encode()
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
    server = http.server.HTTPServer(("0.0.0.0", PORT), BrickShop)
    print(f"brick shop on port {PORT} as uid {os.getuid()}", flush=True)
    server.serve_forever()

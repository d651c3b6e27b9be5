"""A web service for the compose scenarios; standard library only.

GET any path answers 200 with "web ok". HOST (default 0.0.0.0) and PORT (default
8000) say where it listens; FAIL=1 makes it exit with code 1 at start.
"""

import http.server
import os
import signal
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"web ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.environ.get("FAIL") == "1":
        print("web: cannot start, FAIL=1 is set", flush=True)
        sys.exit(1)
    address = (os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "8000")))
    print(f"web: listening on {address[0]}:{address[1]}", flush=True)
    http.server.ThreadingHTTPServer(address, Handler).serve_forever()

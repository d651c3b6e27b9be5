"""The api service of exercise 11: the brick stock, served as JSON to the web front.

GET /bricks  the stock, and whether the database answers (503 when it does not)
GET /health  200 "ok" while the app runs (the database is not asked)

The database's address comes from DATABASE_HOST and DATABASE_PORT (default
db:5432). Python's standard library only; SIGTERM ends the app at once.
"""

import http.server
import json
import os
import signal
import socket
import struct
import sys

DATABASE = (
    os.environ.get("DATABASE_HOST", "db"),
    int(os.environ.get("DATABASE_PORT", "5432")),
)
#: PostgreSQL's SSLRequest: any PostgreSQL server answers it with one byte, S or N,
#: before a client logs in, so it tells whether the server is there.
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
STOCK = {"red 2x4": 120, "blue 2x2": 64, "yellow 1x6": 32}


def database_problem() -> str:
    """Return '' when PostgreSQL answers at DATABASE, or what went wrong."""
    where = f"{DATABASE[0]}:{DATABASE[1]}"
    try:
        with socket.create_connection(DATABASE, timeout=2) as connection:
            connection.sendall(SSL_REQUEST)
            reply = connection.recv(1)
    except OSError as error:
        return f"the database at {where} cannot be reached: {error}"
    if reply not in (b"S", b"N"):
        return f"{where} is not a PostgreSQL server"
    return ""


class BrickApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.answer(200, {"status": "ok"})
        elif self.path == "/bricks":
            problem = database_problem()
            if problem:
                self.answer(503, {"error": problem})
            else:
                self.answer(200, {"database": "ready", "stock": STOCK})
        else:
            self.answer(404, {"error": "not found"})

    def answer(self, status: int, data: dict[str, object]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print(f"api: {self.address_string()} {format % args}", flush=True)


def stop(signum: int, frame: object) -> None:
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    print(f"api: port 5000, database {DATABASE[0]}:{DATABASE[1]}", flush=True)
    http.server.ThreadingHTTPServer(("0.0.0.0", 5000), BrickApi).serve_forever()

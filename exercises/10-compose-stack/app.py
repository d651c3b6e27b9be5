"""The web service of exercise 10: a page that counts its visits in a cache and checks
that its database answers. Python's standard library only.

GET /        the welcome page with the visit number (counted in Redis) and the
             database's state; 503 naming what cannot be reached
GET /health  200 "ok" when both the database and the cache answer, 503 when one
             does not

Where the two are comes from the environment: DATABASE_HOST and DATABASE_PORT
(default localhost:5432), CACHE_HOST and CACHE_PORT (default localhost:6379). In a
container, localhost is the container itself, so a compose file must name them.
Every request is logged to standard output; SIGTERM ends the app at once.
"""

import http.server
import os
import signal
import socket
import struct
import sys

DATABASE = (
    os.environ.get("DATABASE_HOST", "localhost"),
    int(os.environ.get("DATABASE_PORT", "5432")),
)
CACHE = (
    os.environ.get("CACHE_HOST", "localhost"),
    int(os.environ.get("CACHE_PORT", "6379")),
)
#: The code of PostgreSQL's SSLRequest: any PostgreSQL server answers it with one
#: byte, S or N, before a client even logs in.
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def database_answers() -> str:
    """Return '' when PostgreSQL answers at DATABASE, or what went wrong."""
    try:
        with socket.create_connection(DATABASE, timeout=2) as connection:
            connection.sendall(SSL_REQUEST)
            reply = connection.recv(1)
    except OSError as error:
        return f"database at {DATABASE[0]}:{DATABASE[1]}: {error}"
    if reply not in (b"S", b"N"):
        return f"database at {DATABASE[0]}:{DATABASE[1]}: not a PostgreSQL server"
    return ""


def cache_command(*words: str) -> bytes:
    """Send one command to Redis at CACHE and return its reply line."""
    request = f"*{len(words)}\r\n" + "".join(
        f"${len(word)}\r\n{word}\r\n" for word in words
    )
    with socket.create_connection(CACHE, timeout=2) as connection:
        connection.sendall(request.encode())
        return connection.makefile("rb").readline().strip()


def cache_answers() -> str:
    """Return '' when Redis answers PING at CACHE, or what went wrong."""
    try:
        reply = cache_command("PING")
    except OSError as error:
        return f"cache at {CACHE[0]}:{CACHE[1]}: {error}"
    if reply != b"+PONG":
        return f"cache at {CACHE[0]}:{CACHE[1]}: unexpected answer {reply!r}"
    return ""


class BrickShop(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            problems = [text for text in (database_answers(), cache_answers()) if text]
            if problems:
                self.answer(503, "unhealthy: " + "; ".join(problems) + "\n")
            else:
                self.answer(200, "ok\n")
        elif self.path == "/":
            self.welcome()
        else:
            self.answer(404, "not found\n")

    def welcome(self) -> None:
        problem = database_answers()
        if problem:
            self.answer(503, f"cannot reach the {problem}\n")
            return
        try:
            visits = cache_command("INCR", "visits").lstrip(b":").decode()
        except OSError as error:
            self.answer(
                503, f"cannot reach the cache at {CACHE[0]}:{CACHE[1]}: {error}\n"
            )
            return
        self.answer(
            200, f"Welcome to the brick shop: visit number {visits}. Database: ready.\n"
        )

    def answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
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
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 8000), BrickShop)
    print(
        f"brick shop on port 8000; database {DATABASE[0]}:{DATABASE[1]},"
        f" cache {CACHE[0]}:{CACHE[1]}",
        flush=True,
    )
    server.serve_forever()

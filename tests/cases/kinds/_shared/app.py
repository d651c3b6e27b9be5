"""A test app for the container check scenarios; standard library only.

GET /          a greeting that includes $GREETING
GET /config    the text of /etc/app/config.txt
POST /notes?add=TEXT, GET /notes    notes kept in $DATA_DIR/notes.txt
GET /health    200 while /tmp/backend-ready exists, else 503
GET /break     removes /tmp/backend-ready (the "dependency" fails)
Requests are logged to stdout, or to $LOG_FILE when it is set.
"""

import http.server
import os
import pathlib
import signal
import sys
import urllib.parse

READY = pathlib.Path("/tmp/backend-ready")
DATA = pathlib.Path(os.environ.get("DATA_DIR", "/data"))


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        if url.path == "/":
            self.answer(200, f"Hello {os.environ.get('GREETING', 'world')}\n")
        elif url.path == "/config":
            config = pathlib.Path("/etc/app/config.txt")
            text = config.read_text() if config.exists() else "no config\n"
            self.answer(200, text)
        elif url.path == "/notes":
            notes = DATA / "notes.txt"
            self.answer(200, notes.read_text() if notes.exists() else "")
        elif url.path == "/health":
            self.answer(200 if READY.exists() else 503, "ok\n" if READY.exists() else "down\n")
        elif url.path == "/break":
            READY.unlink(missing_ok=True)
            self.answer(200, "broken\n")
        else:
            self.answer(404, "not found\n")

    def do_POST(self) -> None:
        url = urllib.parse.urlparse(self.path)
        note = urllib.parse.parse_qs(url.query).get("add", [""])[0]
        DATA.mkdir(parents=True, exist_ok=True)
        with (DATA / "notes.txt").open("a") as notes:
            notes.write(note + "\n")
        self.answer(201, "added\n")

    def log_message(self, format: str, *args: object) -> None:
        line = f"{self.address_string()} {format % args}\n"
        log_file = os.environ.get("LOG_FILE")
        if log_file:
            with open(log_file, "a") as handle:
                handle.write(line)
        else:
            sys.stdout.write(line)
            sys.stdout.flush()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.environ.get("BACKEND") != "down":
        READY.touch()
    http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()

"""The brick counter of exercise 07: a web app that keeps its bricks in a database.

GET /         a short welcome page (it does not touch the database)
GET /bricks   how many bricks of each colour the database holds
GET /health   200 "ok" while the database answers, 503 when it does not

The database is an SQLite file, /tmp/bricks/bricks.db (a folder any user may write
to, so the app runs as root or not), created with sample data when the app starts.
Each request opens it afresh, so when the file goes away, as a database server can
go away, the app notices at once. The app exits cleanly on SIGTERM, which
`docker stop` sends.
"""

import http.server
import os
import pathlib
import signal
import sqlite3
import sys

PORT = int(os.environ.get("PORT", "8000"))
DATABASE = pathlib.Path("/tmp/bricks/bricks.db")
SAMPLE = [("red", 120), ("blue", 64), ("yellow", 32), ("green", 16)]


def create_database() -> None:
    DATABASE.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(DATABASE) as db:
        db.execute("CREATE TABLE IF NOT EXISTS bricks (colour TEXT, count INTEGER)")
        if db.execute("SELECT COUNT(*) FROM bricks").fetchone()[0] == 0:
            db.executemany("INSERT INTO bricks VALUES (?, ?)", SAMPLE)


def query(sql: str) -> list[tuple[object, ...]]:
    """Run `sql` on the database, read-only; raise sqlite3.Error when it is gone."""
    # mode=ro: a missing file is an error, never a new empty database.
    with sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


class BrickCounter(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            self.answer(200, "Brick counter. GET /bricks for the count.\n")
        elif self.path == "/bricks":
            try:
                rows = query("SELECT colour, count FROM bricks ORDER BY colour")
            except sqlite3.Error as error:
                self.answer(500, f"database unavailable: {error}\n")
                return
            self.answer(200, "".join(f"{colour}: {count}\n" for colour, count in rows))
        elif self.path == "/health":
            try:
                query("SELECT 1 FROM bricks LIMIT 1")
            except sqlite3.Error as error:
                self.answer(503, f"unhealthy: database unavailable ({error})\n")
                return
            self.answer(200, "ok\n")
        else:
            self.answer(404, "not found\n")

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
    create_database()
    server = http.server.HTTPServer(("0.0.0.0", PORT), BrickCounter)
    print(f"brick counter on port {PORT}, database {DATABASE}", flush=True)
    server.serve_forever()

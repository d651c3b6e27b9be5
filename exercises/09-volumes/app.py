"""Brick notes, the app of exercise 09: notes kept in a data folder, settings in a file.

GET /                 the title from the settings file and the number of notes
GET /notes            every note, one a line
POST /notes?add=TEXT  adds a note

Where things live, from the command line or else the environment:
  --data-dir DIR  or DATA_DIR     where notes.txt is written (default: ./data)
  --config FILE   or CONFIG_FILE  the JSON settings file, read once at start
                                  (default: ./config.json); the app never writes it

It exits cleanly on SIGTERM, which `docker stop` sends.
"""

import argparse
import http.server
import json
import os
import pathlib
import signal
import sys
import urllib.parse


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Brick notes")
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", "data"))
    parser.add_argument(
        "--config", default=os.environ.get("CONFIG_FILE", "config.json")
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    return parser.parse_args()


class Notes(http.server.BaseHTTPRequestHandler):
    title = "Brick notes"
    notes = pathlib.Path("data/notes.txt")

    def do_GET(self) -> None:
        path = urllib.parse.urlparse(self.path).path
        if path == "/":
            count = len(self.read_notes().splitlines())
            self.answer(200, f"{self.title}\n{count} notes\n")
        elif path == "/notes":
            self.answer(200, self.read_notes())
        else:
            self.answer(404, "not found\n")

    def do_POST(self) -> None:
        url = urllib.parse.urlparse(self.path)
        text = urllib.parse.parse_qs(url.query).get("add", [""])[0].strip()
        if url.path != "/notes" or not text:
            self.answer(400, "use POST /notes?add=TEXT\n")
            return
        with self.notes.open("a", encoding="utf-8") as handle:
            handle.write(text.replace("\n", " ") + "\n")
        self.answer(200, f"added: {text}\n")

    def read_notes(self) -> str:
        return self.notes.read_text(encoding="utf-8") if self.notes.exists() else ""

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
    arguments = parse_arguments()
    config = pathlib.Path(arguments.config).resolve()
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        sys.exit(f"cannot read the settings file {config}: {error}")
    data = pathlib.Path(arguments.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    Notes.title = str(settings.get("title", Notes.title))
    Notes.notes = data / "notes.txt"
    signal.signal(signal.SIGTERM, stop)
    server = http.server.HTTPServer(("0.0.0.0", arguments.port), Notes)
    print(f"brick notes on port {arguments.port}: settings {config}, data {data}")
    sys.stdout.flush()
    server.serve_forever()

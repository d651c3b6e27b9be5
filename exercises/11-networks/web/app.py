"""The web service of exercise 11: the shop front, which shows the api's brick stock.

GET /        the stock as the api reports it (502 when the api cannot be reached)
GET /health  200 "ok" while the app runs (the api is not asked)

The api's address comes from API_URL (default http://api:5000). The front never
talks to the database itself. Python's standard library only; SIGTERM ends the app
at once.
"""

import http.server
import json
import os
import signal
import sys
import urllib.error
import urllib.request

API_URL = os.environ.get("API_URL", "http://api:5000").rstrip("/")


def fetch_stock() -> tuple[int, str]:
    """Ask the api for the stock; return the status to answer with and the page."""
    try:
        with urllib.request.urlopen(f"{API_URL}/bricks", timeout=3) as reply:
            data = json.load(reply)
    except urllib.error.HTTPError as error:
        return 502, f"The api answered {error.code}: {error.read().decode()}\n"
    except (OSError, ValueError) as error:
        return 502, f"The api at {API_URL} cannot be reached: {error}\n"
    lines = [f"{name}: {count}" for name, count in data["stock"].items()]
    return 200, "Brick shop stock\n" + "\n".join(lines) + "\n"


class ShopFront(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.answer(200, "ok\n")
        elif self.path == "/":
            self.answer(*fetch_stock())
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
        print(f"web: {self.address_string()} {format % args}", flush=True)


def stop(signum: int, frame: object) -> None:
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    print(f"web: port 8000, api {API_URL}", flush=True)
    http.server.ThreadingHTTPServer(("0.0.0.0", 8000), ShopFront).serve_forever()

"""An HTTP proxy for apt that records what it fetches, or replays only that.

Runs inside brickyard's package cache image (see grader/engine/packages.py), with
Python's standard library only.

    python3 package-proxy.py record COMMAND...  # run COMMAND through the proxy,
                                                # keeping what it fetches
    python3 package-proxy.py replay             # answer from what was kept; 404
                                                # for anything else

apt sends a proxy the full address of what it wants (`GET http://mirror/...`), so a
request is kept under the digest of that address. Only answers with status 200 are
kept: a recording holds the mirror's signed index files and the .deb files that apt
asked for, exactly as the mirror served them.
"""

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

PORT = 3142
STORE = "/var/cache/brickyard-packages"
#: Shown by apt beside the 404, so a student sees why the download failed.
MISSING = "Not in brickyard's offline package cache"


def stored(address: str) -> str:
    """Return the path a response to `address` is kept under (without suffix)."""
    return os.path.join(STORE, hashlib.sha256(address.encode()).hexdigest())


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # apt keeps one connection for many requests
    mode = "replay"

    def do_GET(self) -> None:
        address = self.path
        path = stored(address)
        if self.mode == "record" and not os.path.exists(path + ".json"):
            if not address.startswith("http://"):
                self.answer(501, "text/plain", b"only http:// addresses\n")
                return
            try:
                with urllib.request.urlopen(address, timeout=120) as response:
                    body = response.read()
                    kind = response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as error:
                self.answer(error.code, "text/plain", error.read())
                return
            with open(path, "wb") as out:
                out.write(body)
            with open(path + ".json", "w") as out:
                json.dump({"address": address, "type": kind, "bytes": len(body)}, out)
        if os.path.exists(path + ".json"):
            with open(path + ".json") as meta, open(path, "rb") as body:
                kind = json.load(meta)["type"] or "application/octet-stream"
                self.answer(200, kind, body.read())
            return
        wanted = os.environ.get("BRICKYARD_PACKAGES", "")
        note = f"{MISSING}: {address}\nIt holds the packages {wanted} only.\n"
        self.answer(404, "text/plain", note.encode(), reason=MISSING)

    def answer(
        self, status: int, kind: str, body: bytes, reason: str | None = None
    ) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(arguments: list[str]) -> int:
    Proxy.mode = arguments[0] if arguments else "replay"
    os.makedirs(STORE, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("", PORT), Proxy)
    if Proxy.mode != "record":
        print(
            f"replaying {len(os.listdir(STORE)) // 2} recorded answers on port {PORT}"
        )
        sys.stdout.flush()
        server.serve_forever()
        return 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{PORT}"
    environment = {**os.environ, "http_proxy": address, "HTTP_PROXY": address}
    return subprocess.run(arguments[1:], env=environment, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A stand-in database for the compose scenarios: a TCP server, standard library only.

It waits READY_AFTER seconds (default 0), then accepts connections on HOST (default
0.0.0.0) and PORT (default 5432), answering each with "db ok" and closing it.
"""

import os
import signal
import socket
import sys
import time

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    time.sleep(float(os.environ.get("READY_AFTER", "0")))
    address = (os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "5432")))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(address)
    server.listen()
    print(f"db: listening on {address[0]}:{address[1]}", flush=True)
    while True:
        connection, _ = server.accept()
        connection.sendall(b"db ok\n")
        connection.close()

"""Exit 0 when the brick counter's /health answers 200, 1 otherwise."""

import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen("http://localhost:8000/health", timeout=2) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except (urllib.error.URLError, OSError):
    sys.exit(1)

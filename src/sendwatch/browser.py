"""The dashboard in a background process, and the headless Chromium that opens it.

Shared by the browser tests and ``benchmarks/dashboard.py``: both serve a published
home with ``sendwatch serve`` exactly as a user would, and open it in Debian's
Chromium (``/usr/bin/chromium``, which ``scripts/test`` installs).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Headless on a closed network: without the background-networking flags Chromium
# keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def served(home: Path, wait_seconds: float = 60) -> Iterator[str]:
    """`sendwatch serve` over ``home`` on a free local port; yields its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "sendwatch.cli", "serve", "--port", str(port)],
        env={**os.environ, "SENDWATCH_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)

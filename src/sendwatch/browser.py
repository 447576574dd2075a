"""The dashboard in a background process, and the headless Chromium that opens it.

Shared by the browser tests and ``benchmarks/dashboard.py``: both serve a published
home with ``sendwatch serve`` exactly as a user would, open it in Debian's Chromium
(``/usr/bin/chromium``, which ``scripts/test`` installs) and sign in on its sign-in page
as an account of that home (``sendwatch users add``).
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
from typing import Any

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
    """`sendwatch serve` over ``home`` on a free local port; yields its address.

    Plain http: the session cookie is not marked Secure (SENDWATCH_COOKIE_SECURE=false,
    as ``serve`` sets it too), or the browser would never send it back.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "sendwatch.cli", "serve", "--port", str(port)],
        env={**os.environ, "SENDWATCH_HOME": str(home), "SENDWATCH_COOKIE_SECURE": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def sign_in(page: Any, url: str, username: str, password: str) -> None:
    """Sign in on the dashboard's sign-in page as a person would (type, press Enter), in a
    Playwright ``page``; returns once the browser has left the sign-in page."""
    page.goto(f"{url}/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(lambda address: "/sign-in" not in address)

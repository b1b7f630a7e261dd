"""Loopback helpers shared by the page benchmarks (pages, worker_pages,
console_pages): a free port for the server they start, and a wait until it
answers."""

from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 300) -> None:
    """Until `url` answers. The first start in a fresh directory collects and
    compresses the static files (~70 s on the 2-core machine)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - loopback
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")

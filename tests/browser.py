"""Headless Chromium for the HTML report's tests and the README screenshots (a test-only
helper: not part of the installed package).

Debian's ``chromium`` package (``/usr/bin/chromium``), driven by Playwright (a dev
dependency). The flags keep it off the network: this is a closed machine and the report must
not need it (a request that leaves ``file:``/``data:`` is a test failure, not a delay).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    """The browser to use: $STREAMCHECK_CHROMIUM, else chromium on the PATH."""
    return os.environ.get("STREAMCHECK_CHROMIUM") or shutil.which("chromium")


@contextmanager
def browser() -> Iterator[object]:
    """A Playwright Browser on Debian's Chromium, closed on exit."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium not found (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=list(FLAGS))
        try:
            yield b
        finally:
            b.close()

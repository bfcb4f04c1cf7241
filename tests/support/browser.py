"""A real browser for the pages a person sees: Debian's Chromium driven by Playwright.

Playwright comes from PyPI; its own browser download is never used (it needs the network and
is not Debian's build). `make test` installs Debian's `chromium` when it is missing
(Makefile target `browser`). Screenshots land in test-output/screenshots/, named after the
test, so a person can look at what the test saw.

Pages are served by a real uvicorn on a free loopback port (`serve`), because a browser
needs a socket, not an in-process test client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM_ENV = "REBOOK_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
TEST_OUTPUT = Path(os.environ.get("REBOOK_TEST_OUTPUT", "test-output"))
SCREENSHOTS = TEST_OUTPUT / "screenshots"

# As root in a container Chromium needs --no-sandbox; the rest keep it from reaching for
# Google's services, which this machine's closed network refuses.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A phone-sized viewport: the self-service pages must work where the links are opened.
PHONE_VIEWPORT = {"width": 390, "height": 844}


def chromium_path() -> str:
    path = os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM)
    if not Path(path).exists():
        raise RuntimeError(f"{path} not found: run `make browser` (installs Debian's chromium)")
    return path


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG under test-output/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png")
    await page.screenshot(path=str(path), full_page=True)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any, *, startup_timeout_s: float = 20.0) -> Iterator[str]:
    """Run an ASGI app on a free loopback port in a background thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    # The server gets its own event loop in its thread, so async tests keep theirs.
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

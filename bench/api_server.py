"""Serves the real API for the bench, in a thread of this process or as a subprocess.

    python -m bench.api_server '<Settings as JSON>' [API threads, 0 = anyio's default]

A subprocess gets its own interpreter and GIL, as the API has in production; on a 2-core
machine sharing one GIL with the worker's workflow sandbox would tax both. The thread mode
exists for comparison (--api-mode thread) and for environments that cannot fork.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio.to_thread
import uvicorn

from rebook.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _uvicorn_config(settings: Settings) -> uvicorn.Config:
    # Imported here: api/ is optional until the API engineer lands create_app, and the
    # baseline phase alone must not depend on it.
    from api.app import create_app

    # Access logs would cost the API more than some of the requests it serves.
    return uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
    )


class ApiServer:
    """Start with start(), stop with stop(); base_url is ready once start() returns."""

    def __init__(self, settings: Settings, mode: str, threads: int = 0) -> None:
        self._settings = settings
        self._mode = mode
        self._threads = threads
        self._proc: subprocess.Popen[bytes] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self._settings.api_host}:{self._settings.api_port}"

    def start(self) -> None:
        if self._mode == "thread":
            server = uvicorn.Server(_uvicorn_config(self._settings))
            self._server = server
            # uvicorn installs signal handlers only on the main thread, so Ctrl-C stays ours.
            self._thread = threading.Thread(
                target=lambda: asyncio.run(_serve(server, self._threads)),
                name="bench-api",
                daemon=True,
            )
            self._thread.start()
        else:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.api_server",
                    self._settings.model_dump_json(),
                    str(self._threads),
                ],
                cwd=ROOT,  # bench/ is not an installed package; api/ and rebook/ are
                stdin=subprocess.DEVNULL,
            )
        self._wait_until_listening()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(STOP_GRACE_S)
        if self._proc is not None:
            proc = self._proc
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
                try:
                    proc.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        address = (self._settings.api_host, self._settings.api_port)
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"API subprocess exited with {self._proc.returncode}")
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("API thread exited during startup")
            # uvicorn binds only after the app's lifespan startup finished.
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=1):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"API not listening on {address} after {STARTUP_TIMEOUT_S:.0f} s")


async def _serve(server: uvicorn.Server, threads: int) -> None:
    if threads:
        # Sync route work (SQLAlchemy) runs on anyio's default pool of 40 threads. A request
        # holding SQLite's write lock across two pool hops can wait for a thread that every
        # other request occupies while queueing for that same lock: --api-threads above the
        # bench's concurrency removes that stall (see the report's findings).
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    await server.serve()


def main(argv: list[str]) -> int:
    overrides: dict[str, Any] = json.loads(argv[1])
    settings = Settings(**overrides)
    # uvicorn shuts down gracefully on our SIGINT, then re-raises it; that is the
    # expected way out, not an error worth a traceback.
    threads = int(argv[2]) if len(argv) > 2 else 0
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(uvicorn.Server(_uvicorn_config(settings)), threads))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

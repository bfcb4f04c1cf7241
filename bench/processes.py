"""The processes a bench run starts: each is started, awaited until ready and stopped
here, so a failed run never leaves one behind.

Children run from the repository root (worker.py, api/ and bench/ are imported from there,
as the image runs them from /app; a `reference` phase runs them from another checkout)
and get the bench's environment, minus PYTHONDONTWRITEBYTECODE unless the run asks to
price the missing bytecode (see child_environment).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "ready"
STARTUP_TIMEOUT_S = 90.0
STOP_GRACE_S = 15.0
# Where the shipped code lives: the directories whose bytecode --no-bytecode removes.
SOURCE_DIRS = ("rebook", "workflows", "activities", "api", "bench")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_environment(bytecode: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every Python child.

    bytecode=True is how Rebook ships (the image compiles it, the dev stack writes it).
    bytecode=False reproduces what it shipped before: PYTHONDONTWRITEBYTECODE=1 and no
    .pyc of our own modules, so every import, including the workflow sandbox's re-import
    of workflows/appointment.py for each new workflow, compiles the source again."""
    env = {**os.environ, **(extra or {})}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def prepare_bytecode(root: Path, bytecode: bool) -> None:
    """Compile the tree's sources, as the image's `python -m compileall` does, or remove
    their bytecode (with PYTHONDONTWRITEBYTECODE in the children, none is written)."""
    if bytecode:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *SOURCE_DIRS, "worker.py"],
            cwd=root,
            check=True,
        )
        return
    for directory in SOURCE_DIRS:
        for cache in (root / directory).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(root / "__pycache__", ignore_errors=True)


class Child:
    """One started process with a role (server, worker, api) for the CPU accounting."""

    def __init__(
        self,
        role: str,
        argv: list[str],
        env: dict[str, str],
        *,
        ready_line: bool = False,
        root: Path = ROOT,
    ) -> None:
        self.role = role
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if ready_line else subprocess.DEVNULL,
            text=True,
            # Its own process group: a Ctrl-C of the bench reaches the bench, which stops
            # the children in order.
            start_new_session=True,
        )
        if ready_line:
            self._await_ready_line()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _await_ready_line(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the child prints it, or dies (EOF)
        if line.strip() != READY_LINE:
            self.stop()
            raise RuntimeError(f"{self.role} exited during startup ({self.proc.returncode})")

    def await_port(self, host: str, port: int) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.role} exited during startup ({self.proc.returncode})")
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.role} not listening on {host}:{port}")

    def stop(self) -> None:
        """SIGINT (every child shuts down gracefully on it), then SIGKILL after a grace."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

"""Running `python -m devstack` (what `make run` runs) as a real process from tests, on
free ports with its own data directory and SQLite file, reading its prefixed output."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from devstack.children import process_start_ticks
from devstack.stack import spawn

WAIT_S = 90.0
PROVIDER_ENV = ("SENDGRID_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by whoever inherited it is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return process_start_ticks(pid) is not None


@dataclass
class StackPorts:
    api: int = field(default_factory=free_port)
    temporal: int = field(default_factory=free_port)
    ui: int = field(default_factory=free_port)


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    api: str
    ui: str
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines[-80:])

    def child_pids(self) -> dict[str, int]:
        """The latest pid of each child (a restarted child has a new one)."""
        started = (re.search(r"started (\w+) \(pid (\d+)\)", line) for line in self.lines)
        return {m.group(1): int(m.group(2)) for m in started if m}

    def all_child_pids(self) -> list[int]:
        started = (re.search(r"started \w+ \(pid (\d+)\)", line) for line in self.lines)
        return [int(m.group(1)) for m in started if m]

    def logged(self, text: str) -> Callable[[], bool]:
        return lambda: any(text in line for line in self.lines)

    def wait_until(self, what: str, check: Callable[[], bool], *, running: bool = True) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if running and self.proc.poll() is not None:
                code = self.proc.returncode
                pytest.fail(f"devstack exited ({code}) before {what}:\n{self.output()}")
            if check():
                return
            time.sleep(0.2)
        pytest.fail(f"timed out after {WAIT_S:.0f} s waiting for {what}:\n{self.output()}")

    def wait_ready(self) -> None:
        self.wait_until("API /healthz", answers(f"{self.api}/healthz", lambda r: r.is_success))

    def exit_code(self) -> int:
        try:
            return self.proc.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"devstack did not stop within {WAIT_S:.0f} s:\n{self.output()}")


def answers(url: str, ok: Callable[[httpx.Response], bool]) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return ok(httpx.get(url, timeout=3))
        except httpx.HTTPError:
            return False

    return check


def stack_env(data_dir: Path, database: Path, ports: StackPorts, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in PROVIDER_ENV}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        REBOOK_DATA_DIR=str(data_dir),
        REBOOK_TEMPORAL_PORT=str(ports.temporal),
        REBOOK_UI_PORT=str(ports.ui),
        API_HOST="127.0.0.1",
        API_PORT=str(ports.api),
        **extra,
    )
    return env


@contextlib.contextmanager
def running_stack(env: dict[str, str]) -> Iterator[Stack]:
    """The stack started as `make run` starts it, in its own session so the test signals
    it alone. Afterwards (a failed test) every process it started is killed."""
    proc = spawn([sys.executable, "-m", "devstack"], env)
    stack = Stack(
        proc, f"http://127.0.0.1:{env['API_PORT']}", f"http://127.0.0.1:{env['REBOOK_UI_PORT']}"
    )

    def drain() -> None:  # keeps the pipe from filling up and blocking the stack
        assert proc.stdout is not None
        for line in proc.stdout:
            stack.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield stack
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in stack.all_child_pids():
            if alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        reader.join(timeout=5)


def booking(external_id: str) -> dict[str, object]:
    return {
        "external_id": external_id,
        "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "duration_minutes": 30,
        "kind": "demo",
        "topic": "Rebook walkthrough",
        "reschedule_url": "https://book.example.com/r/abc",
        "booked_via": "web",
        "contact": {
            "id": "contact-devstack",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "+14155550123",
            "preferred_channel": "email",
            "timezone": "Europe/London",
        },
        "host": {"id": "host-1", "name": "Grace Hopper", "email": "grace@example.com"},
    }

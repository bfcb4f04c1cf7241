"""End-to-end test of `python -m devstack`, the thing `make run` runs.

Starts the real stack (Temporal dev server, worker, API) on free ports with its own data
directory and SQLite file, books an appointment through the API, then sends SIGINT and
checks that every child process is gone. Every wait is bounded so a broken stack fails
the test instead of hanging CI.
"""

from __future__ import annotations

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

from devstack.stack import child_environment, spawn

WAIT_S = 90.0
PROVIDER_ENV = ("SENDGRID_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    api: str
    ui: str
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines[-80:])

    def child_pids(self) -> dict[str, int]:
        started = (re.search(r"started (\w+) \(pid (\d+)\)", line) for line in self.lines)
        return {m.group(1): int(m.group(2)) for m in started if m}

    def wait_until(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                pytest.fail(f"devstack exited ({code}) before {what}:\n{self.output()}")
            if check():
                return
            time.sleep(0.5)
        pytest.fail(f"timed out after {WAIT_S:.0f} s waiting for {what}:\n{self.output()}")


def answers(url: str, ok: Callable[[httpx.Response], bool]) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return ok(httpx.get(url, timeout=3))
        except httpx.HTTPError:
            return False

    return check


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key not in PROVIDER_ENV}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'rebook.db'}",
        REBOOK_DATA_DIR=str(tmp_path / "data"),
        REBOOK_TEMPORAL_PORT=str(temporal_port),
        REBOOK_UI_PORT=str(ui_port),
        API_HOST="127.0.0.1",
        API_PORT=str(api_port),
    )
    # Started as `make run` starts it, in its own session so the test signals it alone.
    proc = spawn([sys.executable, "-m", "devstack"], env)
    stack = Stack(proc, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}")

    def drain() -> None:  # keeps the pipe from filling up and blocking the stack
        assert proc.stdout is not None
        for line in proc.stdout:
            stack.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield stack
    finally:
        # Only reached with live processes when the test failed: kill exactly ours.
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in stack.child_pids().values():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
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


def test_devstack_serves_api_and_ui_and_stops_cleanly_on_sigint(stack: Stack) -> None:
    stack.wait_until("API /healthz", answers(f"{stack.api}/healthz", lambda r: r.is_success))
    stack.wait_until("Temporal UI", answers(stack.ui, lambda r: r.status_code < 500))
    assert set(stack.child_pids()) == {"temporal", "worker", "api"}, stack.output()

    created = httpx.post(f"{stack.api}/v1/appointments", json=booking("ext-devstack"), timeout=30)
    assert created.status_code in (200, 201), f"{created.text}\n{stack.output()}"
    appointment_id = created.json()["id"]

    fetched = httpx.get(f"{stack.api}/v1/appointments/{appointment_id}", timeout=30)
    assert fetched.status_code == 200, f"{fetched.text}\n{stack.output()}"
    assert fetched.json()["external_id"] == "ext-devstack"

    children = stack.child_pids()
    stack.proc.send_signal(signal.SIGINT)
    try:
        returncode = stack.proc.wait(WAIT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"devstack did not stop within {WAIT_S:.0f} s:\n{stack.output()}")
    assert returncode == 0, stack.output()
    assert [name for name, pid in children.items() if alive(pid)] == [], stack.output()


def test_children_may_write_bytecode_and_point_at_our_server() -> None:
    parent = {"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/home/dev"}

    env = child_environment(parent, "127.0.0.1:7999", "sqlite:///x.db")

    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["HOME"] == "/home/dev"
    assert (env["TEMPORAL_ADDRESS"], env["DATABASE_URL"]) == ("127.0.0.1:7999", "sqlite:///x.db")
    assert parent["PYTHONDONTWRITEBYTECODE"] == "1"  # the supervisor's own is left alone

"""End-to-end test of `python -m devstack`, the thing `make run` runs.

Starts the real stack (Temporal dev server, worker, API) on free ports with its own data
directory and SQLite file, books an appointment through the API, then sends SIGINT and
checks that every child process is gone. Every wait is bounded so a broken stack fails
the test instead of hanging CI.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.stack import child_environment
from tests.support.devstack import (
    Stack,
    StackPorts,
    alive,
    answers,
    booking,
    running_stack,
    stack_env,
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    env = stack_env(tmp_path / "data", tmp_path / "rebook.db", StackPorts())
    with running_stack(env) as stack:
        yield stack


def test_devstack_serves_api_and_ui_and_stops_cleanly_on_sigint(stack: Stack) -> None:
    stack.wait_ready()
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
    assert stack.exit_code() == 0, stack.output()
    assert [name for name, pid in children.items() if alive(pid)] == [], stack.output()


def test_children_may_write_bytecode_and_point_at_our_server() -> None:
    parent = {"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/home/dev"}

    env = child_environment(parent, "127.0.0.1:7999", "sqlite:///x.db")

    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["HOME"] == "/home/dev"
    assert (env["TEMPORAL_ADDRESS"], env["DATABASE_URL"]) == ("127.0.0.1:7999", "sqlite:///x.db")
    assert parent["PYTHONDONTWRITEBYTECODE"] == "1"  # the supervisor's own is left alone

"""The dev stack supervises its children with real processes: a hang-up or SIGTERM stops
every child; a dead worker or API comes back (with backoff); Temporal dying stops the
stack with a clear message; and a stack killed without cleaning up is cleaned up (or
named) by the next one. Waits are bounded; nothing is timed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from devstack.children import process_start_ticks
from devstack.pidfile import PID_FILE_NAME
from tests.support.devstack import (
    StackPorts,
    alive,
    answers,
    booking,
    running_stack,
    stack_env,
)

FAST_RESTART = {"REBOOK_RESTART_BACKOFF_S": "0.2"}


def test_a_dead_worker_or_api_is_restarted_and_a_hang_up_stops_everything(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = stack_env(data_dir, tmp_path / "rebook.db", StackPorts(), **FAST_RESTART)
    with running_stack(env) as stack:
        stack.wait_ready()
        first = stack.child_pids()
        assert (data_dir / PID_FILE_NAME).exists()

        os.kill(first["worker"], signal.SIGKILL)
        stack.wait_until(
            "worker restarted", lambda: stack.child_pids()["worker"] != first["worker"]
        )
        os.kill(first["api"], signal.SIGKILL)
        stack.wait_until("api restarted", lambda: stack.child_pids()["api"] != first["api"])
        stack.wait_ready()  # the new API answers, and the new worker polls
        created = httpx.post(f"{stack.api}/v1/appointments", json=booking("ext-sup"), timeout=30)

        assert created.status_code == 201, f"{created.text}\n{stack.output()}"
        assert stack.logged("worker exited with -9; restarting it in")(), stack.output()
        assert stack.logged("api exited with -9; restarting it in")(), stack.output()
        recorded = json.loads((data_dir / PID_FILE_NAME).read_text())
        assert {c["name"]: c["pid"] for c in recorded["children"]} == stack.child_pids()

        everyone = stack.all_child_pids()
        stack.proc.send_signal(signal.SIGHUP)  # the terminal went away

        assert stack.exit_code() == 0, stack.output()
        assert [pid for pid in everyone if alive(pid)] == [], stack.output()
        assert not (data_dir / PID_FILE_NAME).exists()
        assert not answers(f"{stack.api}/healthz", lambda r: True)()  # the port is free


def test_temporal_dying_stops_the_stack_with_a_clear_message(tmp_path: Path) -> None:
    env = stack_env(tmp_path / "data", tmp_path / "rebook.db", StackPorts())
    with running_stack(env) as stack:
        stack.wait_ready()
        children = stack.child_pids()

        os.kill(children["temporal"], signal.SIGKILL)

        assert stack.exit_code() == 1, stack.output()
        assert stack.logged("temporal exited with -9: stopping the stack")(), stack.output()
        assert [name for name, pid in children.items() if alive(pid)] == [], stack.output()


def test_a_stack_killed_without_cleanup_is_cleaned_up_by_the_next_one(tmp_path: Path) -> None:
    data_dir, database, ports = tmp_path / "data", tmp_path / "rebook.db", StackPorts()
    env = stack_env(data_dir, database, ports)
    with running_stack(env) as crashed:
        crashed.wait_ready()
        orphans = crashed.child_pids()
        crashed.proc.kill()  # SIGKILL: no chance to stop its children
        crashed.proc.wait(30)
        assert any(alive(pid) for pid in orphans.values())

        with running_stack(env) as next_stack:
            # Same ports: its own Temporal and API start only once the orphans are gone.
            next_stack.wait_until("its own API", next_stack.logged("API          http://"))
            next_stack.wait_ready()

            assert [name for name, pid in orphans.items() if alive(pid)] == []
            assert next_stack.logged("left by an earlier stack")(), next_stack.output()
            next_stack.proc.send_signal(signal.SIGTERM)
            assert next_stack.exit_code() == 0, next_stack.output()


def _write_pid_file(data_dir: Path, supervisor: int, children: list[dict[str, object]]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "supervisor": supervisor,
        "supervisor_ticks": process_start_ticks(supervisor),
        "children": children,
    }
    (data_dir / PID_FILE_NAME).write_text(json.dumps(record))


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    return int(finished.stdout)


def test_a_leftover_that_is_not_verifiably_ours_is_named_not_killed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        # The pid file says "worker", but that pid runs something else: never signal it.
        _write_pid_file(
            data_dir,
            _dead_pid(),
            [{"name": "worker", "pid": stranger.pid, "argv": ["python", "worker.py"],
              "started_ticks": process_start_ticks(stranger.pid)}],
        )  # fmt: skip
        env = stack_env(data_dir, tmp_path / "rebook.db", StackPorts())
        with running_stack(env) as stack:
            assert stack.exit_code() == 1, stack.output()
            assert stack.logged(f"kill {stranger.pid}")(), stack.output()
        assert stranger.poll() is None  # still running: it was only named
        assert (data_dir / PID_FILE_NAME).exists()  # kept for the next try
    finally:
        stranger.kill()
        stranger.wait()


def test_a_stack_that_is_still_running_is_not_started_twice(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    supervisor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _write_pid_file(data_dir, supervisor.pid, [])
        env = stack_env(data_dir, tmp_path / "rebook.db", StackPorts())
        with running_stack(env) as stack:
            assert stack.exit_code() == 1, stack.output()
            assert stack.logged(f"already running (supervisor pid {supervisor.pid})")()
        assert (data_dir / PID_FILE_NAME).exists()  # still the running stack's
    finally:
        supervisor.kill()
        supervisor.wait()

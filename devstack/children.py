"""One child process of the dev stack: started in its own session (so its own process
group), its merged output streamed with a name prefix, stopped as a whole group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

# worker.py and api/ live at the repository root (the package is installed editable).
ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 10.0  # per signal (SIGINT, then SIGTERM) before the next, harsher one

_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    """Print one prefixed line. Never raises: after SIGHUP the terminal may be gone, and
    shutting the children down matters more than telling a closed terminal about it."""
    with _print_lock, contextlib.suppress(OSError, ValueError):
        print(f"{name:>8} | {line}", flush=True)


def spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start argv in the repository root, stdout and stderr merged into one text pipe.

    In its own session, hence its own process group: a terminal's Ctrl-C or hang-up
    reaches only the supervisor, which decides the stop order, and stopping the group
    also stops anything the child started.
    """
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )


def process_start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot, from /proc): with the pid, it
    names one process, so a recycled pid is never mistaken for ours. None off Linux, when
    the process is gone, or when it is a zombie (exited, waiting to be reaped: an orphan
    whose new parent does not reap it stays one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after it.
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] in ("Z", "X"):  # field 3 overall: state
        return None
    return int(fields[19])  # field 22 overall: starttime


class Child:
    """One running subprocess whose output is streamed with a name prefix."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.argv = argv
        self.proc = spawn(argv, env)
        self.started_ticks = process_start_ticks(self.proc.pid)
        say("devstack", f"started {name} (pid {self.proc.pid})")
        self._pump = threading.Thread(target=self._stream, daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _stream(self) -> None:
        # Keeps draining even when printing fails, so the child never blocks on a full pipe.
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            say(self.name, line.rstrip("\n"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGINT, then SIGTERM, then SIGKILL to the child's whole process group, each
        after STOP_GRACE_S; returns once the child has exited."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            if not self.alive():
                break
            signal_group(self.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_GRACE_S)
        if self.alive():
            signal_group(self.pid, signal.SIGKILL)
        self.proc.wait()
        self._pump.join(timeout=2)
        say("devstack", f"{self.name} stopped (exit {self.proc.returncode})")


def signal_group(leader: int, sig: int) -> None:
    """Signal the process group led by leader (a child started in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, sig)


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]

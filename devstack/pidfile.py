"""The dev stack's pid file (REBOOK_DATA_DIR/devstack.pid): which supervisor runs and
which children it started. A stack that died without cleaning up (SIGKILL, a crash, a
closed laptop) leaves it behind; the next start reads it to find what is still running.

A leftover child counts as ours only when its pid, its start time and its command line
all match what was recorded, so a recycled pid is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.children import Child, process_start_ticks

PID_FILE_NAME = "devstack.pid"


@dataclass(frozen=True)
class Recorded:
    name: str
    pid: int
    argv: list[str]
    started_ticks: int | None


@dataclass(frozen=True)
class StackRecord:
    supervisor: int
    supervisor_ticks: int | None
    children: list[Recorded] = field(default_factory=list)


class PidFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / PID_FILE_NAME

    def write(self, children: list[Child]) -> None:
        """Record this supervisor and its live children (atomically: write, then rename)."""
        record = StackRecord(
            supervisor=os.getpid(),
            supervisor_ticks=process_start_ticks(os.getpid()),
            children=[
                Recorded(child.name, child.pid, child.argv, child.started_ticks)
                for child in children
                if child.alive()
            ],
        )
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(record), indent=2))
        temporary.replace(self.path)

    def read(self) -> StackRecord | None:
        try:
            raw = json.loads(self.path.read_text())
            return StackRecord(
                supervisor=int(raw["supervisor"]),
                supervisor_ticks=raw.get("supervisor_ticks"),
                children=[Recorded(**child) for child in raw.get("children", [])],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def running(pid: int, ticks: int | None) -> bool:
    """Whether the process recorded as (pid, ticks) still runs: the same pid started at
    the same time (a zombie does not run). Without a start time (not Linux), a live pid is
    taken as running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return ticks is None  # someone else's process now holds the pid
    return ticks is None or process_start_ticks(pid) == ticks


def verifiably_ours(child: Recorded) -> bool:
    """The recorded child still runs and is the same process: start time and command
    line match (Linux /proc). Elsewhere nothing can be verified."""
    if child.started_ticks is None or process_start_ticks(child.pid) != child.started_ticks:
        return False
    try:
        cmdline = Path(f"/proc/{child.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return [part.decode(errors="replace") for part in cmdline if part] == child.argv

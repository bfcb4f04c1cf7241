"""CPU seconds and resident memory of the processes a bench run started, read from /proc
(Linux only; elsewhere every reading is 0 and nothing breaks).

Each process has a role: server (the Temporal dev server), worker, api, client (the load
driver, this process). Per-role CPU per unit of work is what caps throughput on a small
machine, so it is what the report divides by.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# role -> the pids currently playing it
Roles = Mapping[str, Sequence[int]]


def cpu_seconds(pid: int) -> float:
    """user + system CPU of a process (all its threads); 0.0 once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name is parenthesised and may contain spaces: split after it.
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        pages = Path(f"/proc/{pid}/statm").read_text().split()[1]
    except (OSError, IndexError):
        return 0
    return int(pages) * PAGE_BYTES


def snapshot(roles: Roles) -> dict[str, dict[int, float]]:
    return {role: {pid: cpu_seconds(pid) for pid in pids} for role, pids in roles.items()}


def used_between(
    before: Mapping[str, Mapping[int, float]], after: Mapping[str, Mapping[int, float]]
) -> dict[str, float]:
    """CPU seconds per role between two snapshots of the same roles."""
    return {
        role: round(sum(after[role][pid] - before[role].get(pid, 0.0) for pid in after[role]), 3)
        for role in after
    }


def total(roles: Roles) -> float:
    return sum(cpu_seconds(pid) for pids in roles.values() for pid in pids)

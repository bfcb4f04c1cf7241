"""CPU seconds used by this process and its children (the Temporal dev server, the API
subprocess), read from /proc, so the report can say whether a phase was CPU-bound and
which process spent it. Linux only; elsewhere the snapshot is empty and nothing breaks."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a live process, else None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is parenthesised and may contain spaces: split after it.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _label(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    text = " ".join(part.decode(errors="replace") for part in cmdline if part)
    if "bench.api_server" in text:
        return "api"
    if "temporal" in text.split(" ")[0]:
        return "temporal"
    return Path(text.split(" ")[0]).name or str(pid)


def snapshot() -> dict[str, float]:
    me = os.getpid()
    own = _stat(me)
    if own is None:
        return {}
    out = {"bench+worker": own[1]}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is not None and stat[0] == me:
            label = _label(int(entry.name))
            out[label] = out.get(label, 0.0) + stat[1]
    return out


def used_since(before: dict[str, float]) -> dict[str, float]:
    after = snapshot()
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}

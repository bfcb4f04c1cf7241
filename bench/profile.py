"""--profile: where the worker's and the API's CPU goes during Rebook appointments.

py-spy (a pinned dev dependency) samples the worker and API processes during a closed
loop of `profile_n` appointments, non-blocking (the processes are never paused) and only
the thread holding the GIL (Python CPU; the SDK's Rust core threads are not Python). The
raw stacks are kept next to latest.json; the report summarises them: share of samples per
package and per function, inclusive (anywhere on the stack) and self (the leaf).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.driver import closed_loop
from bench.phases import measure, session, warm_up
from bench.stack import Stack
from devstack.stack import venv_binary

TOP = 20

# Where a sample's time goes: the first category (in this order) any of whose markers is on
# the sample's stack. Ordered from the most specific work to the most general.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sandbox: new workflow instance (imports)", ("_Instance._create_instance",)),
    ("SQL (SQLAlchemy, sqlite3, psycopg)", ("sqlalchemy/", "sqlite3/", "psycopg/")),
    ("payload conversion", ("temporalio/converter/",)),
    ("message rendering", ("rebook/core/messages/",)),
    ("pydantic validation and serialisation", ("pydantic/", "pydantic_core/")),
    ("Temporal client calls (API)", ("temporalio/client.py", "temporalio/service.py")),
    ("FastAPI and Starlette", ("fastapi/", "starlette/")),
    ("thread-pool hops (anyio)", ("anyio/",)),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools/", "h11/")),
    ("workflow code and SDK workflow runtime", ("_Instance.activate", "_workflow_instance.py")),
    ("activity dispatch (SDK)", ("temporalio/worker/_activity.py",)),
    ("SDK core bridge (poll, complete, decode)", ("temporalio/bridge/", "temporalio/worker/")),
    ("asyncio event loop", ("asyncio/",)),
)
# Frames every sample of a thread carries: left out of the inclusive function table.
ROOT_FRAMES = (
    "runpy",
    "asyncio/runners.py",
    "asyncio/base_events.py",
    "asyncio/events.py",
    "threading.py",
    "concurrent/futures/thread.py",
    "bench/",
    "<string> <module>",
)
# Our own top-level directories: their packages are named two levels deep (rebook/db).
OWN = ("rebook", "api", "activities", "workflows", "bench", "worker.py")


def py_spy() -> str:
    found = venv_binary("py-spy")
    if found is None:
        raise RuntimeError("py-spy not found: run `make install`")
    return found


def start_spy(pid: int, output: Path, rate_hz: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            py_spy(), "record",
            "--pid", str(pid),
            "--rate", str(rate_hz),
            "--format", "raw",
            "--output", str(output),
            "--nonblocking",
            "--gil",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_spy(spy: subprocess.Popen[bytes]) -> None:
    """py-spy writes its output on SIGINT."""
    if spy.poll() is None:
        spy.send_signal(signal.SIGINT)
    try:
        spy.wait(30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()


def package(frame: str) -> str:
    """`function (path/file.py:line)` -> the package the frame runs in."""
    location = frame[frame.rfind("(") + 1 : frame.rfind(":")] if "(" in frame else frame
    parts = location.split("/")
    if parts[0] in OWN:
        return "/".join(parts[:2]).removesuffix(".py")
    if len(parts) > 1:
        return parts[0]
    return location.removesuffix(".py") or "?"


def function(frame: str) -> str:
    """`function (path/file.py:line)` -> `path/file.py function` (lines merged)."""
    if "(" not in frame:
        return frame
    name = frame[: frame.rfind(" (")]
    location = frame[frame.rfind("(") + 1 : frame.rfind(":")]
    return f"{location} {name}"


def category(frames: list[str]) -> str:
    for name, markers in CATEGORIES:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    return "other"


def summarise(raw: Path) -> dict[str, Any]:
    inclusive_package: Counter[str] = Counter()
    self_package: Counter[str] = Counter()
    inclusive_function: Counter[str] = Counter()
    self_function: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        for name in {package(f) for f in frames}:
            inclusive_package[name] += count
        for name in {function(f) for f in frames}:
            if not any(root in name for root in ROOT_FRAMES):
                inclusive_function[name] += count
        categories[category(frames)] += count
        self_package[package(frames[-1])] += count
        self_function[function(frames[-1])] += count

    def share(counter: Counter[str]) -> dict[str, float]:
        return {name: round(100 * n / total, 1) for name, n in counter.most_common(TOP)}

    return {
        "samples": total,
        "where_pct": share(categories) if total else {},
        "inclusive_pct_by_package": share(inclusive_package) if total else {},
        "self_pct_by_package": share(self_package) if total else {},
        "inclusive_pct_by_function": share(inclusive_function) if total else {},
        "self_pct_by_function": share(self_function) if total else {},
    }


async def profile_rebook(stack: Stack) -> dict[str, Any]:
    config = stack.config
    out_dir = config.results_path.parent if config.results_path else stack.tmp
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"worker": out_dir / "profile-worker.txt", "api": out_dir / "profile-api.txt"}
    async with session(stack, "rebook", apis=stack.apis[:1]) as run:
        await warm_up(run, "rebook", "p")
        targets = {"worker": run.workers[0].pid, "api": run.apis[0].child.pid}
        spies = {
            role: start_spy(pid, outputs[role], config.profile_rate_hz)
            for role, pid in targets.items()
        }
        try:
            measured = await measure(
                run,
                lambda: closed_loop(
                    config.profile_n,
                    config.concurrency,
                    lambda i: run.units.rebook(i, f"p{i}"),
                    config.phase_timeout_s,
                ),
            )
        finally:
            await asyncio.gather(*(asyncio.to_thread(stop_spy, spy) for spy in spies.values()))
    profiles: dict[str, Any] = {}
    for role, path in outputs.items():
        with contextlib.suppress(OSError):
            profiles[role] = {"raw": str(path), **summarise(path)}
    return {"run": measured.summary(), **profiles}

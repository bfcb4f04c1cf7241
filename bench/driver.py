"""Load drivers: a closed loop (`concurrency` jobs in flight until `n` have run) and an
open loop (jobs start at given moments, whatever is still in flight).

Closed loop (a new job starts only when one finishes) measures the sustainable rate
without letting an unbounded backlog turn a throughput test into a queueing test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

ERRORS_KEPT = 5


@dataclass
class LoopResult(Generic[T]):
    results: list[T] = field(default_factory=list)
    error_count: int = 0
    errors: list[str] = field(default_factory=list)  # the first few, for the report
    # From the first job's start to the last job's end; a timed-out tail is not counted.
    elapsed_s: float = 0.0
    timed_out: bool = False

    @property
    def completed(self) -> int:
        return len(self.results)


async def closed_loop(
    n: int,
    concurrency: int,
    job: Callable[[int], Awaitable[T]],
    timeout_s: float,
) -> LoopResult[T]:
    out: LoopResult[T] = LoopResult()
    next_index = 0
    start = time.perf_counter()
    last_done = start

    async def lane() -> None:
        nonlocal next_index, last_done
        while next_index < n:
            index = next_index
            next_index += 1  # no await in between: the event loop makes this atomic
            await _record(out, index, job)
            last_done = time.perf_counter()

    lanes = [asyncio.create_task(lane()) for _ in range(min(concurrency, n))]
    out.timed_out = await _finish_within(lanes, timeout_s)
    out.elapsed_s = last_done - start
    return out


async def open_loop(
    offsets_s: Sequence[float],
    job: Callable[[int], Awaitable[T]],
    timeout_s: float,
) -> LoopResult[T]:
    """Open loop: job i starts offsets_s[i] after the loop does, whether or not earlier ones
    finished, as booking platforms send events. Below saturation this measures service
    latency; a closed loop at full throughput would measure its own queue (Little's law)."""
    out: LoopResult[T] = LoopResult()
    start = time.perf_counter()
    last_done = start

    async def one(index: int) -> None:
        nonlocal last_done
        await asyncio.sleep(max(0.0, start + offsets_s[index] - time.perf_counter()))
        await _record(out, index, job)
        last_done = time.perf_counter()

    tasks = [asyncio.create_task(one(i)) for i in range(len(offsets_s))]
    out.timed_out = await _finish_within(tasks, timeout_s)
    out.elapsed_s = last_done - start
    return out


async def _record(out: LoopResult[T], index: int, job: Callable[[int], Awaitable[T]]) -> None:
    """Run one job; a failure is counted (and the first few kept), never raised."""
    try:
        out.results.append(await job(index))
    except Exception as exc:
        out.error_count += 1
        if len(out.errors) < ERRORS_KEPT:
            out.errors.append(f"#{index}: {type(exc).__name__}: {exc}")


async def _finish_within(tasks: list[asyncio.Task[None]], timeout_s: float) -> bool:
    """Wait for the tasks; cancel what is left at the deadline. True if any was."""
    _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return bool(pending)

"""Running one measured phase: its worker processes, HTTP clients and units, a warm-up,
then the measured loop between two CPU snapshots taken when the stack is quiet."""

from __future__ import annotations

import contextlib
import os
import statistics
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import cpu
from bench.driver import LoopResult, closed_loop
from bench.processes import Child
from bench.stack import Api, Stack
from bench.stats import rate
from bench.units import Sample, Units


@dataclass
class Session:
    """What a phase runs with: its units, worker processes and the APIs it uses."""

    stack: Stack
    units: Units
    workers: list[Child]
    apis: list[Api]

    @property
    def roles(self) -> dict[str, list[int]]:
        return self.stack.roles(self.workers, self.apis)


@contextlib.asynccontextmanager
async def session(
    stack: Stack,
    kind: str,
    *,
    workers: int = 1,
    apis: list[Api] | None = None,
    connections: int | None = None,
    metrics_port: int | None = None,
    sql_counts_path: Path | None = None,
) -> AsyncIterator[Session]:
    """`workers` worker processes of `kind`; HTTP clients to `apis` (None: the stack's),
    `connections` each (None: the configured concurrency)."""
    used = stack.apis_for(kind) if apis is None else apis
    async with (
        stack.workers(
            kind, workers, metrics_port=metrics_port, sql_counts_path=sql_counts_path
        ) as procs,
        contextlib.AsyncExitStack() as exits,
    ):
        http = [
            await exits.enter_async_context(
                stack.http(api, connections or stack.config.concurrency)
            )
            for api in used
        ]
        units = Units(
            client=stack.client,
            board=stack.board,
            queues={kind: stack.queue(kind)},
            http=http,
            timeout_s=stack.config.handoff_timeout_s,
        )
        yield Session(stack, units, procs, used)


@dataclass
class Measured:
    """One measured loop: what completed, how long it took, the CPU each role spent."""

    loop: LoopResult[Sample]
    cpu_s: dict[str, float]
    # The machine's 1-minute load average when the loop ended: other people's work shows
    # here (a 2-core machine busy with this bench alone sits near 2).
    load: float = 0.0

    @property
    def completed(self) -> int:
        return self.loop.completed

    @property
    def per_s(self) -> float:
        return rate(self.loop.completed, self.loop.elapsed_s)

    def cpu_ms_per_unit(self) -> dict[str, float]:
        if not self.loop.completed:
            return {}
        return {
            role: round(seconds * 1000 / self.loop.completed, 1)
            for role, seconds in self.cpu_s.items()
        }

    def summary(self) -> dict[str, Any]:
        settles = [s.settle_calls for s in self.loop.results]
        return {
            "completed": self.loop.completed,
            "per_s": round(self.per_s, 2),
            "elapsed_s": round(self.loop.elapsed_s, 2),
            "errors": self.loop.error_count,
            "first_errors": self.loop.errors,
            "timed_out": self.loop.timed_out,
            "cpu_s": self.cpu_s,
            "cpu_ms_per_unit": self.cpu_ms_per_unit(),
            "cores_busy": round(sum(self.cpu_s.values()) / self.loop.elapsed_s, 2)
            if self.loop.elapsed_s
            else 0.0,
            "settle_calls_per_unit": round(statistics.fmean(settles), 2) if settles else 0.0,
            "load_average": round(self.load, 2),
        }


async def measure(run: Session, loop: Callable[[], Awaitable[LoopResult[Sample]]]) -> Measured:
    await run.stack.quiesce(run.workers)
    before = cpu.snapshot(run.roles)
    result = await loop()
    load = os.getloadavg()[0]
    await run.stack.quiesce(run.workers)
    return Measured(result, cpu.used_between(before, cpu.snapshot(run.roles)), load)


async def warm_up(run: Session, kind: str, prefix: str) -> None:
    """Unmeasured units, so sandbox imports, connections and caches are warm."""
    warmup = run.stack.config.warmup
    if warmup:
        await closed_loop(
            warmup,
            min(warmup, run.stack.config.concurrency),
            lambda i: run.units.unit(kind, i, f"{prefix}w{i}"),
            run.stack.config.phase_timeout_s,
        )


async def closed_phase(run: Session, kind: str, prefix: str, n: int) -> Measured:
    """Warm up, then n units at the configured concurrency."""
    config = run.stack.config
    await warm_up(run, kind, prefix)
    return await measure(
        run,
        lambda: closed_loop(
            n,
            config.concurrency,
            lambda i: run.units.unit(kind, i, f"{prefix}{i}"),
            config.phase_timeout_s,
        ),
    )

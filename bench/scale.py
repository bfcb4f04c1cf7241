"""--scale-out: Rebook with one worker and one API process, then with `scale_workers`
workers and `scale_apis` API processes (the driver spreads units over the APIs, as a load
balancer would), against the one server and a database they share, repeated in
alternating order. Meant for PostgreSQL (--postgres or --database-url): SQLite is one
file with one writer at a time, which is the single-node setup."""

from __future__ import annotations

from typing import Any

from bench.phases import Measured, closed_phase, session
from bench.stack import Stack
from bench.throughput import PhaseRuns, orders, phase_line, progress


async def measure_scale_out(stack: Stack) -> dict[str, Any]:
    config = stack.config
    shapes = {
        "1w1a": (1, 1),
        f"{config.scale_workers}w{config.scale_apis}a": (config.scale_workers, config.scale_apis),
    }
    results = {name: PhaseRuns(name) for name in shapes}
    for rep, order in enumerate(orders(list(shapes), config.repetitions), start=1):
        for name in order:
            workers, apis = shapes[name]
            async with session(stack, "rebook", workers=workers, apis=stack.apis[:apis]) as run:
                measured: Measured = await closed_phase(run, "rebook", f"x{rep}{name}", config.n)
            results[name].runs.append(measured)
            progress(phase_line(f"rep {rep} rebook {name}", measured))
    names = list(shapes)
    base, scaled = results[names[0]].median_per_s, results[names[1]].median_per_s
    return {
        "database": "postgresql" if stack.database_url.startswith("postgres") else "sqlite",
        "configurations": {name: runs.summary() for name, runs in results.items()},
        "speedup": round(scaled / base, 3) if base else None,
    }

"""Latency of `missed` -> first follow-up handed to the provider, under two loads:

- sustained: whole appointments (create, confirmation, missed, follow-up) arriving as a
  Poisson process at a fraction of the measured Rebook throughput, for a set duration.
  Random arrivals, as booking platforms send them, so the tail includes the queueing a
  real arrival process causes (uniform pacing would hide it).
- burst: `burst` appointments are booked (confirmations delivered, workflows settled),
  then all their `missed` events are sent at once. Reported: the time to drain (first
  event sent -> last follow-up handed over) against N / max throughput, and the latency
  distribution, whose maximum is the last miss served.
"""

from __future__ import annotations

import random
from typing import Any

from bench.driver import closed_loop, open_loop
from bench.phases import Measured, measure, session, warm_up
from bench.stack import Stack
from bench.stats import summary_ms
from bench.units import Sample

# Seeded: the same arrival pattern every run, so runs compare.
ARRIVALS_SEED = 12


def poisson_offsets(rate_per_s: float, duration_s: float, seed: int = ARRIVALS_SEED) -> list[float]:
    rng = random.Random(seed)
    offsets: list[float] = []
    moment = rng.expovariate(rate_per_s)
    while moment < duration_s:
        offsets.append(moment)
        moment += rng.expovariate(rate_per_s)
    return offsets


def latency_summary(samples: list[Sample]) -> dict[str, Any]:
    latencies = [s.latency_s for s in samples]
    if not latencies:
        return {}
    accepted = [s.event_accepted_at - s.event_sent_at for s in samples]
    return {
        "followup_ms": {**summary_ms(latencies), "max": round(max(latencies) * 1000, 1)},
        "event_202_ms": summary_ms(accepted),
    }


async def sustained(stack: Stack, fraction: float, max_per_s: float) -> dict[str, Any]:
    config = stack.config
    rate = max(0.5, fraction * max_per_s)
    offsets = poisson_offsets(rate, config.sustained_s)
    # Enough connections that a queue at the API is the API's, not the driver's pool.
    async with session(stack, "rebook", connections=max(config.concurrency, 200)) as run:
        await warm_up(run, "rebook", f"s{fraction}")
        measured: Measured = await measure(
            run,
            lambda: open_loop(
                offsets,
                lambda i: run.units.rebook(i, f"s{fraction}-{i}"),
                config.sustained_s + config.phase_timeout_s,
            ),
        )
    return {
        "fraction_of_max": fraction,
        "target_per_s": round(rate, 2),
        "arrivals": len(offsets),
        "duration_s": config.sustained_s,
        **latency_summary(measured.loop.results),
        **measured.summary(),
    }


async def burst(stack: Stack, max_per_s: float) -> dict[str, Any]:
    config = stack.config
    n = config.burst
    async with session(stack, "rebook", connections=n) as run:
        await warm_up(run, "rebook", "b")
        booked = await closed_loop(
            n,
            config.concurrency,
            lambda i: run.units.book(i, f"b{i}"),
            config.phase_timeout_s,
        )
        ids = [appointment_id for appointment_id, _ in booked.results]
        measured = await measure(
            run,
            lambda: open_loop(
                [0.0] * len(ids), lambda i: run.units.miss(i, ids[i]), config.phase_timeout_s
            ),
        )
    samples = measured.loop.results
    bound_s = n / max_per_s if max_per_s else 0.0
    # From the first event sent: the loop starts after the stack is quiet.
    started = min((s.event_sent_at for s in samples), default=0.0)
    drain_s = max(s.done_at for s in samples) - started if samples else 0.0
    sent_spread_s = max(s.event_sent_at for s in samples) - started if samples else 0.0
    return {
        "n": n,
        "booked": len(ids),
        "drain_s": round(drain_s, 2),
        "bound_s": round(bound_s, 2),
        "drain_per_bound": round(drain_s / bound_s, 3) if bound_s else None,
        "served_within_bound": sum(1 for s in samples if s.done_at - started <= bound_s),
        "events_sent_within_s": round(sent_spread_s, 2),
        **latency_summary(samples),
        **measured.summary(),
    }


async def measure_latency(stack: Stack, max_per_s: float) -> dict[str, Any]:
    modes: dict[str, Any] = {
        "sustained": [
            await sustained(stack, fraction, max_per_s)
            for fraction in stack.config.sustained_fractions
        ]
    }
    if stack.config.burst:
        modes["burst"] = await burst(stack, max_per_s)
    return modes

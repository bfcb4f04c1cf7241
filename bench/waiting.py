"""--waiting: many appointments waiting on timers, then a batch of timers due together.

1. `waiting` appointments are booked through the API, days ahead (reminders spread over
   the next week, none due during the run); each waits for its confirmation. Worker,
   server and API RSS before and after, and the worker's sticky cache (the SDK's own
   metrics, scraped from its Prometheus endpoint) show what a pending appointment costs.
2. `waiting_batch` more are booked so that their one-hour reminder is due at one moment
   (`due_at`), far enough ahead for all of them to be booked first.
3. At due_at every one of those timers fires. Lateness = reminder handed to the provider
   - due_at (end to end), and TimerFired - due_at from the histories (the server's part).

Real time on the dev server, not the time-skipping test server: that server jumps its
clock to the next timer when workflows are idle, so "late" would measure nothing real, and
it is another implementation (Java) than the server Rebook runs on.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench import cpu
from bench.driver import closed_loop
from bench.phases import session, warm_up
from bench.processes import free_loopback_port
from bench.stack import Stack
from bench.stats import summary_ms
from bench.throughput import progress
from bench.units import CONFIRMATION, REMINDER_1H

METRIC_LINE = re.compile(r"^(temporal_[a-z_]+)(?:\{[^}]*\})?\s+([0-9.eE+-]+)$")
KEPT_METRICS = (
    "sticky_cache",
    "workflow_task_replay_latency_count",
    "workflow_task_execution_latency_count",
)
CACHE_SIZE = "temporal_sticky_cache_size"
# Timer firing read back from this many histories of the batch.
FIRED_SAMPLE = 200
REMINDER_BEFORE = timedelta(hours=1)  # FollowUpPolicy.reminder_sms_before_s


async def scrape(port: int) -> dict[str, float]:
    """The SDK's sticky-cache and replay metrics, summed over their labels."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match and any(kept in match.group(1) for kept in KEPT_METRICS):
            found[match.group(1)] = found.get(match.group(1), 0.0) + float(match.group(2))
    return found


def memory(stack: Stack, workers: list[int]) -> dict[str, float]:
    mib = 1024 * 1024
    return {
        "worker_mib": round(sum(cpu.rss_bytes(pid) for pid in workers) / mib, 1),
        "server_mib": round(cpu.rss_bytes(stack.server.pid) / mib, 1),
        "api_mib": round(sum(cpu.rss_bytes(api.child.pid) for api in stack.apis) / mib, 1),
    }


async def timer_fired_at(stack: Stack, workflow_id: str) -> float | None:
    handle = stack.client.get_workflow_handle(workflow_id)
    history = await handle.fetch_history()
    fired = [e for e in history.events if e.HasField("timer_fired_event_attributes")]
    return fired[-1].event_time.ToDatetime(tzinfo=UTC).timestamp() if fired else None


async def measure_waiting(stack: Stack) -> dict[str, Any]:
    config = stack.config
    port = free_loopback_port()
    async with session(stack, "rebook", metrics_port=port) as run:
        pids = [w.pid for w in run.workers]
        await warm_up(run, "rebook", "ww")
        await stack.quiesce(run.workers)
        stages: dict[str, Any] = {"start": {**memory(stack, pids), **await scrape(port)}}

        async def book_ahead(index: int) -> str:
            # Reminders spread over a week, one a minute: none is due during the run.
            starts_at = datetime.now(UTC) + timedelta(days=2, minutes=index)
            appointment_id = await run.units.create(index, f"wait{index}", starts_at)
            await run.units.board.wait(appointment_id, CONFIRMATION, config.handoff_timeout_s)
            return appointment_id

        booked = await closed_loop(config.waiting, config.concurrency, book_ahead, 7200.0)
        booking_per_s = booked.completed / booked.elapsed_s if booked.elapsed_s else 1.0
        progress(f"  booked {booked.completed} waiting appointments at {booking_per_s:.1f}/s")
        await stack.quiesce(run.workers)
        stages["after_waiting"] = {**memory(stack, pids), **await scrape(port)}

        # Far enough ahead that the whole batch is booked before it falls due.
        lead_s = max(config.waiting_lead_s, 1.5 * config.waiting_batch / booking_per_s + 15)
        due_at = time.time() + lead_s
        starts_at = datetime.fromtimestamp(due_at, UTC) + REMINDER_BEFORE

        async def book_batch(index: int) -> str:
            appointment_id = await run.units.create(index, f"due{index}", starts_at)
            await run.units.board.wait(appointment_id, CONFIRMATION, config.handoff_timeout_s)
            return appointment_id

        batch = await closed_loop(config.waiting_batch, config.concurrency, book_batch, lead_s)
        booked_by_s = due_at - time.time()
        await stack.quiesce(run.workers)
        stages["before_due"] = {**memory(stack, pids), **await scrape(port)}
        progress(f"  batch of {batch.completed} booked {booked_by_s:.0f} s before it is due")
        wait_s = max(0.0, due_at - time.time()) + config.handoff_timeout_s * 3
        handed = await asyncio.gather(
            *(run.units.board.wait(a, REMINDER_1H, wait_s) for a in batch.results),
            return_exceptions=True,
        )
        await stack.quiesce(run.workers)
        stages["after_due"] = {**memory(stack, pids), **await scrape(port)}
    delivered = [at for at in handed if isinstance(at, float)]
    lateness = [at - due_at for at in delivered]
    sample = batch.results[:: max(1, len(batch.results) // FIRED_SAMPLE)]
    fired = [
        moment
        for moment in await asyncio.gather(
            *(timer_fired_at(stack, run.units.workflow_ids[a]) for a in sample)
        )
        if moment is not None
    ]
    growth = stages["after_waiting"]
    start = stages["start"]
    cached = growth.get(CACHE_SIZE, 0.0) - start.get(CACHE_SIZE, 0.0)
    return {
        "waiting": booked.completed,
        "booking_errors": booked.error_count + batch.error_count,
        "booking_per_s": round(booking_per_s, 2),
        "batch": batch.completed,
        "batch_booked_s_before_due": round(booked_by_s, 1),
        "reminders_handed_over": len(delivered),
        "lateness_ms": {**summary_ms(lateness), "max": round(max(lateness) * 1000, 1)}
        if lateness
        else {},
        "timer_fired_late_ms": summary_ms([m - due_at for m in fired]) if fired else {},
        "rss_kib_per_waiting_appointment": {
            role: round((growth[f"{role}_mib"] - start[f"{role}_mib"]) * 1024 / booked.completed, 2)
            for role in ("worker", "server")
        }
        if booked.completed
        else {},
        # The worker holds only the workflows in its sticky cache: its growth is theirs.
        "worker_rss_kib_per_cached_workflow": round(
            (growth["worker_mib"] - start["worker_mib"]) * 1024 / cached, 1
        )
        if cached > 0
        else None,
        "stages": stages,
    }

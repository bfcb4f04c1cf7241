"""Phase (b)+(c): appointments through the real HTTP API until the first follow-up is
recorded, and the latency from the missed event's 202 to that record."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench import cpu
from bench.config import BenchConfig
from bench.driver import LoopResult, closed_loop, paced_loop
from bench.stack import Stack
from bench.watcher import FollowUpWatcher, watching
from bench.workers import rebook_worker

HTTP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class AppointmentSample:
    appointment_id: str
    # When the missed event's 202 arrived here, UTC (the API's and the worker's clocks
    # are this machine's clock too, so the two instants are comparable).
    accepted_at: datetime
    followup_at: datetime  # the follow-up row's sent_at
    # Round trips of the two requests as the client saw them (for the breakdown).
    create_s: float
    missed_s: float

    @property
    def latency_s(self) -> float:
        return (self.followup_at - self.accepted_at).total_seconds()


def appointment_body(run: str, index: int) -> dict[str, Any]:
    return {
        "external_id": f"bench-{run}-{index}",
        # Starting within the API's clock skew (5 min), so the missed event that follows
        # at once is accepted: a miss before the start is refused (409).
        "starts_at": (datetime.now(UTC) + timedelta(minutes=2)).isoformat(),
        "duration_minutes": 30,
        "kind": "demo",
        "topic": "Rebook bench demo",
        "reschedule_url": f"https://rebook.example/r/{run}-{index}",
        "booked_via": "web",
        "contact": {
            "id": f"bench-contact-{run}-{index}",
            "name": "Bench Contact",
            "email": f"contact{index}@bench.example",
            "phone": f"+1415{index % 10_000_000:07d}",
            "preferred_channel": "sms",
            "timezone": "Europe/Berlin",
        },
        "host": {"id": "bench-host", "name": "Bench Host", "email": "host@bench.example"},
    }


async def book_and_miss(
    http: httpx.AsyncClient, watcher: FollowUpWatcher, run: str, index: int
) -> AppointmentSample:
    started = time.perf_counter()
    created = await http.post("/v1/appointments", json=appointment_body(run, index))
    created_s = time.perf_counter() - started
    if created.status_code not in (200, 201):
        raise RuntimeError(f"create answered {created.status_code}: {created.text[:200]}")
    appointment_id: str = created.json()["id"]
    followup = watcher.expect(appointment_id)
    started = time.perf_counter()
    missed = await http.post(f"/v1/appointments/{appointment_id}/events", json={"type": "missed"})
    accepted_at = datetime.now(UTC)
    missed_s = time.perf_counter() - started
    if missed.status_code != 202:
        followup.cancel()
        raise RuntimeError(f"missed event answered {missed.status_code}: {missed.text[:200]}")
    return AppointmentSample(appointment_id, accepted_at, await followup, created_s, missed_s)


async def run_rebook(stack: Stack, config: BenchConfig) -> RebookPhases:
    """(b) at saturation (closed loop), then (c) at a paced load below it (open loop)."""
    run = uuid.uuid4().hex[:8]
    # One pooled connection per lane: keep-alive, as a booking platform's webhook sender
    # would, so the measurement is not of TCP handshakes.
    limits = httpx.Limits(
        max_connections=config.concurrency, max_keepalive_connections=config.concurrency
    )
    async with (
        rebook_worker(stack.client, stack.settings, config.unsandboxed),
        httpx.AsyncClient(base_url=stack.api_url, limits=limits, timeout=HTTP_TIMEOUT_S) as http,
        watching(stack.reader, config.poll_interval_s) as watcher,
    ):
        await closed_loop(
            config.warmup,
            config.concurrency,
            lambda i: book_and_miss(http, watcher, f"{run}w", i),
            60.0,
        )
        before = cpu.snapshot()
        saturated = await closed_loop(
            config.n,
            config.concurrency,
            lambda i: book_and_miss(http, watcher, f"{run}s", i),
            config.phase_timeout_s,
        )
        saturated.cpu_s = cpu.used_since(before)
        throughput = saturated.completed / saturated.elapsed_s if saturated.elapsed_s else 1.0
        paced_rate = max(1.0, throughput * config.latency_load_fraction)
        before = cpu.snapshot()
        paced = await paced_loop(
            config.n,
            paced_rate,
            lambda i: book_and_miss(http, watcher, f"{run}p", i),
            config.n / paced_rate + config.phase_timeout_s,
        )
        paced.cpu_s = cpu.used_since(before)
        return RebookPhases(saturated=saturated, paced=paced, paced_rate_per_s=paced_rate)


@dataclass(frozen=True)
class RebookPhases:
    saturated: LoopResult[AppointmentSample]  # (b) throughput; its latency is queueing
    paced: LoopResult[AppointmentSample]  # (c) latency at a sustainable arrival rate
    paced_rate_per_s: float

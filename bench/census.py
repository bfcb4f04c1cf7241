"""What one unit of work is made of, counted rather than assumed:

- from the workflow histories: workflow tasks, activities, local activities, patch
  markers, signals, timers, search-attribute upserts, events and bytes;
- from SQLAlchemy's engine events in the worker and the API (bench.sqlcount): statements
  by verb and table, transactions and commits per appointment.

The census runs its own worker and API processes (counting costs a little, so the
measured phases never count), sequentially, after a warm-up whose statements are
subtracted. conformance() checks measured units against the census shape, which is how
the report shows that every appointment did the same work.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.driver import closed_loop
from bench.phases import session
from bench.sqlcount import read_counts
from bench.stack import Stack
from bench.units import Sample

# History event kinds under the names the README uses.
CONCEPTS = {
    "WORKFLOW_TASK_COMPLETED": "workflow_tasks",
    "ACTIVITY_TASK_SCHEDULED": "activities",
    "MARKER core_local_activity": "local_activities",
    "MARKER core_patch": "patch_markers",
    "WORKFLOW_EXECUTION_SIGNALED": "signals",
    "TIMER_STARTED": "timers_started",
    "TIMER_CANCELED": "timers_cancelled",
    "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES": "search_attribute_upserts",
}
SNAPSHOT_WAIT_S = 5.0


async def history_counts(client: Client, workflow_id: str) -> tuple[Counter[str], Counter[str]]:
    """Events and their bytes by kind (markers by marker name)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    events: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for event in history.events:
        kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        if event.HasField("marker_recorded_event_attributes"):
            kind = f"MARKER {event.marker_recorded_event_attributes.marker_name}"
        events[kind] += 1
        sizes[kind] += event.ByteSize()
    return events, sizes


def shape_of(events: Counter[str], sizes: Counter[str]) -> dict[str, int]:
    shape = {concept: events.get(kind, 0) for kind, concept in CONCEPTS.items()}
    shape["events"] = sum(events.values())
    shape["history_bytes"] = sum(sizes.values())
    scheduled = events.get("ACTIVITY_TASK_SCHEDULED", 0)
    if scheduled:
        shape["bytes_per_activity_scheduled"] = sizes["ACTIVITY_TASK_SCHEDULED"] // scheduled
    return shape


def signature(events: Counter[str]) -> tuple[int, ...]:
    """The Temporal work of one unit, comparable between units of a phase."""
    return tuple(events.get(kind, 0) for kind in CONCEPTS)


async def conformance(client: Client, samples: Sequence[Sample], limit: int) -> dict[str, Any]:
    """How many of (up to limit of) the units did exactly the phase's most common work."""
    step = max(1, len(samples) // limit) if limit else 1
    picked = list(samples[::step])[:limit]
    counted = await asyncio.gather(*(history_counts(client, s.workflow_id) for s in picked))
    shapes = Counter(signature(events) for events, _ in counted)
    if not shapes:
        return {"checked": 0}
    common, count = shapes.most_common(1)[0]
    return {
        "checked": len(picked),
        "same_shape": count,
        "shape": dict(zip(CONCEPTS.values(), common, strict=True)),
        "other_shapes": [
            dict(zip(CONCEPTS.values(), shape, strict=True))
            for shape, _ in shapes.most_common()[1:4]
        ],
    }


def _per_unit(before: dict[str, int], after: dict[str, int], units: int) -> dict[str, float]:
    return {
        key: round((after.get(key, 0) - before.get(key, 0)) / units, 2)
        for key in sorted(after)
        if after.get(key, 0) - before.get(key, 0)
    }


def _statements(per_unit: dict[str, float]) -> float:
    skip = {"transactions", "COMMIT", "ROLLBACK"}
    return round(sum(v for k, v in per_unit.items() if k not in skip), 2)


async def _snapshot(pid: int, path: Any) -> dict[str, int]:
    """Ask a counting process for its counts so far."""
    if path.exists():
        path.unlink()
    os.kill(pid, signal.SIGUSR1)
    for _ in range(int(SNAPSHOT_WAIT_S / 0.05)):
        if path.exists():
            return read_counts(path)
        await asyncio.sleep(0.05)
    raise RuntimeError(f"no statement counts from pid {pid}")


async def rebook_census(stack: Stack, units: int) -> dict[str, Any]:
    worker_counts = stack.tmp / "census-worker-sql.json"
    api_counts = stack.tmp / "census-api-sql.json"
    api = stack.start_api("rebook", api_counts)
    try:
        async with session(
            stack, "rebook", apis=[api], connections=2, sql_counts_path=worker_counts
        ) as run:
            warm = await closed_loop(2, 1, lambda i: run.units.rebook(i, f"cw{i}"), 120.0)
            await stack.quiesce(run.workers)
            before_worker = await _snapshot(run.workers[0].pid, worker_counts)
            before_api = await _snapshot(api.child.pid, api_counts)
            counted = await closed_loop(units, 1, lambda i: run.units.rebook(i, f"c{i}"), 300.0)
            await stack.quiesce(run.workers)
    finally:
        api.child.stop()
    if counted.error_count or warm.error_count:
        raise RuntimeError(f"census units failed: {counted.errors or warm.errors}")
    worker_sql = _per_unit(before_worker, read_counts(worker_counts), units)
    api_sql = _per_unit(before_api, read_counts(api_counts), units)
    events, sizes = await history_counts(stack.client, counted.results[0].workflow_id)
    return {
        "temporal": shape_of(events, sizes),
        "history_events": dict(sorted(events.items())),
        "sql_per_appointment": {
            "worker": worker_sql,
            "api": api_sql,
            "statements": {"worker": _statements(worker_sql), "api": _statements(api_sql)},
            "transactions": {
                "worker": worker_sql.get("transactions", 0.0),
                "api": api_sql.get("transactions", 0.0),
            },
        },
    }


async def baseline_census(stack: Stack, kind: str) -> dict[str, Any]:
    async with session(stack, kind, connections=1) as run:
        counted = await closed_loop(2, 1, lambda i: run.units.unit(kind, i, f"c{i}"), 120.0)
        # The last workflow task (the final timer) runs after the last hand-off.
        await stack.quiesce(run.workers)
    if counted.error_count:
        raise RuntimeError(f"census units failed: {counted.errors}")
    events, sizes = await history_counts(stack.client, counted.results[-1].workflow_id)
    return {"temporal": shape_of(events, sizes), "history_events": dict(sorted(events.items()))}


async def take_census(stack: Stack) -> dict[str, Any]:
    return {
        "rebook": await rebook_census(stack, stack.config.census),
        "shape": await baseline_census(stack, "shape"),
        "noop": await baseline_census(stack, "noop"),
    }

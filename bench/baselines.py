"""The baselines' workflows and activities: what Temporal costs with Rebook's business
logic taken away.

- NoopWorkflow: start, one no-op activity, complete.
- ShapeWorkflow: the same Temporal work as one Rebook appointment in the bench (see
  bench/README.md, "The shape of one appointment"): started with the same seven search
  attributes; one local activity (Rebook's resolve_playbook, which pins the run's
  playbook); one activity (the confirmation); a timer raced against a signal (the
  reminder, a day ahead, cancelled by the `missed` event); on the signal one search-attribute
  upsert and two local activities side by side (the no-show tally and the status mirror);
  one activity (the first follow-up); a timer (the next follow-up, hours ahead).
  Workflow tasks follow from that: four, as Rebook's.

The activities do nothing (`shape` worker) or one short SQL write each (`shape_db`
worker, through Rebook's own engine configuration); the two deliveries report their
hand-off like Rebook's senders do (bench.handoff).

Imported into Temporal's workflow sandbox, so this module stays pure: the writer and the
reporter are handed to ShapeActivities by the worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from rebook.core import search_attributes as sa
    from workflows.policies import DELIVERY_RETRY, DELIVERY_TIMEOUT, RECORD_RETRY, RECORD_TIMEOUT

NOOP_WORKFLOW = "BenchNoop"
SHAPE_WORKFLOW = "BenchShape"
SHAPE_SIGNAL = "bench_event"

# The two deliveries' step names, as reported to the driver.
FIRST = "first"
SECOND = "second"

# Like Rebook's reminder (a day ahead) and next follow-up (hours ahead): never due during
# a bench run.
FIRST_TIMER = timedelta(days=1)
LAST_TIMER = timedelta(hours=4)


@activity.defn(name="bench_noop")
def noop_activity(value: int) -> int:
    return value


@workflow.defn(name=NOOP_WORKFLOW)
class NoopWorkflow:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(
            noop_activity, value, start_to_close_timeout=timedelta(seconds=30)
        )


@dataclass(frozen=True)
class ShapeStep:
    key: str  # the workflow's own id: what the driver waits on
    step: str


@dataclass(frozen=True)
class ShapeEvent:
    type: str = "missed"


Write = Callable[[str, str], None]
Report = Callable[[str, str, float], None]


class ShapeActivities:
    """write: one SQL write (shape_db) or None (shape); report: hands a delivery's
    hand-off to the driver."""

    def __init__(self, write: Write | None, report: Report) -> None:
        self._write = write
        self._report = report

    @activity.defn(name="bench_deliver")
    def deliver(self, step: ShapeStep) -> None:
        at = time.time()
        if self._write is not None:
            self._write(step.key, step.step)
        self._report(step.key, step.step, at)

    @activity.defn(name="bench_record")
    def record(self, step: ShapeStep) -> None:
        if self._write is not None:
            self._write(step.key, step.step)


def shape_search_attributes(key: str, status: str, count: int) -> list[SearchAttributePair[Any]]:
    """Rebook's seven attributes, with the bench's values."""
    values: dict[str, Any] = {
        sa.APPOINTMENT_ID.name: key,
        sa.CONTACT_ID.name: key,
        sa.APPOINTMENT_KIND.name: "demo",
        sa.APPOINTMENT_STATUS.name: status,
        sa.NO_SHOW_COUNT.name: count,
        sa.RESCHEDULE_COUNT.name: 0,
        sa.WORKSPACE_ID.name: "default",
    }
    return [SearchAttributePair(key_, values[key_.name]) for key_ in sa.ALL_KEYS]


def start_search_attributes(key: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(shape_search_attributes(key, "scheduled", 0))


@workflow.defn(name=SHAPE_WORKFLOW)
class ShapeWorkflow:
    def __init__(self) -> None:
        self._events = 0

    @workflow.signal(name=SHAPE_SIGNAL)
    def on_event(self, _event: ShapeEvent) -> None:
        self._events += 1

    @workflow.run
    async def run(self, key: str) -> None:
        await self._record(key, "playbook")
        await self._deliver(key, FIRST)
        try:
            await workflow.wait_condition(lambda: self._events > 0, timeout=FIRST_TIMER)
        except TimeoutError:
            return
        workflow.upsert_search_attributes(
            [pair.key.value_set(pair.value) for pair in shape_search_attributes(key, "missed", 1)]
        )
        await asyncio.gather(self._record(key, "tally"), self._record(key, "mirror"))
        await self._deliver(key, SECOND)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._events > 1, timeout=LAST_TIMER)

    async def _deliver(self, key: str, step: str) -> None:
        await workflow.execute_activity_method(
            ShapeActivities.deliver,
            ShapeStep(key, step),
            start_to_close_timeout=DELIVERY_TIMEOUT,
            retry_policy=DELIVERY_RETRY,
        )

    async def _record(self, key: str, step: str) -> None:
        await workflow.execute_local_activity_method(
            ShapeActivities.record,
            ShapeStep(key, step),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

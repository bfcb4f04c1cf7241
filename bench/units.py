"""One unit of work per phase, the same every time (a fixed workload):

- noop: start the no-op workflow and wait for its result.
- shape / shape_db: start ShapeWorkflow (with the six search attributes, as the API
  starts Rebook's), wait for its first delivery's hand-off, let the workflow settle on its
  timer, signal it, wait for its second delivery's hand-off.
- rebook (and reference: Rebook from another checkout): POST /v1/appointments, wait
  until the confirmation is handed to the provider and the workflow has settled on its
  reminder timer, POST the `missed` event, wait until the first follow-up is handed to
  the provider.

Settling matters: a signal that reaches the server before the workflow task following the
first delivery has been picked up joins that task, so the workflow would skip its timer
and one workflow task, and the work would shrink with load. settle() waits (one
DescribeWorkflowExecution, two or three under load) until no activity or workflow task is
pending, which the same wait in every phase keeps fair.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from bench.baselines import (
    FIRST,
    SECOND,
    SHAPE_SIGNAL,
    NoopWorkflow,
    ShapeEvent,
    ShapeWorkflow,
    start_search_attributes,
)
from bench.handoff import HandoffBoard
from rebook.core.steps import Step

CONFIRMATION = Step.CONFIRMATION.value
FOLLOW_UP = Step.NO_SHOW_FOLLOWUP.value
REMINDER_1H = Step.REMINDER_1H.value
SETTLE_FIRST_S = 0.002
SETTLE_MAX_S = 0.05


@dataclass(frozen=True)
class Sample:
    workflow_id: str
    # Unix times on this machine's one clock (the workers report theirs the same way).
    event_sent_at: float  # the `missed` event (signal) was sent; the start for noop
    event_accepted_at: float  # its 202 (signal acknowledged)
    done_at: float  # the follow-up (second delivery) was handed to the provider
    settle_calls: int = 0

    @property
    def latency_s(self) -> float:
        """`missed` sent -> follow-up handed to the provider."""
        return self.done_at - self.event_sent_at


class RequestFailed(RuntimeError):
    pass


def appointment_body(
    key: str, starts_at: datetime | None = None, *, preferred: str = "sms"
) -> dict[str, Any]:
    """A booking like a platform sends it; the contact is new each time (so no-show totals
    and opt-outs never depend on the order units run in)."""
    # By default the appointment starts within the API's clock skew (5 minutes), so the
    # `missed` event that follows at once is accepted: a miss before the start is a 409.
    starts = starts_at or datetime.now(UTC) + timedelta(minutes=2)
    return {
        "external_id": f"bench-{key}",
        "starts_at": starts.isoformat(),
        "duration_minutes": 30,
        "kind": "demo",
        "topic": "Rebook bench demo",
        "reschedule_url": f"https://rebook.example/r/{key}",
        "booked_via": "web",
        "contact": {
            "id": f"bench-contact-{key}",
            "name": "Bench Contact",
            "email": f"{key}@bench.example",
            "phone": f"+1415{zlib.crc32(key.encode()) % 10_000_000:07d}",
            "preferred_channel": preferred,
            "timezone": "Europe/Berlin",
        },
        "host": {"id": "bench-host", "name": "Bench Host", "email": "host@bench.example"},
    }


async def settle(client: Client, workflow_id: str) -> int:
    """Wait until the workflow has no pending activity or workflow task; the number of
    DescribeWorkflowExecution calls it took."""
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    delay, calls = SETTLE_FIRST_S, 0
    while True:
        calls += 1
        described = await client.workflow_service.describe_workflow_execution(request)
        if not described.pending_activities and not described.HasField("pending_workflow_task"):
            return calls
        await asyncio.sleep(delay)
        delay = min(delay * 2, SETTLE_MAX_S)


# Workflow ids before workspaces (what a --reference checkout from then starts).
LEGACY_WORKFLOW_PREFIX = "appointment-"


@dataclass
class Units:
    client: Client
    board: HandoffBoard
    queues: dict[str, str]  # kind -> task queue
    http: list[httpx.AsyncClient]  # one per API process; units take turns
    timeout_s: float
    # appointment id -> its workflow's id, as the API answered it at creation
    workflow_ids: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ baselines

    async def noop(self, key: str) -> Sample:
        sent = time.time()
        await self.client.execute_workflow(
            NoopWorkflow.run, 0, id=f"noop-{key}", task_queue=self.queues["noop"]
        )
        done = time.time()
        return Sample(f"noop-{key}", sent, sent, done)

    async def shape(self, kind: str, key: str) -> Sample:
        workflow_id = f"{kind}-{key}"
        handle = await self.client.start_workflow(
            ShapeWorkflow.run,
            workflow_id,
            id=workflow_id,
            task_queue=self.queues[kind],
            search_attributes=start_search_attributes(workflow_id),
        )
        await self.board.wait(workflow_id, FIRST, self.timeout_s)
        calls = await settle(self.client, workflow_id)
        sent = time.time()
        await handle.signal(SHAPE_SIGNAL, ShapeEvent())
        accepted = time.time()
        done = await self.board.wait(workflow_id, SECOND, self.timeout_s)
        return Sample(workflow_id, sent, accepted, done, calls)

    # ------------------------------------------------------------------ Rebook

    async def rebook(self, index: int, key: str) -> Sample:
        appointment_id, calls = await self.book(index, key)
        return await self.miss(index, appointment_id, calls)

    async def book(
        self, index: int, key: str, starts_at: datetime | None = None
    ) -> tuple[str, int]:
        """Create the appointment, wait for its confirmation, let the workflow settle."""
        appointment_id = await self.create(index, key, starts_at)
        await self.board.wait(appointment_id, CONFIRMATION, self.timeout_s)
        calls = await settle(self.client, self.workflow_ids[appointment_id])
        return appointment_id, calls

    async def create(self, index: int, key: str, starts_at: datetime | None = None) -> str:
        http = self.http[index % len(self.http)]
        created = await http.post("/v1/appointments", json=appointment_body(key, starts_at))
        if created.status_code != 201:
            raise RequestFailed(f"create answered {created.status_code}: {created.text[:200]}")
        answer = created.json()
        appointment_id: str = answer["id"]
        # A checkout from before workspaces (--reference) answers without workflow_id.
        self.workflow_ids[appointment_id] = answer.get(
            "workflow_id", f"{LEGACY_WORKFLOW_PREFIX}{appointment_id}"
        )
        return appointment_id

    async def miss(self, index: int, appointment_id: str, settle_calls: int = 0) -> Sample:
        http = self.http[index % len(self.http)]
        sent = time.time()
        missed = await http.post(
            f"/v1/appointments/{appointment_id}/events", json={"type": "missed"}
        )
        accepted = time.time()
        if missed.status_code != 202:
            raise RequestFailed(f"missed answered {missed.status_code}: {missed.text[:200]}")
        done = await self.board.wait(appointment_id, FOLLOW_UP, self.timeout_s)
        return Sample(self.workflow_ids[appointment_id], sent, accepted, done, settle_calls)

    async def unit(self, kind: str, index: int, key: str) -> Sample:
        if kind == "noop":
            return await self.noop(key)
        if kind in ("shape", "shape_db"):
            return await self.shape(kind, key)
        if kind in ("rebook", "reference"):
            return await self.rebook(index, key)
        raise ValueError(f"unknown phase {kind!r}")

"""Runs the real AppointmentWorkflow and its real activities against the time-skipping
Temporal server, a migrated database and chosen channel senders, and reads back what was
sent."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.workspaces import WorkspaceActivities
from rebook.core.brand import Brand
from rebook.core.contracts import (
    AppointmentDetails,
    AppointmentEvent,
    AppointmentWorkflowInput,
    Progress,
)
from rebook.core.domain import Channel, EventType
from rebook.core.names import EVENT_SIGNAL, PROGRESS_QUERY
from rebook.core.playbook import Playbook
from rebook.core.ports import ChannelSender, DeliveryProfile
from rebook.core.records import CommunicationRecord
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, WorkspaceId
from rebook.db.stores import CommunicationStore
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from rebook.playbooks.catalog import PlaybookCatalog
from tests.support.factories import appointment
from tests.support.messages import shipped_catalog
from tests.support.rows import save_appointment
from worker import activities_on, build_worker
from workflows.appointment import AppointmentWorkflow

HISTORIES_DIR = Path(__file__).resolve().parents[1] / "workflows" / "histories"


@cache
def default_without_quiet_hours() -> Playbook:
    """The shipped default playbook without quiet hours. The time-skipping server's clock is
    shared by the whole session and ends up at any hour, so scenarios that assert exact
    follow-up times pin this one; the quiet-hours test lets the catalog resolve the real
    default with a timezone it chooses."""
    loaded = shipped_catalog().get("default")
    assert loaded is not None
    return replace(loaded.playbook, policy=replace(loaded.playbook.policy, quiet_hours=None))


@dataclass
class Harness:
    env: WorkflowEnvironment
    sessions: sessionmaker[Session]
    senders: Mapping[Channel, ChannelSender]
    catalog: PlaybookCatalog = field(default_factory=shipped_catalog)
    task_queue: str = field(default_factory=lambda: f"tq-{uuid.uuid4().hex[:8]}")

    def activities(self) -> WorkspaceActivities:
        # Every workspace renders and sends alike here; tests of per-workspace brands and
        # accounts use the worker's DeliveryProfiles instead.
        profile = DeliveryProfile(Brand("Rebook"), self.senders)
        return activities_on(self.sessions, lambda _workspace_id: profile, self.catalog)

    def worker(self, executor: ThreadPoolExecutor) -> Any:
        return build_worker(self.env.client, self.task_queue, self.activities(), executor, 8)

    def latest(self, handle: WorkflowHandle[Any, Any]) -> WorkflowHandle[Any, Progress]:
        """Handle on the newest run: continue-as-new moves the workflow to new run ids."""
        return self.env.client.get_workflow_handle_for(AppointmentWorkflow.run, handle.id)

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def booked(
        self, appointment_id: str, in_: timedelta, **changes: Any
    ) -> AppointmentDetails:
        """An appointment starting `in_` from the test server's now."""
        return appointment(
            appointment_id=appointment_id,
            external_id=f"ext-{appointment_id}",
            starts_at=await self.now() + in_,
            **changes,
        )

    async def start(
        self,
        details: AppointmentDetails,
        playbook: Playbook | None = None,
        *,
        resolve: bool = False,
        workspace_id: WorkspaceId = DEFAULT_WORKSPACE_ID,
    ) -> WorkflowHandle[Any, Any]:
        """Book the appointment in the workspace and start its workflow under the id the
        store gave it, as the API does, with `playbook` pinned in its input (default: the
        default playbook without quiet hours); resolve=True pins none, so the workflow
        resolves it through the catalog, as the API's starts do."""
        record = save_appointment(self.sessions, details, workspace_id)
        pinned = None if resolve else (playbook or default_without_quiet_hours())
        return await self.env.client.start_workflow(
            AppointmentWorkflow.run,
            AppointmentWorkflowInput(
                appointment=details, playbook=pinned, workspace_id=workspace_id
            ),
            id=record.workflow_id,
            task_queue=self.task_queue,
        )

    async def signal(
        self, handle: WorkflowHandle[Any, Any], type: EventType, **fields: Any
    ) -> AppointmentEvent:
        event = AppointmentEvent(
            type=type,
            event_id=fields.pop("event_id", uuid.uuid4().hex),
            received_at=fields.pop("received_at", await self.now()),
            **fields,
        )
        await self.latest(handle).signal(EVENT_SIGNAL, event)
        return event

    async def progress(self, handle: WorkflowHandle[Any, Any]) -> Progress:
        progress: Progress = await self.latest(handle).query(PROGRESS_QUERY, result_type=Progress)
        return progress

    async def archive(self, handle: WorkflowHandle[Any, Any], name: str) -> None:
        """With REBOOK_RECORD_HISTORIES=1, save every run's history (following
        continue-as-new) for the replay test. Committed histories pin the workflow's
        command sequence: a change that breaks them needs workflow.patched."""
        if not os.environ.get("REBOOK_RECORD_HISTORIES"):
            return
        HISTORIES_DIR.mkdir(exist_ok=True)
        run_id: str | None = handle.first_execution_run_id or handle.run_id
        index = 0
        while run_id:
            run = self.env.client.get_workflow_handle(handle.id, run_id=run_id)
            history = await run.fetch_history()
            (HISTORIES_DIR / f"{name}-run{index}.json").write_text(history.to_json())
            last = history.events[-1]
            run_id = (
                last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                if last.HasField("workflow_execution_continued_as_new_event_attributes")
                else None
            )
            index += 1

    def sent(
        self, appointment_id: str, workspace_id: WorkspaceId = DEFAULT_WORKSPACE_ID
    ) -> list[CommunicationRecord]:
        """Every message of the appointment, in the order they were due."""
        records = CommunicationStore(self.sessions, workspace_id).for_appointment(appointment_id)
        return sorted(records, key=lambda r: (r.scheduled_for, r.created_at))

    def steps_sent(self, appointment_id: str) -> list[tuple[str, str]]:
        return [(s.step, s.channel) for s in self.sent(appointment_id)]


def outbox_senders() -> dict[Channel, ChannelSender]:
    """Every channel recorded in the embedded outbox (in-app: the inbox), as with no
    provider configured."""
    return {
        Channel.EMAIL: OutboxSender(Channel.EMAIL),
        Channel.SMS: OutboxSender(Channel.SMS),
        Channel.WHATSAPP: OutboxSender(Channel.WHATSAPP),
        Channel.IN_APP: InAppSender(),
    }


@contextlib.asynccontextmanager
async def running(harness: Harness) -> AsyncIterator[Harness]:
    """The harness with its worker polling, stopped afterwards."""
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with harness.worker(executor):
            yield harness

"""What the booking platform reports happened to an appointment: stored, then handed to the
appointment's workflow (or, for a closed one, a rebooking or a refusal)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rebook.core.contracts import AppointmentEvent
from rebook.core.domain import AppointmentStatus, EventType
from rebook.core.lifecycle import reopened
from rebook.core.records import AppointmentRecord, StoredEvent
from rebook.core.time_rules import reported_before_start
from rebook.db.stores import AppointmentStore
from rebook.services.blocking import in_thread
from rebook.services.errors import Conflict, NotFound
from rebook.services.ids import new_event_id
from rebook.temporal.gateway import AppointmentWorkflows, ExecutionState

# A reschedule after the sequence gave up is the rebooking the whole product is for.
REBOOKABLE = frozenset({AppointmentStatus.LOST, AppointmentStatus.EXPIRED})


class EventService:
    def __init__(self, appointments: AppointmentStore, workflows: AppointmentWorkflows) -> None:
        self._appointments = appointments
        self._workflows = workflows

    async def report(
        self,
        appointment_id: str,
        *,
        type: EventType,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
        new_starts_at: datetime | None = None,
        reason: str | None = None,
    ) -> StoredEvent:
        """Accept an event and deliver it to the appointment's workflow.

        Idempotent on event_id (one is generated when missing): an event_id accepted before
        is acknowledged as a repeat (created False) in every state, the workflow closed
        included, and applied once. Raises NotFound for an unknown appointment; Conflict
        for a missed or attended reported before the appointment started, and when its
        workflow has closed (unless this reschedule rebooks it); a refused event is not
        kept. Raises Unavailable when Temporal is down: the event is kept, so the
        platform's retry delivers it.
        """
        record = await in_thread(self._appointments.get, appointment_id)
        if record is None:
            raise NotFound(f"appointment {appointment_id} not found")
        now = datetime.now(UTC)
        event = AppointmentEvent(
            type=type,
            event_id=event_id or new_event_id(),
            received_at=now,
            occurred_at=occurred_at,
            new_starts_at=new_starts_at,
            reason=reason,
        )
        starts_at = record.progress.starts_at
        if reported_before_start(type, occurred_at or now, starts_at):
            # A repeat of an event accepted before (the slot has moved since) stays a repeat.
            known = await in_thread(self._appointments.find_event, appointment_id, event.event_id)
            if known is not None and known.delivered:
                return known
            raise Conflict(
                f"{type.value} refused: the appointment starts at {starts_at.isoformat()}, "
                "after the time this event says it happened"
            )
        # Stored before signalling so a Temporal outage loses nothing: the platform's retry
        # finds the stored event and delivers it then (the workflow drops repeated ids).
        stored = await in_thread(self._appointments.record_event, appointment_id, event)
        if stored.delivered:
            return stored
        try:
            await self._deliver(record, stored.event)
        except Conflict:
            if stored.created:
                await in_thread(
                    self._appointments.forget_event, appointment_id, stored.event.event_id
                )
            raise
        await in_thread(
            self._appointments.mark_event_delivered,
            appointment_id,
            stored.event.event_id,
            datetime.now(UTC),
        )
        return replace(stored, delivered=True)

    async def _deliver(self, record: AppointmentRecord, event: AppointmentEvent) -> None:
        workflow_id = record.workflow_id
        if await self._workflows.signal(workflow_id, event):
            return
        execution = await self._workflows.execution(workflow_id)
        if execution.state is ExecutionState.RUNNING:  # rebooked by a concurrent request
            if await self._workflows.signal(workflow_id, event):
                return
            execution = await self._workflows.execution(workflow_id)
        mirrored = record.progress.status
        if execution.state is ExecutionState.MISSING and not mirrored.is_final:
            # The create request stored the row but never got the workflow started (Temporal
            # was down and the platform did not retry): start it now, with this event.
            await self._workflows.start(record.details, workflow_id, first_event=event)
            return
        final_status = execution.final_status or mirrored
        if event.type is EventType.RESCHEDULED and final_status in REBOOKABLE:
            await self._rebook(record, event)
            return
        raise Conflict(f"appointment is closed ({final_status.value})")

    async def _rebook(self, record: AppointmentRecord, event: AppointmentEvent) -> None:
        """Reopen the closed appointment at its old slot with the reschedule as its first
        event. The workflow applies it exactly as it would while running (count, limit and
        flag, fresh confirmation and reminders), so that rule lives in one place."""
        state = reopened(record.progress, at=event.received_at)
        await self._workflows.start_new_run(
            record.details, record.workflow_id, state, first_event=event
        )

"""POST /v1/appointments/{id}/events: what the booking platform reports happened."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from api.conversions import appointment_details, new_event_id
from api.dependencies import RepositoryDep, SettingsDep, TemporalConnectionDep
from api.errors import Conflict, NotFound
from api.repository import ApiRepository, AppointmentRecord, EventRecord
from api.schemas import ErrorOut, EventAccepted, EventIn
from rebook.core.contracts import AppointmentEvent, SequenceState
from rebook.core.domain import AppointmentStatus, EventType
from rebook.temporal.gateway import AppointmentWorkflows, ExecutionState

router = APIRouter(prefix="/v1/appointments", tags=["events"])

# A reschedule after the sequence gave up is the rebooking the whole product is for.
REBOOKABLE = frozenset({AppointmentStatus.LOST, AppointmentStatus.EXPIRED})


@router.post(
    "/{appointment_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"model": ErrorOut},
        409: {"model": ErrorOut, "description": "The appointment's workflow has closed"},
        503: {"model": ErrorOut, "description": "Temporal unavailable; retry delivers it"},
    },
)
async def post_event(
    appointment_id: str,
    body: EventIn,
    repository: RepositoryDep,
    temporal: TemporalConnectionDep,
    settings: SettingsDep,
) -> EventAccepted:
    record = await run_in_threadpool(repository.get_appointment, appointment_id)
    if record is None:
        raise NotFound(f"appointment {appointment_id} not found")
    # Stored before signalling so a Temporal outage loses nothing: the platform's retry
    # finds the stored event and signals it again (the workflow drops repeated event_ids).
    stored, created = await run_in_threadpool(
        repository.record_event,
        EventRecord(
            appointment_id=appointment_id,
            event_id=body.event_id or new_event_id(),
            type=body.type.value,
            received_at=datetime.now(UTC),
            occurred_at=body.occurred_at,
            new_starts_at=body.new_starts_at,
            reason=body.reason,
        ),
    )
    event = _signal_payload(stored)
    workflows = AppointmentWorkflows(await temporal.client(), settings)
    try:
        await _deliver(workflows, repository, record, event)
    except Conflict:
        if created:
            await run_in_threadpool(repository.forget_event, appointment_id, event.event_id)
        raise
    return EventAccepted(appointment_id=appointment_id, event_id=event.event_id, type=event.type)


async def _deliver(
    workflows: AppointmentWorkflows,
    repository: ApiRepository,
    record: AppointmentRecord,
    event: AppointmentEvent,
) -> None:
    if await workflows.signal(record.id, event):
        return
    execution = await workflows.execution(record.id)
    if execution.state is ExecutionState.RUNNING:  # rebooked by a concurrent request
        if await workflows.signal(record.id, event):
            return
        execution = await workflows.execution(record.id)
    mirrored = AppointmentStatus(record.status)
    if execution.state is ExecutionState.MISSING and not mirrored.is_final:
        # The create request stored the row but never got the workflow started (Temporal
        # was down and the platform did not retry): start it now, with this event.
        await workflows.start(appointment_details(record), first_event=event)
        return
    final_status = execution.final_status or mirrored
    if event.type is EventType.RESCHEDULED and final_status in REBOOKABLE:
        await _rebook(workflows, repository, record, event)
        return
    raise Conflict(f"appointment is closed ({final_status.value})")


async def _rebook(
    workflows: AppointmentWorkflows,
    repository: ApiRepository,
    record: AppointmentRecord,
    event: AppointmentEvent,
) -> None:
    """Reopen the closed appointment at its old slot with the reschedule as its first
    event. The workflow applies it exactly as it would while running (count, limit and
    flag, fresh confirmation and reminders), so that rule lives in one place."""
    contact_no_show_total = await run_in_threadpool(
        repository.contact_no_show_total, record.contact.id
    )
    reopened = SequenceState(
        status=AppointmentStatus.SCHEDULED,
        starts_at=record.starts_at,
        armed_at=event.received_at,
        no_show_count=record.no_show_count,
        contact_no_show_total=contact_no_show_total,
        reschedule_count=record.reschedule_count,
        flagged=record.flagged,
    )
    await workflows.start_new_run(appointment_details(record), reopened, first_event=event)


def _signal_payload(stored: EventRecord) -> AppointmentEvent:
    return AppointmentEvent(
        type=EventType(stored.type),
        event_id=stored.event_id,
        received_at=stored.received_at,
        occurred_at=stored.occurred_at,
        new_starts_at=stored.new_starts_at,
        reason=stored.reason,
    )

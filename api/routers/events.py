"""POST /v1/appointments/{id}/events: what the booking platform reports happened."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.dependencies import EventsDep
from api.schemas import ErrorOut, EventAccepted, EventIn, PathId

router = APIRouter(prefix="/v1/appointments", tags=["events"])


@router.post(
    "/{appointment_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"model": ErrorOut, "description": "No such appointment"},
        409: {
            "model": ErrorOut,
            "description": "The appointment's workflow has closed, or `missed`/`attended` "
            "is reported before the appointment started",
        },
        503: {"model": ErrorOut, "description": "Temporal unavailable; retry delivers it"},
    },
)
async def post_event(appointment_id: PathId, body: EventIn, events: EventsDep) -> EventAccepted:
    """Report what happened: attended, missed, rescheduled (with `new_starts_at`) or
    cancelled. Idempotent on `event_id`: a repeat is answered 202 with `duplicate: true`,
    whatever state the appointment is in, and changes nothing."""
    stored = await events.report(appointment_id, **body.model_dump())
    event = stored.event
    return EventAccepted(
        appointment_id=appointment_id,
        event_id=event.event_id,
        type=event.type,
        duplicate=not stored.created,
    )

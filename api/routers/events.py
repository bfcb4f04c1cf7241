"""POST /v1/appointments/{id}/events: what the booking platform reports happened."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.dependencies import EventsDep
from api.schemas import ErrorOut, EventAccepted, EventIn

router = APIRouter(prefix="/v1/appointments", tags=["events"])


@router.post(
    "/{appointment_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"model": ErrorOut},
        409: {"model": ErrorOut, "description": "The appointment's workflow has closed"},
        503: {"model": ErrorOut, "description": "Temporal unavailable; retry delivers it"},
    },
)
async def post_event(appointment_id: str, body: EventIn, events: EventsDep) -> EventAccepted:
    event = await events.report(appointment_id, **body.model_dump())
    return EventAccepted(appointment_id=appointment_id, event_id=event.event_id, type=event.type)

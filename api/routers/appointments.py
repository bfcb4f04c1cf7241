"""POST /v1/appointments, GET /v1/appointments/{id} and its communications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.dependencies import AppointmentsDep
from api.schemas import (
    AppointmentCreate,
    AppointmentDetailOut,
    AppointmentOut,
    CommunicationOut,
    ErrorOut,
    PathId,
)

router = APIRouter(prefix="/v1/appointments", tags=["appointments"])

_NOT_FOUND = {"model": ErrorOut, "description": "No such appointment"}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": AppointmentOut, "description": "Replay of an earlier identical request"},
        409: {"model": ErrorOut, "description": "external_id reused with a different body"},
        503: {"model": ErrorOut, "description": "Temporal unavailable; retry completes it"},
    },
)
async def create_appointment(
    body: AppointmentCreate, response: Response, appointments: AppointmentsDep
) -> AppointmentOut:
    """Create the appointment and start its workflow; idempotent on external_id."""
    view, created = await appointments.create(body.to_appointment(), body.fingerprint())
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return AppointmentOut.model_validate(view, from_attributes=True)


@router.get("/{appointment_id}", responses={404: _NOT_FOUND})
async def get_appointment(
    appointment_id: PathId, appointments: AppointmentsDep
) -> AppointmentDetailOut:
    """Details and progress: live from the workflow while it runs, else the DB mirror."""
    view = await appointments.get(appointment_id)
    return AppointmentDetailOut.model_validate(view, from_attributes=True)


@router.get("/{appointment_id}/communications", responses={404: _NOT_FOUND})
async def list_communications(
    appointment_id: PathId, appointments: AppointmentsDep
) -> list[CommunicationOut]:
    """Every message of the appointment, oldest first."""
    communications = await appointments.communications(appointment_id)
    return [CommunicationOut.model_validate(c, from_attributes=True) for c in communications]

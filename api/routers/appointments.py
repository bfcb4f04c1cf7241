"""POST /v1/appointments, GET /v1/appointments/{id} and its communications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.dependencies import AppointmentsReaderDep, AppointmentsWriterDep
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
    body: AppointmentCreate, response: Response, appointments: AppointmentsWriterDep
) -> AppointmentOut:
    """Create the appointment and start its workflow; idempotent on external_id (within
    the workspace). A contact without a timezone gets the workspace's."""
    appointment = body.to_appointment(appointments.default_timezone)
    view, created = await appointments.create(
        appointment, body.fingerprint(), legacy_fingerprint=body.legacy_fingerprint()
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"{router.prefix}/{view.record.details.appointment_id}"
    return AppointmentOut.model_validate(view, from_attributes=True)


@router.get("/{appointment_id}", responses={404: _NOT_FOUND})
async def get_appointment(
    appointment_id: PathId, appointments: AppointmentsReaderDep
) -> AppointmentDetailOut:
    """Details and progress: live from the workflow while it runs, else the DB mirror."""
    view = await appointments.get(appointment_id)
    return AppointmentDetailOut.model_validate(view, from_attributes=True)


@router.get("/{appointment_id}/communications", responses={404: _NOT_FOUND})
async def list_communications(
    appointment_id: PathId, appointments: AppointmentsReaderDep
) -> list[CommunicationOut]:
    """Every message of the appointment, oldest first."""
    communications = await appointments.communications(appointment_id)
    return [CommunicationOut.model_validate(c, from_attributes=True) for c in communications]

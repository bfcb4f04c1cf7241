"""POST /v1/appointments, GET /v1/appointments/{id} and its communications."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from api.conversions import (
    appointment_details,
    appointment_out,
    communication_out,
    new_appointment,
    new_appointment_id,
    request_fingerprint,
)
from api.dependencies import RepositoryDep, SettingsDep, TemporalConnectionDep
from api.errors import Conflict, NotFound, TemporalUnavailable, invalid_field
from api.repository import ApiRepository, AppointmentRecord
from api.schemas import (
    AppointmentCreate,
    AppointmentDetailOut,
    AppointmentOut,
    CommunicationOut,
    ErrorOut,
    reachability_problem,
)
from rebook.core.experiments import assign_variant
from rebook.temporal.gateway import AppointmentWorkflows

router = APIRouter(prefix="/v1/appointments", tags=["appointments"])


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
    body: AppointmentCreate,
    response: Response,
    repository: RepositoryDep,
    temporal: TemporalConnectionDep,
    settings: SettingsDep,
) -> AppointmentOut:
    """Create the appointment and start its workflow; idempotent on external_id."""
    problem = reachability_problem(body)
    if problem:
        field, why = problem
        location = ("body", "contact", field) if field != "contact" else ("body", "contact")
        value = body.contact.preferred_channel if field == "preferred_channel" else None
        raise invalid_field(location, why, value)
    fingerprint = request_fingerprint(body)
    record, created = await _store_once(repository, body, fingerprint)
    # The row is committed before Temporal is asked: if Temporal is down the client gets a
    # 503, and its retry (same body) finds the row and starts the workflow then.
    workflows = AppointmentWorkflows(await temporal.client(), settings)
    await workflows.start(appointment_details(record))
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return appointment_out(record, progress=None)


@router.get("/{appointment_id}", responses={404: {"model": ErrorOut}})
async def get_appointment(
    appointment_id: str,
    repository: RepositoryDep,
    temporal: TemporalConnectionDep,
    settings: SettingsDep,
) -> AppointmentDetailOut:
    """Details and progress: live from the workflow while it runs, else the DB mirror."""
    record = await _existing(repository, appointment_id)
    try:
        workflows = AppointmentWorkflows(await temporal.client(), settings)
        progress = await workflows.progress(appointment_id)
    except TemporalUnavailable:
        progress = None
    communications = await run_in_threadpool(repository.list_communications, appointment_id)
    summary = appointment_out(record, progress)
    return AppointmentDetailOut(
        **summary.model_dump(), communications=[communication_out(c) for c in communications]
    )


@router.get("/{appointment_id}/communications", responses={404: {"model": ErrorOut}})
async def list_communications(
    appointment_id: str, repository: RepositoryDep
) -> list[CommunicationOut]:
    """Every message of the appointment, oldest first."""
    await _existing(repository, appointment_id)
    communications = await run_in_threadpool(repository.list_communications, appointment_id)
    return [communication_out(c) for c in communications]


async def _existing(repository: ApiRepository, appointment_id: str) -> AppointmentRecord:
    record = await run_in_threadpool(repository.get_appointment, appointment_id)
    if record is None:
        raise NotFound(f"appointment {appointment_id} not found")
    return record


async def _store_once(
    repository: ApiRepository, body: AppointmentCreate, fingerprint: str
) -> tuple[AppointmentRecord, bool]:
    """The appointment row for this external_id, inserted if new; True if inserted now."""
    existing = await run_in_threadpool(repository.find_by_external_id, body.external_id)
    if existing is None:
        appointment_id = new_appointment_id()
        variant = (
            assign_variant(body.experiment.name, appointment_id, tuple(body.experiment.variants))
            if body.experiment
            else None
        )
        row = new_appointment(
            body, appointment_id=appointment_id, fingerprint=fingerprint, experiment_variant=variant
        )
        inserted = await run_in_threadpool(repository.insert_appointment, row)
        if inserted is not None:
            return inserted, True
        # A concurrent request with the same external_id inserted first.
        existing = await run_in_threadpool(repository.find_by_external_id, body.external_id)
        if existing is None:
            raise RuntimeError(f"appointment {body.external_id} vanished after a conflict")
    if existing.request_fingerprint != fingerprint:
        raise Conflict(
            f"external_id {body.external_id!r} was already used with a different request body"
        )
    return existing, False

"""Translations between API bodies, repository records and workflow contracts."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from api.repository import (
    AppointmentRecord,
    CommunicationRecord,
    ContactRecord,
    NewAppointment,
)
from api.schemas import (
    AppointmentCreate,
    AppointmentOut,
    CommunicationOut,
    ContactOut,
    ExperimentOut,
    HostOut,
    InboxMessageOut,
    contact_details,
)
from rebook.core.contracts import (
    AppointmentDetails,
    AppointmentProgress,
    ExperimentAssignment,
    HostDetails,
)
from rebook.core.domain import (
    AppointmentKind,
    AppointmentStatus,
    BookedVia,
)
from rebook.core.names import workflow_id_for


def new_appointment_id() -> str:
    return "apt_" + secrets.token_hex(10)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(10)


def request_fingerprint(body: AppointmentCreate) -> str:
    """sha256 of the canonical JSON of the validated body: defaults filled in, keys sorted,
    so two requests that mean the same thing fingerprint the same."""
    canonical = json.dumps(
        body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def new_appointment(
    body: AppointmentCreate,
    *,
    appointment_id: str,
    fingerprint: str,
    experiment_variant: str | None,
) -> NewAppointment:
    contact = body.contact
    return NewAppointment(
        id=appointment_id,
        external_id=body.external_id,
        request_fingerprint=fingerprint,
        workflow_id=workflow_id_for(appointment_id),
        contact=ContactRecord(
            id=contact.id,
            name=contact.name,
            timezone=contact.timezone,
            email=contact.email,
            phone=contact.phone,
            whatsapp=contact.whatsapp,
            preferred_channel=_optional_str(contact.preferred_channel),
        ),
        host_id=body.host.id,
        host_name=body.host.name,
        host_email=body.host.email,
        kind=body.kind.value,
        topic=body.topic,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        reschedule_url=str(body.reschedule_url),
        booked_via=body.booked_via.value,
        content_url=_optional_str(body.content_url),
        alternative_url=_optional_str(body.alternative_url),
        experiment_name=body.experiment.name if body.experiment else None,
        experiment_variant=experiment_variant,
    )


def appointment_details(
    record: AppointmentRecord, *, starts_at: datetime | None = None
) -> AppointmentDetails:
    """What the workflow is told about the appointment (optionally at a new time)."""
    experiment = None
    if record.experiment_name and record.experiment_variant:
        experiment = ExperimentAssignment(
            name=record.experiment_name, variant=record.experiment_variant
        )
    return AppointmentDetails(
        appointment_id=record.id,
        external_id=record.external_id,
        starts_at=starts_at or record.starts_at,
        duration_minutes=record.duration_minutes,
        kind=AppointmentKind(record.kind),
        topic=record.topic,
        reschedule_url=record.reschedule_url,
        booked_via=BookedVia(record.booked_via),
        contact=contact_details(record.contact),
        host=HostDetails(id=record.host_id, name=record.host_name, email=record.host_email),
        content_url=record.content_url,
        alternative_url=record.alternative_url,
        experiment=experiment,
    )


def appointment_out(
    record: AppointmentRecord, progress: AppointmentProgress | None
) -> AppointmentOut:
    """The appointment as the API shows it: live progress when the workflow answered,
    else the database mirror. Times are shown in the offset the platform booked with."""
    booked_offset = record.starts_at.tzinfo
    contact = record.contact
    if progress is not None:
        status = progress.status
        starts_at = progress.starts_at.astimezone(booked_offset)
        no_show_count = progress.no_show_count
        reschedule_count = progress.reschedule_count
        flagged = progress.flagged
        next_step = progress.next_step
        next_step_at = progress.next_step_at
    else:
        status = AppointmentStatus(record.status)
        starts_at = record.starts_at
        no_show_count = record.no_show_count
        reschedule_count = record.reschedule_count
        flagged = record.flagged
        next_step = record.next_step
        next_step_at = record.next_step_at
    return AppointmentOut(
        id=record.id,
        external_id=record.external_id,
        workflow_id=record.workflow_id,
        starts_at=starts_at,
        duration_minutes=record.duration_minutes,
        kind=AppointmentKind(record.kind),
        topic=record.topic,
        reschedule_url=record.reschedule_url,
        booked_via=BookedVia(record.booked_via),
        content_url=record.content_url,
        alternative_url=record.alternative_url,
        contact=ContactOut.model_validate(contact, from_attributes=True),
        host=HostOut(id=record.host_id, name=record.host_name, email=record.host_email),
        experiment=ExperimentOut(name=record.experiment_name, variant=record.experiment_variant)
        if record.experiment_name and record.experiment_variant
        else None,
        status=status,
        no_show_count=no_show_count,
        reschedule_count=reschedule_count,
        flagged=flagged,
        next_step=next_step,
        next_step_at=next_step_at,
        progress_source="workflow" if progress is not None else "database",
        created_at=record.created_at,
    )


def communication_out(record: CommunicationRecord) -> CommunicationOut:
    # Field names match; pydantic also turns the stored strings into the enums.
    return CommunicationOut.model_validate(record, from_attributes=True)


def inbox_message_out(record: CommunicationRecord) -> InboxMessageOut:
    return InboxMessageOut.model_validate(record, from_attributes=True)


def _optional_str(value: object | None) -> str | None:
    return None if value is None else str(value)

"""Rows a test needs before what it tests: the contact and appointment that messages and
no-shows point at (booked through AppointmentStore, as the API would), and a message
draft to claim with an attempt's lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentDetails
from rebook.core.domain import Channel, Recipient
from rebook.core.ports import Lease
from rebook.core.records import AppointmentRecord, CommunicationDraft
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, WorkspaceId
from rebook.db.models import Appointment, AppointmentEventRow, Contact
from rebook.db.stores import AppointmentStore
from tests.support.factories import appointment, contact

STARTS_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
# The lease of an attempt claiming a message (what deliver_message takes for one attempt).
LEASE = Lease("run-1/act-1#1", timedelta(seconds=30))


def save_appointment(
    sessions: sessionmaker[Session],
    details: AppointmentDetails,
    workspace_id: WorkspaceId = DEFAULT_WORKSPACE_ID,
) -> AppointmentRecord:
    """Book details (and upsert its contact), as for a new create request."""
    record = AppointmentStore(sessions, workspace_id).create(details, fingerprint="0" * 64)
    assert record is not None, f"{details.external_id} was booked already"
    return record


def add_contact(sessions: sessionmaker[Session], contact_id: str = "ct_1") -> str:
    """A contact with no appointment yet (and no address but the name)."""
    with sessions.begin() as session:
        session.add(
            Contact(
                workspace_id=DEFAULT_WORKSPACE_ID,
                id=contact_id,
                name="Ada Lovelace",
                timezone="Europe/London",
            )
        )
    return contact_id


def add_appointment(
    sessions: sessionmaker[Session], appointment_id: str = "apt_1", contact_id: str = "ct_1"
) -> str:
    details = appointment(
        appointment_id=appointment_id,
        external_id=f"ext-{appointment_id}",
        starts_at=STARTS_AT,
        contact=contact(id=contact_id),
    )
    save_appointment(sessions, details)
    return appointment_id


def appointment_ids_for(sessions: sessionmaker[Session], external_id: str) -> list[str]:
    """The ids of the appointments stored for a platform's external_id."""
    with sessions() as session:
        return list(
            session.scalars(select(Appointment.id).where(Appointment.external_id == external_id))
        )


def draft(
    key: str = "apt_1:reminder_email:2026-03-01T15:00:00+00:00:email",
    *,
    appointment_id: str = "apt_1",
    contact_id: str = "ct_1",
    channel: Channel = Channel.EMAIL,
) -> CommunicationDraft:
    return CommunicationDraft(
        idempotency_key=key,
        appointment_id=appointment_id,
        contact_id=contact_id,
        recipient=Recipient.CONTACT,
        step="reminder_email",
        template="reminder",
        channel=channel,
        variant="a",
        to_address="ada@example.com",
        subject="See you tomorrow",
        body="Your demo is tomorrow at 15:00.",
        scheduled_for=STARTS_AT - timedelta(days=1),
    )


def stored_event_ids(sessions: sessionmaker[Session], appointment_id: str) -> list[str]:
    """The event_ids stored for the appointment (events the API accepted and kept)."""
    with sessions() as session:
        return list(
            session.scalars(
                select(AppointmentEventRow.event_id).where(
                    AppointmentEventRow.appointment_id == appointment_id
                )
            )
        )

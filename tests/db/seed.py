"""Minimal parent rows the ledgers' foreign keys need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import Channel, Recipient
from rebook.core.ports import CommunicationDraft
from rebook.db.models import Appointment, Contact

STARTS_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def add_contact(sessions: sessionmaker[Session], contact_id: str = "ct_1") -> str:
    with sessions.begin() as session:
        session.add(Contact(id=contact_id, name="Ada Lovelace", timezone="Europe/London"))
    return contact_id


def add_appointment(
    sessions: sessionmaker[Session], appointment_id: str = "apt_1", contact_id: str = "ct_1"
) -> str:
    with sessions.begin() as session:
        session.add(
            Appointment(
                id=appointment_id,
                external_id=f"ext-{appointment_id}",
                request_fingerprint="0" * 64,
                workflow_id=f"appointment-{appointment_id}",
                contact_id=contact_id,
                host_id="host_1",
                host_name="Grace Hopper",
                kind="demo",
                topic="Product demo",
                starts_at=STARTS_AT,
                duration_minutes=30,
                reschedule_url="https://book.example/r/1",
                booked_via="web",
            )
        )
    return appointment_id


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

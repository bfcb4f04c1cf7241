"""Writes the contact and appointment rows that communications and no-shows point at, for
tests that run activities without going through the API."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentDetails
from rebook.core.names import workflow_id_for
from rebook.db.models import Appointment, Contact


def save_appointment(sessions: sessionmaker[Session], details: AppointmentDetails) -> None:
    contact = details.contact
    with sessions.begin() as session:
        if session.get(Contact, contact.id) is None:
            session.add(
                Contact(
                    id=contact.id,
                    name=contact.name,
                    email=contact.email,
                    phone=contact.phone,
                    whatsapp=contact.whatsapp,
                    preferred_channel=(
                        contact.preferred_channel.value if contact.preferred_channel else None
                    ),
                    timezone=contact.timezone,
                )
            )
            session.flush()  # no ORM relationships, so insert the parent first
        session.add(
            Appointment(
                id=details.appointment_id,
                external_id=details.external_id,
                request_fingerprint="0" * 64,
                workflow_id=workflow_id_for(details.appointment_id),
                contact_id=contact.id,
                host_id=details.host.id,
                host_name=details.host.name,
                host_email=details.host.email,
                kind=details.kind.value,
                topic=details.topic,
                starts_at=details.starts_at,
                duration_minutes=details.duration_minutes,
                reschedule_url=details.reschedule_url,
                booked_via=details.booked_via.value,
            )
        )

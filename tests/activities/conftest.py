"""A migrated SQLite database per test, seeded with tests.factories.appointment(), and the
provider fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.contracts import AppointmentDetails
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from rebook.db.models import Appointment, Contact
from tests.factories import appointment
from tests.fakes.fixtures import fake_sendgrid, fake_twilio

__all__ = ["fake_sendgrid", "fake_twilio", "seeded_appointment", "sessions"]


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'rebook.db'}"
    upgrade_to_head(url)
    engine = create_engine_for(url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def seeded_appointment(sessions: sessionmaker[Session]) -> AppointmentDetails:
    """The appointment and contact rows communications and no-shows point at."""
    details = appointment()
    contact = details.contact
    with sessions.begin() as session:
        session.add(
            Contact(
                id=contact.id,
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
                whatsapp=contact.whatsapp,
                preferred_channel=contact.preferred_channel,
                timezone=contact.timezone,
            )
        )
        session.flush()  # the appointment's foreign key needs the contact first
        session.add(
            Appointment(
                id=details.appointment_id,
                external_id=details.external_id,
                request_fingerprint="0" * 64,
                workflow_id=f"appointment-{details.appointment_id}",
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
    return details

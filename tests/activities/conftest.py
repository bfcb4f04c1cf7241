"""What the activity tests share: the appointment (and contact) rows the activities'
messages and no-shows point at, and the in-memory ledger and email sender of the tests
that need no database (a module's own `ledger` fixture, over SQL, takes precedence)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentDetails
from tests.support.factories import appointment
from tests.support.ports import InMemoryCommunicationLedger, RecordingSender
from tests.support.rows import save_appointment


@pytest.fixture
def seeded_appointment(sessions: sessionmaker[Session]) -> AppointmentDetails:
    details = appointment()
    save_appointment(sessions, details)
    return details


@pytest.fixture
def ledger() -> InMemoryCommunicationLedger:
    return InMemoryCommunicationLedger()


@pytest.fixture
def email() -> RecordingSender:
    return RecordingSender()

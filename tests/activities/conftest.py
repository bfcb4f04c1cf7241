"""The appointment (and contact) rows the activities' messages and no-shows point at."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentDetails
from tests.support.factories import appointment
from tests.support.rows import save_appointment


@pytest.fixture
def seeded_appointment(sessions: sessionmaker[Session]) -> AppointmentDetails:
    details = appointment()
    save_appointment(sessions, details)
    return details

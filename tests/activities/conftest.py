"""A migrated SQLite database per test, seeded with tests.factories.appointment(), and the
provider fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentDetails
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from tests.factories import appointment
from tests.fakes.fixtures import fake_sendgrid, fake_twilio
from tests.support.rows import save_appointment

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
    save_appointment(sessions, details)
    return details

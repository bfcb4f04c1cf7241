"""UTCDateTime stores instants and hands back aware UTC datetimes on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from rebook.db.models import Appointment
from tests.support.rows import add_appointment, add_contact

INDIA = timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 3, 2, 20, 45, 30, 123456, tzinfo=INDIA),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-8))),
    ],
)
def test_aware_datetimes_round_trip_as_the_same_instant_in_utc(
    sessions: sessionmaker[Session], written: datetime
) -> None:
    add_contact(sessions)
    add_appointment(sessions)
    with sessions.begin() as session:
        row = session.get(Appointment, "apt_1")
        assert row is not None
        row.next_step_at = written

    with sessions() as session:
        read = session.get(Appointment, "apt_1")
        assert read is not None
        read_back = read.next_step_at

    assert read_back == written
    assert read_back is not None and read_back.utcoffset() == timedelta(0)
    assert read_back.microsecond == written.microsecond


def test_defaults_are_aware(sessions: sessionmaker[Session]) -> None:
    add_contact(sessions)
    add_appointment(sessions)

    with sessions() as session:
        row = session.get(Appointment, "apt_1")
    assert row is not None
    assert row.created_at.tzinfo is not None
    assert row.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    add_contact(sessions)
    add_appointment(sessions)

    with pytest.raises(StatementError), sessions.begin() as session:
        row = session.get(Appointment, "apt_1")
        assert row is not None
        row.next_step_at = datetime(2026, 3, 2, 15, 0)  # naive on purpose

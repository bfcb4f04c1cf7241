"""AppointmentStore: no-show tallies and the appointment status mirror."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import NoShowRecord, Progress
from rebook.core.domain import AppointmentStatus
from rebook.core.ports import AppointmentLedger, ContactBookings
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Appointment
from rebook.db.stores import AppointmentNotFound, AppointmentStore
from tests.support.factories import appointment, contact
from tests.support.rows import STARTS_AT, add_appointment, add_contact, save_appointment


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> AppointmentStore:
    add_contact(sessions, "ct_1")
    add_contact(sessions, "ct_2")
    add_appointment(sessions, "apt_1", "ct_1")
    add_appointment(sessions, "apt_2", "ct_1")
    add_appointment(sessions, "apt_3", "ct_2")
    return AppointmentStore(sessions, DEFAULT_WORKSPACE_ID)


def _no_show(appointment_id: str, contact_id: str, slot: datetime) -> NoShowRecord:
    return NoShowRecord(
        appointment_id=appointment_id,
        contact_id=contact_id,
        occurrence_key=f"{appointment_id}:{slot.isoformat()}",
        missed_at=slot + timedelta(minutes=15),
    )


def _progress(appointment_id: str = "apt_1", **changes: Any) -> Progress:
    """A missed appointment's progress; each test changes what it checks."""
    base = Progress(
        appointment_id=appointment_id,
        status=AppointmentStatus.MISSED,
        starts_at=STARTS_AT,
        no_show_count=1,
    )
    return replace(base, **changes)


def test_implements_the_port(sessions: sessionmaker[Session]) -> None:
    store: AppointmentLedger = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID)
    assert store is not None


def test_recording_the_same_no_show_twice_counts_once(store: AppointmentStore) -> None:
    miss = _no_show("apt_1", "ct_1", STARTS_AT)

    assert store.record_no_show(miss) == 1
    assert store.record_no_show(miss) == 1


def test_no_show_total_is_per_contact_across_appointments(store: AppointmentStore) -> None:
    later_slot = STARTS_AT + timedelta(days=7)

    assert store.record_no_show(_no_show("apt_1", "ct_1", STARTS_AT)) == 1
    assert store.record_no_show(_no_show("apt_1", "ct_1", later_slot)) == 2
    assert store.record_no_show(_no_show("apt_2", "ct_1", STARTS_AT)) == 3
    # A retried activity replaying an older miss does not inflate the total.
    assert store.record_no_show(_no_show("apt_1", "ct_1", STARTS_AT)) == 3
    # Another contact's misses are counted separately.
    assert store.record_no_show(_no_show("apt_3", "ct_2", STARTS_AT)) == 1


def test_no_show_for_an_unknown_appointment_is_an_error(store: AppointmentStore) -> None:
    with pytest.raises(AppointmentNotFound):
        store.record_no_show(_no_show("apt_missing", "ct_1", STARTS_AT))


def test_record_status_updates_the_mirror_columns(
    store: AppointmentStore, sessions: sessionmaker[Session]
) -> None:
    rescheduled_to = datetime(2026, 3, 9, 10, 30, tzinfo=timezone(timedelta(hours=-5)))
    next_step_at = datetime(2026, 3, 9, 19, 30, tzinfo=UTC)

    store.record_status(
        _progress(
            starts_at=rescheduled_to,
            reschedule_count=2,
            flagged=True,
            next_step="nudge",
            next_step_at=next_step_at,
        )
    )

    with sessions() as session:
        row = session.get(Appointment, "apt_1")
        untouched = session.get(Appointment, "apt_2")
    assert row is not None and untouched is not None
    assert row.status == AppointmentStatus.MISSED.value
    assert row.starts_at == rescheduled_to
    assert row.no_show_count == 1
    assert row.reschedule_count == 2
    assert row.flagged is True
    assert row.next_step == "nudge"
    assert row.next_step_at == next_step_at
    assert untouched.status == AppointmentStatus.SCHEDULED.value


def test_record_status_clears_the_next_step_when_done(
    store: AppointmentStore, sessions: sessionmaker[Session]
) -> None:
    store.record_status(_progress(next_step="nudge", next_step_at=STARTS_AT + timedelta(hours=4)))

    store.record_status(_progress(status=AppointmentStatus.LOST))

    with sessions() as session:
        row = session.get(Appointment, "apt_1")
    assert row is not None
    assert row.status == AppointmentStatus.LOST.value
    assert row.next_step is None
    assert row.next_step_at is None


def test_record_status_of_an_unknown_appointment_is_reported(
    store: AppointmentStore,
) -> None:
    with pytest.raises(AppointmentNotFound):
        store.record_status(_progress("apt_missing", status=AppointmentStatus.ATTENDED))


# ---------------------------------------------------------------------------- playbooks


def test_implements_the_contact_bookings_port(sessions: sessionmaker[Session]) -> None:
    bookings: ContactBookings = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID)
    assert bookings is not None


def test_an_upcoming_appointment_is_another_still_scheduled_one_starting_later(
    store: AppointmentStore,
) -> None:
    before, after = STARTS_AT - timedelta(hours=1), STARTS_AT + timedelta(minutes=1)
    # ct_1 has apt_1 and apt_2 at STARTS_AT; ct_2 only apt_3.
    assert store.has_upcoming_appointment("ct_1", "apt_1", before)
    assert not store.has_upcoming_appointment("ct_1", "apt_1", after)  # started already
    assert not store.has_upcoming_appointment("ct_2", "apt_3", before)  # only this one
    store.record_status(_progress("apt_2", status=AppointmentStatus.CANCELLED))
    assert not store.has_upcoming_appointment("ct_1", "apt_1", before)


def test_the_details_playbooks_use_round_trip(sessions: sessionmaker[Session]) -> None:
    details = appointment(
        appointment_id="apt_rich",
        external_id="ext-rich",
        location="Acme HQ",
        join_url="https://meet.example.com/x",
        instructions="Bring numbers. " * 200,  # long text is fine
        interest="onboarding",
        playbook="demo",
        contact=contact(id="ct_rich", locale="pt-BR"),
    )
    save_appointment(sessions, details)

    stored = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID).get("apt_rich")

    assert stored is not None
    assert stored.details == details

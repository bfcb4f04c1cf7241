from dataclasses import replace
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.records import RecordActivities
from rebook.core.contracts import AppointmentDetails, NoShowRecord, Progress
from rebook.core.domain import AppointmentStatus
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Appointment
from rebook.db.stores import AppointmentStore


def test_a_no_show_recorded_twice_counts_once(
    sessions: sessionmaker[Session], seeded_appointment: AppointmentDetails
):
    activities = RecordActivities(AppointmentStore(sessions, DEFAULT_WORKSPACE_ID))
    miss = NoShowRecord(
        appointment_id=seeded_appointment.appointment_id,
        contact_id=seeded_appointment.contact.id,
        occurrence_key=f"{seeded_appointment.appointment_id}@{seeded_appointment.starts_at}",
        missed_at=seeded_appointment.starts_at + timedelta(minutes=15),
    )
    env = ActivityEnvironment()

    first = env.run(activities.record_no_show, miss)
    retried = env.run(activities.record_no_show, miss)
    later_slot = env.run(
        activities.record_no_show, replace(miss, occurrence_key=miss.occurrence_key + "+7d")
    )

    assert first.contact_no_show_total == 1
    assert retried.contact_no_show_total == 1
    assert later_slot.contact_no_show_total == 2


def test_status_is_mirrored_onto_the_appointment(
    sessions: sessionmaker[Session], seeded_appointment: AppointmentDetails
):
    activities = RecordActivities(AppointmentStore(sessions, DEFAULT_WORKSPACE_ID))
    after_the_miss = seeded_appointment.starts_at + timedelta(hours=4)
    update = Progress(
        seeded_appointment.appointment_id,
        AppointmentStatus.MISSED,
        seeded_appointment.starts_at,
        no_show_count=1,
        next_step="no_show_nudge",
        next_step_at=after_the_miss,
    )

    ack = ActivityEnvironment().run(activities.record_status, update)

    assert ack.ok is True
    with sessions() as session:
        row = session.get(Appointment, seeded_appointment.appointment_id)
        assert row is not None
        assert row.status == AppointmentStatus.MISSED
        assert row.no_show_count == 1
        assert row.next_step == "no_show_nudge"

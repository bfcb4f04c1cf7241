from __future__ import annotations

from datetime import timedelta

from rebook.core.contracts import Progress, SequenceState
from rebook.core.domain import AppointmentStatus
from rebook.core.lifecycle import reopened
from rebook.core.shapes import same_fields
from tests.support.factories import T0


def test_fields_are_taken_by_name_overridden_or_left_at_their_default() -> None:
    state = SequenceState(
        status=AppointmentStatus.MISSED,
        starts_at=T0,
        armed_at=T0 - timedelta(days=1),
        no_show_count=2,
        contact_no_show_total=3,
        reschedule_count=1,
        flagged=True,
        missed_at=T0,
    )

    progress = same_fields(Progress, state, appointment_id="apt_1")

    assert progress == Progress(
        appointment_id="apt_1",
        status=AppointmentStatus.MISSED,
        starts_at=T0,
        no_show_count=2,
        contact_no_show_total=3,
        reschedule_count=1,
        flagged=True,
    )


def test_a_closed_appointment_reopens_scheduled_at_its_last_slot_with_its_counts() -> None:
    lost = Progress(
        "apt_1", AppointmentStatus.LOST, T0, no_show_count=1, contact_no_show_total=2,
        reschedule_count=2, next_step=None,
    )  # fmt: skip
    now = T0 + timedelta(days=9)

    state = reopened(lost, at=now)

    assert (state.status, state.starts_at, state.armed_at) == (AppointmentStatus.SCHEDULED, T0, now)
    assert (state.no_show_count, state.contact_no_show_total) == (1, 2)
    assert (state.reschedule_count, state.flagged) == (2, False)
    assert (state.missed_at, state.completed_steps, state.inbox) == (None, [], [])

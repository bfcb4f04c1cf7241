"""THE key property: for today's sequence, the playbook planner plans exactly what
rebook.sequence plans (step ids, due times, keys, templates, channel orders, recipients),
for any appointment, state and policy, with and without quiet hours (the legacy path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rebook.core import playbook_plan, sequence
from rebook.core.contracts import (
    AppointmentDetails,
    ContactDetails,
    FollowUpPolicy,
    HostDetails,
    SequenceState,
)
from rebook.core.domain import AppointmentKind, AppointmentStatus, BookedVia, Channel
from rebook.core.playbook_legacy import legacy_playbook

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Mars/Olympus",  # unknown zones fall back to UTC in both planners
    "",
]
BASE = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=400 * 24 * 60).map(
    lambda minutes: BASE + timedelta(minutes=minutes)
)
hours = st.integers(min_value=0, max_value=23)
seconds = st.one_of(
    st.sampled_from([0, 60, 3600, 4 * 3600, 24 * 3600, 72 * 3600]),
    st.integers(min_value=0, max_value=30 * 24 * 3600),
)


@st.composite
def appointments(draw: st.DrawFn) -> AppointmentDetails:
    contact = ContactDetails(
        id="con_1",
        name="Ada Lovelace",
        timezone=draw(st.sampled_from(ZONES)),
        email=draw(st.one_of(st.none(), st.just("ada@example.com"))),
        phone=draw(st.one_of(st.none(), st.just("+447700900123"))),
        whatsapp=draw(st.one_of(st.none(), st.just("+447700900456"))),
        preferred_channel=draw(st.one_of(st.none(), st.sampled_from(list(Channel)))),
    )
    return AppointmentDetails(
        appointment_id="apt_1",
        external_id="ext-1",
        starts_at=draw(moments),
        duration_minutes=draw(st.integers(min_value=1, max_value=600)),
        kind=draw(st.sampled_from(list(AppointmentKind))),
        topic="Cutting no-shows",
        reschedule_url="https://book.example.com/r/ext-1",
        booked_via=draw(st.sampled_from(list(BookedVia))),
        contact=contact,
        host=HostDetails(id="host_1", name="Grace Hopper", email="grace@example.com"),
    )


policies = st.builds(
    FollowUpPolicy,
    reminder_email_before_s=seconds,
    reminder_sms_before_s=seconds,
    nudge_after_s=seconds,
    value_content_after_s=seconds,
    alternative_offer_after_s=seconds,
    close_as_lost_after_s=seconds,
    outcome_timeout_s=seconds,
    reschedule_limit=st.integers(min_value=0, max_value=5),
    quiet_hours_start_h=hours,
    quiet_hours_end_h=hours,
)


@st.composite
def states(draw: st.DrawFn, appointment: AppointmentDetails) -> SequenceState:
    starts_at = draw(st.one_of(st.just(appointment.starts_at), moments))
    return SequenceState(
        status=draw(st.sampled_from(list(AppointmentStatus))),
        starts_at=starts_at,
        armed_at=draw(moments),
        no_show_count=draw(st.integers(min_value=0, max_value=3)),
        contact_no_show_total=draw(st.integers(min_value=0, max_value=4)),
        reschedule_count=draw(st.integers(min_value=0, max_value=5)),
        flagged=draw(st.booleans()),
        missed_at=draw(st.one_of(st.none(), moments)),
    )


def comparable_old(step: sequence.PlannedStep) -> tuple[object, ...]:
    template = step.template.value if step.template else None
    return (step.step.value, step.due_at, step.key, template, step.channels, step.recipient)


def comparable_new(step: playbook_plan.PlannedStep) -> tuple[object, ...]:
    return (step.step, step.due_at, step.key, step.template, step.channels, step.recipient)


@settings(max_examples=600, deadline=None)
@given(data=st.data(), policy=policies, quiet_hours=st.booleans())
def test_playbook_planner_plans_what_the_sequence_plans(
    data: st.DataObject, policy: FollowUpPolicy, quiet_hours: bool
) -> None:
    appointment = data.draw(appointments())
    state = data.draw(states(appointment))
    playbook = legacy_playbook(policy)

    old = sequence.plan(appointment, state, policy, quiet_hours=quiet_hours)
    new = playbook_plan.plan(playbook, appointment, state, quiet_hours=quiet_hours)
    assert [comparable_new(s) for s in new] == [comparable_old(s) for s in old]

    # Completed keys (any subset of the plan) leave the same steps pending.
    done = data.draw(st.lists(st.sampled_from([s.key for s in old]), unique=True)) if old else []
    state.completed_steps = done
    old_pending = sequence.pending(appointment, state, policy, quiet_hours=quiet_hours)
    new_pending = playbook_plan.pending(playbook, appointment, state, quiet_hours=quiet_hours)
    assert [comparable_new(s) for s in new_pending] == [comparable_old(s) for s in old_pending]

    now = data.draw(moments)
    notice = playbook_plan.cancellation_notice(playbook, appointment, now)
    assert notice is not None
    assert comparable_new(notice) == comparable_old(sequence.cancellation_notice(appointment, now))


@settings(max_examples=300, deadline=None)
@given(moment=moments, zone=st.sampled_from(ZONES), policy=policies)
def test_quiet_hours_move_the_same_moments(
    moment: datetime, zone: str, policy: FollowUpPolicy
) -> None:
    quiet = legacy_playbook(policy).policy.quiet_hours
    assert playbook_plan.outside_quiet_hours(moment, zone, quiet) == sequence.outside_quiet_hours(
        moment, zone, policy
    )

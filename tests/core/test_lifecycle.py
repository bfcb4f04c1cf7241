from datetime import timedelta

from rebook.core.contracts import FollowUpPolicy
from rebook.core.domain import AppointmentStatus, EventType
from rebook.core.lifecycle import apply_event
from tests.support.factories import T0, appointment, event, state_for

POLICY = FollowUpPolicy(reschedule_limit=2)


def fresh():
    return state_for(appointment())


def test_missed_starts_follow_up_once():
    state = fresh()
    first = apply_event(state, event(EventType.MISSED, T0), POLICY, T0)
    assert first.accepted and first.record_no_show
    assert state.status is AppointmentStatus.MISSED
    assert state.missed_at == T0
    again = apply_event(state, event(EventType.MISSED, T0), POLICY, T0)
    assert not again.accepted
    assert state.no_show_count == 1


def test_same_event_id_is_applied_once():
    state = fresh()
    missed = event(EventType.MISSED)
    assert apply_event(state, missed, POLICY, T0).accepted
    reschedule = event(EventType.RESCHEDULED, new_starts_at=T0 + timedelta(days=5))
    assert apply_event(state, reschedule, POLICY, T0).accepted
    assert not apply_event(state, reschedule, POLICY, T0).accepted
    assert state.reschedule_count == 1


def test_reschedule_rearms_and_flags_beyond_the_limit():
    state = fresh()
    for n in range(1, 4):
        decision = apply_event(
            state,
            event(EventType.RESCHEDULED, new_starts_at=T0 + timedelta(days=3 + n)),
            POLICY,
            T0 + timedelta(hours=n),
        )
        assert decision.rearm
        assert state.armed_at == T0 + timedelta(hours=n)
        assert state.flagged is (n > POLICY.reschedule_limit)
    assert state.reschedule_count == 3
    assert state.status is AppointmentStatus.SCHEDULED


def test_reschedule_after_a_miss_returns_to_scheduled():
    state = fresh()
    apply_event(state, event(EventType.MISSED), POLICY, T0)
    new_time = T0 + timedelta(days=6)
    assert apply_event(
        state, event(EventType.RESCHEDULED, new_starts_at=new_time), POLICY, T0
    ).rearm
    assert state.status is AppointmentStatus.SCHEDULED
    assert state.missed_at is None
    assert state.starts_at == new_time
    assert state.no_show_count == 1


def test_rescheduling_to_the_same_time_is_a_duplicate():
    state = fresh()
    same = event(EventType.RESCHEDULED, new_starts_at=state.starts_at)
    assert not apply_event(state, same, POLICY, T0).accepted
    assert state.reschedule_count == 0


def test_final_states_ignore_later_events():
    state = fresh()
    assert apply_event(state, event(EventType.CANCELLED), POLICY, T0).send_cancellation_notice
    for kind in EventType:
        assert not apply_event(
            state, event(kind, new_starts_at=T0 + timedelta(days=9)), POLICY, T0
        ).accepted
    assert state.status is AppointmentStatus.CANCELLED


def test_attended_corrects_a_mistaken_miss():
    state = fresh()
    apply_event(state, event(EventType.MISSED), POLICY, T0)
    assert apply_event(state, event(EventType.ATTENDED), POLICY, T0).accepted
    assert state.status is AppointmentStatus.ATTENDED


def test_report_about_the_slot_before_a_reschedule_is_stale():
    state = fresh()
    apply_event(
        state,
        event(
            EventType.RESCHEDULED,
            new_starts_at=T0 + timedelta(days=7),
            occurred_at=T0 + timedelta(hours=2),
        ),
        POLICY,
        T0 + timedelta(hours=2),
    )
    late_miss = event(EventType.MISSED, occurred_at=T0 + timedelta(hours=1))
    assert not apply_event(state, late_miss, POLICY, T0 + timedelta(hours=3)).accepted
    assert state.status is AppointmentStatus.SCHEDULED


def test_rescheduled_without_new_time_is_ignored():
    state = fresh()
    assert not apply_event(state, event(EventType.RESCHEDULED), POLICY, T0).accepted


def test_a_reply_is_kept_without_changing_the_status():
    state = fresh()
    apply_event(state, event(EventType.MISSED), POLICY, T0)
    reply = event(EventType.REPLIED, at=T0 + timedelta(hours=2))
    decision = apply_event(state, reply, POLICY, T0 + timedelta(hours=2))
    assert decision.accepted and not decision.rearm and not decision.record_no_show
    assert state.status is AppointmentStatus.MISSED
    assert state.replied_at == T0 + timedelta(hours=2)
    # When it happened, per the platform, wins over when it arrived.
    late = event(EventType.REPLIED, at=T0 + timedelta(hours=5), occurred_at=T0 + timedelta(hours=3))
    apply_event(state, late, POLICY, T0 + timedelta(hours=5))
    assert state.replied_at == T0 + timedelta(hours=3)

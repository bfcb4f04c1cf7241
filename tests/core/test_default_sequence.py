"""The default sequence, planned from the playbook today's behaviour became (equal to the
shipped default playbook: tests/playbooks/test_shipped.py)."""

from datetime import timedelta

from rebook.core.contracts import FollowUpPolicy
from rebook.core.domain import AppointmentStatus, BookedVia, Channel
from rebook.core.playbook_legacy import legacy_playbook
from rebook.core.playbook_plan import pending as pending_of
from rebook.core.playbook_plan import plan as plan_of
from rebook.core.playbook_plan import step_key
from rebook.core.steps import Step, Template
from tests.support.factories import T0, appointment, contact, state_for

POLICY = FollowUpPolicy()


def plan(details, state, policy, **options):
    return plan_of(legacy_playbook(policy), details, state, **options)


def pending(details, state, policy):
    return pending_of(legacy_playbook(policy), details, state)


def steps_of(planned):
    return [s.step for s in planned]


def test_scheduled_phase_confirms_then_reminds_email_24h_and_sms_1h_before():
    details = appointment()
    planned = plan(details, state_for(details), POLICY)
    assert steps_of(planned) == [
        Step.CONFIRMATION,
        Step.REMINDER_24H,
        Step.REMINDER_1H,
        Step.OUTCOME_DEADLINE,
    ]
    by_step = {s.step: s for s in planned}
    assert by_step[Step.CONFIRMATION].due_at == T0
    assert by_step[Step.CONFIRMATION].template == Template.BOOKING_CONFIRMATION
    assert by_step[Step.REMINDER_24H].due_at == details.starts_at - timedelta(hours=24)
    assert by_step[Step.REMINDER_24H].channels[0] is Channel.EMAIL
    assert by_step[Step.REMINDER_1H].due_at == details.starts_at - timedelta(hours=1)
    assert by_step[Step.REMINDER_1H].channels[0] is Channel.SMS


def test_reminders_already_past_when_booked_are_skipped():
    details = appointment(starts_at=T0 + timedelta(minutes=90))
    assert steps_of(plan(details, state_for(details), POLICY)) == [
        Step.CONFIRMATION,
        Step.REMINDER_1H,
        Step.OUTCOME_DEADLINE,
    ]
    soon = appointment(starts_at=T0 + timedelta(minutes=20))
    assert Step.REMINDER_1H not in steps_of(plan(soon, state_for(soon), POLICY))


def test_whatsapp_booking_gets_whatsapp_first_for_short_messages_and_follow_up():
    details = appointment(booked_via=BookedVia.WHATSAPP, contact=contact(preferred_channel=None))
    by_step = {s.step: s for s in plan(details, state_for(details), POLICY)}
    assert by_step[Step.REMINDER_1H].channels[0] is Channel.WHATSAPP
    missed = state_for(details, status=AppointmentStatus.MISSED, missed_at=details.starts_at)
    follow = {s.step: s for s in plan(details, missed, POLICY)}
    assert follow[Step.NO_SHOW_FOLLOWUP].channels[0] is Channel.WHATSAPP
    # the nudge goes out on the other channel
    assert follow[Step.NO_SHOW_NUDGE].channels[0] is Channel.EMAIL


def test_follow_up_phase_timeline_from_the_miss():
    details = appointment()
    missed_at = details.starts_at + timedelta(minutes=10)
    state = state_for(details, status=AppointmentStatus.MISSED, missed_at=missed_at)
    planned = plan(details, state, POLICY)
    assert [(s.step, s.due_at - missed_at) for s in planned] == [
        (Step.NO_SHOW_FOLLOWUP, timedelta(0)),
        (Step.NO_SHOW_NUDGE, timedelta(hours=4)),
        (Step.VALUE_CONTENT, timedelta(hours=24)),
        (Step.ALTERNATIVE_OFFER, timedelta(hours=72)),
        (Step.CLOSE_AS_LOST, timedelta(days=7)),
    ]
    assert planned[0].channels[0] is Channel.EMAIL  # preferred
    assert planned[1].channels[0] is Channel.SMS  # the other channel


def test_completed_steps_are_not_pending_and_keys_ignore_offset_spelling():
    details = appointment()
    state = state_for(details)
    state.completed_steps.append(step_key(Step.CONFIRMATION, details.starts_at))
    assert Step.CONFIRMATION not in steps_of(pending(details, state, POLICY))
    from datetime import timezone

    plus_two = details.starts_at.astimezone(timezone(timedelta(hours=2)))
    assert step_key(Step.CONFIRMATION, plus_two) == step_key(Step.CONFIRMATION, details.starts_at)


def test_flagged_schedule_alerts_the_host_by_email():
    details = appointment()
    state = state_for(details, flagged=True, reschedule_count=4)
    alert = next(s for s in plan(details, state, POLICY) if s.step == Step.HOST_RESCHEDULE_ALERT)
    assert alert.channels == (Channel.EMAIL,)
    assert alert.recipient.value == "host"
    confirmation = next(s for s in plan(details, state, POLICY) if s.step == Step.CONFIRMATION)
    assert confirmation.template == Template.RESCHEDULE_CONFIRMATION


def test_final_statuses_plan_nothing():
    details = appointment()
    for status in (AppointmentStatus.ATTENDED, AppointmentStatus.CANCELLED, AppointmentStatus.LOST):
        assert plan(details, state_for(details, status=status), POLICY) == []


def test_quiet_hours_move_a_night_time_step_to_the_contacts_morning():
    from datetime import UTC, datetime

    from rebook.core.playbook_plan import outside_quiet_hours

    quiet = legacy_playbook(POLICY).policy.quiet_hours
    # 22:30 in New York (EST, UTC-5) is quiet: it waits for 08:00 there next morning.
    night = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    assert outside_quiet_hours(night, "America/New_York", quiet) == datetime(
        2026, 12, 1, 13, 0, tzinfo=UTC
    )
    # 06:00 local is still quiet: 08:00 the same day.
    early = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert outside_quiet_hours(early, "America/New_York", quiet) == datetime(
        2026, 12, 1, 13, 0, tzinfo=UTC
    )
    # Daytime passes through untouched, and equal bounds switch the rule off.
    noon = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert outside_quiet_hours(noon, "America/New_York", quiet) == noon
    off = FollowUpPolicy(quiet_hours_start_h=0, quiet_hours_end_h=0)
    assert (
        outside_quiet_hours(night, "America/New_York", legacy_playbook(off).policy.quiet_hours)
        == night
    )


def test_quiet_hours_apply_to_later_follow_ups_but_not_the_first():
    details = appointment(contact=contact(timezone="Asia/Tokyo"))
    # Missed at 20:00 Tokyo (11:00 UTC): the +4 h nudge (midnight) waits until 08:00.
    missed_at = details.starts_at.replace(hour=11, minute=0)
    state = state_for(details, status=AppointmentStatus.MISSED, missed_at=missed_at)
    by_step = {s.step: s for s in plan(details, state, POLICY)}
    assert by_step[Step.NO_SHOW_FOLLOWUP].due_at == missed_at
    assert by_step[Step.NO_SHOW_NUDGE].due_at == missed_at + timedelta(hours=12)
    unpatched = {s.step: s for s in plan(details, state, POLICY, quiet_hours=False)}
    assert unpatched[Step.NO_SHOW_NUDGE].due_at == missed_at + timedelta(hours=4)

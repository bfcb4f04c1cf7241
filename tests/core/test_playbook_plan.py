"""What playbooks add to the sequence: any number of steps, channel choices, segments,
anticipation steps after a reschedule, attended steps, stop conditions, frequency caps;
and the playbook travels through Temporal's data converter unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.converter import DataConverter

from rebook.core.contracts import FollowUpPolicy
from rebook.core.domain import AppointmentStatus, BookedVia, Channel, Recipient
from rebook.core.playbook import (
    ChannelChoice,
    FrequencyCap,
    Phases,
    Playbook,
    PlaybookStep,
    QuietHours,
    RescheduledPhase,
    Segment,
    StepAction,
    StopCondition,
)
from rebook.core.playbook_legacy import legacy_playbook
from rebook.core.playbook_plan import (
    StopFacts,
    cancellation_notice,
    due_of,
    frequency_cap_defers_until,
    outside_quiet_hours,
    pending,
    plan,
    possible_channels,
    progress_of,
    replied_since_miss,
    stop_reason,
)
from tests.playbooks.support import shipped
from tests.support.factories import T0, appointment, contact, state_for

BASE = legacy_playbook(FollowUpPolicy())
WHATSAPP_CONTACT = appointment(
    booked_via=BookedVia.WHATSAPP, contact=contact(preferred_channel=None, whatsapp="+4479")
)


def step(id: str, offset_h: float = 0, *channels: ChannelChoice, **changes: object) -> PlaybookStep:
    base = PlaybookStep(id, id, int(offset_h * 3600), channels or (ChannelChoice.PREFERRED,))
    return replace(base, **changes)  # type: ignore[arg-type]


def with_missed(*steps: PlaybookStep, **policy: object) -> Playbook:
    return replace(
        BASE,
        phases=replace(BASE.phases, missed=steps),
        policy=replace(BASE.policy, **policy),  # type: ignore[arg-type]
    )


def missed_state(details, total: int = 1):
    return state_for(
        details,
        status=AppointmentStatus.MISSED,
        missed_at=details.starts_at,
        contact_no_show_total=total,
    )


def test_channel_choices_resolve_for_the_contact() -> None:
    playbook = with_missed(
        step("lead", 0, ChannelChoice.PREFERRED),
        step("away", 1, ChannelChoice.OTHER),
        step("text", 2, ChannelChoice.SMS_OR_WHATSAPP),
        step("only_whatsapp", 3, ChannelChoice.WHATSAPP, fallback=False),
        step("only_in_app", 4, ChannelChoice.IN_APP, fallback=False),
        step("back_again", 5, ChannelChoice.OTHER, fallback=False),
    )
    planned = {
        s.step: s.channels for s in plan(playbook, WHATSAPP_CONTACT, missed_state(WHATSAPP_CONTACT))
    }
    assert planned["lead"] == (Channel.WHATSAPP, Channel.EMAIL, Channel.SMS)
    assert planned["away"] == (Channel.EMAIL, Channel.WHATSAPP, Channel.SMS)
    assert planned["text"] == (Channel.WHATSAPP, Channel.EMAIL, Channel.SMS)
    assert planned["only_whatsapp"] == (Channel.WHATSAPP,)
    assert planned["only_in_app"] == ()  # not booked in the app: unreachable there
    # `other` moves away from the previous step's lead (in_app had none: WhatsApp's
    # `only_whatsapp` led), and without fallback keeps only the other families.
    assert planned["back_again"] == (Channel.EMAIL,)


def test_segment_filters_follow_ups() -> None:
    playbook = with_missed(
        step("gentle", 0, segment=Segment.FIRST),
        step("firm", 0, segment=Segment.REPEAT),
        step("everyone", 1),
    )
    details = appointment()
    first = [s.step for s in plan(playbook, details, missed_state(details, total=1))]
    repeat = [s.step for s in plan(playbook, details, missed_state(details, total=2))]
    assert first == ["gentle", "everyone", "close_as_lost"]
    assert repeat == ["firm", "everyone", "close_as_lost"]


def test_rescheduled_phase_adds_anticipation_steps_and_keeps_reminders() -> None:
    reading = step("reading_list", 48, ChannelChoice.EMAIL)
    playbook = replace(
        BASE,
        phases=replace(
            BASE.phases,
            rescheduled=replace(BASE.phases.rescheduled, confirmation=None, steps=(reading,)),
        ),
    )
    details = appointment(starts_at=T0 + timedelta(days=5))
    booked = [s.step for s in plan(playbook, details, state_for(details))]
    moved = plan(playbook, details, state_for(details, reschedule_count=1))
    assert "reading_list" not in booked
    assert [s.step for s in moved] == [
        "confirmation",
        "reading_list",
        "reminder_24h",
        "reminder_1h",
        "outcome_deadline",
    ]
    # With no confirmation of its own, the booking confirmation is reused.
    assert moved[0].template == "booking_confirmation"
    assert all(s.skip_once_started for s in moved[1:4])
    assert moved[1].due_at == details.starts_at - timedelta(hours=48)


def test_attended_steps_follow_the_scheduled_end_and_respect_quiet_hours() -> None:
    playbook = replace(
        BASE,
        phases=replace(BASE.phases, attended=(step("thank_you", 2, ChannelChoice.EMAIL),)),
    )
    # Ends 21:30 in London: +2 h is 23:30, held until 08:00.
    details = appointment(starts_at=datetime(2026, 12, 1, 21, 0, tzinfo=UTC))
    [thanks] = plan(playbook, details, state_for(details, status=AppointmentStatus.ATTENDED))
    assert thanks.due_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert thanks.key == f"thank_you@{thanks.due_at.isoformat()}"


def test_quiet_hours_to_the_minute() -> None:
    quiet = QuietHours(20 * 60 + 30, 8 * 60 + 15)
    assert outside_quiet_hours(datetime(2026, 12, 1, 20, 29, tzinfo=UTC), "UTC", quiet) == (
        datetime(2026, 12, 1, 20, 29, tzinfo=UTC)
    )
    assert outside_quiet_hours(datetime(2026, 12, 1, 20, 30, tzinfo=UTC), "UTC", quiet) == (
        datetime(2026, 12, 2, 8, 15, tzinfo=UTC)
    )
    assert outside_quiet_hours(datetime(2026, 12, 2, 8, 14, tzinfo=UTC), "UTC", None) == (
        datetime(2026, 12, 2, 8, 14, tzinfo=UTC)
    )


def test_silent_steps_say_what_they_do() -> None:
    details = appointment()
    missed = plan(BASE, details, missed_state(details))
    scheduled = plan(BASE, details, state_for(details))
    assert missed[-1].action is StepAction.CLOSE_AS_LOST and missed[-1].template is None
    assert scheduled[-1].action is StepAction.EXPIRE
    assert all(s.action is StepAction.SEND for s in missed[:-1])


def test_host_steps_use_their_listed_channels_only() -> None:
    alert = BASE.phases.rescheduled.host_alert
    assert alert is not None and alert.recipient is Recipient.HOST
    assert possible_channels(alert) == (Channel.EMAIL,)
    assert possible_channels(step("x", 0, ChannelChoice.SMS_OR_WHATSAPP, fallback=False)) == (
        Channel.SMS,
        Channel.WHATSAPP,
    )


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (StopFacts(), None),
        (StopFacts(replied=True), StopCondition.REPLIED),
        (StopFacts(opted_out=True, rebooked=True), StopCondition.REBOOKED),
    ],
)
def test_stop_conditions(facts: StopFacts, reason: StopCondition | None) -> None:
    playbook = with_missed(
        step("nudge", 1, stop_when=(StopCondition.REBOOKED, StopCondition.REPLIED))
    )
    details = appointment()
    nudge = plan(playbook, details, missed_state(details))[0]
    assert stop_reason(nudge.stop_when, facts) == reason


def test_frequency_cap_defers_rather_than_drops() -> None:
    cap = FrequencyCap(2, 86400)
    now = T0
    sent = [now - timedelta(hours=20), now - timedelta(hours=3), now - timedelta(days=2)]
    # Two inside the rolling day: wait until the older of them leaves the window.
    assert frequency_cap_defers_until(cap, sent, now) == now + timedelta(hours=4)
    assert frequency_cap_defers_until(cap, sent[1:], now) is None
    assert frequency_cap_defers_until(None, sent * 10, now) is None


def test_a_deferred_step_moves_back_in_the_pending_order_and_in_progress() -> None:
    details = appointment()
    state = state_for(details)
    [confirmation, reminder_24h, reminder_1h, _deadline] = pending(BASE, details, state)
    # The 24 h reminder held until after the 1 h one is due.
    state.deferred[reminder_24h.key] = reminder_1h.due_at + timedelta(minutes=5)
    state.completed_steps.append(confirmation.key)
    upcoming = pending(BASE, details, state)
    assert [s.step for s in upcoming[:2]] == ["reminder_1h", "reminder_24h"]
    assert due_of(upcoming[1], state) == reminder_1h.due_at + timedelta(minutes=5)
    assert upcoming[1].due_at == reminder_24h.due_at  # the plan itself is unchanged
    state.completed_steps.append(reminder_1h.key)
    progress = progress_of(details, state, pending(BASE, details, state))
    assert (progress.next_step, progress.next_step_at) == (
        "reminder_24h",
        state.deferred[reminder_24h.key],
    )


def test_steps_that_answer_an_event_are_marked() -> None:
    details = appointment()
    flagged = state_for(details, flagged=True, reschedule_count=4)
    answers = {s.step: s.answers_event for s in plan(BASE, details, flagged)}
    assert answers == {
        "confirmation": True,
        "host_reschedule_alert": True,
        "reminder_24h": False,
        "reminder_1h": False,
        "outcome_deadline": False,
    }
    notice = cancellation_notice(BASE, details, T0)
    assert notice is not None and notice.answers_event
    missed = plan(BASE, details, missed_state(details))
    assert not any(s.answers_event for s in missed)


def test_replied_counts_only_after_the_miss() -> None:
    details = appointment()
    state = missed_state(details)
    assert not replied_since_miss(state)
    state.replied_at = details.starts_at - timedelta(hours=1)  # answered a reminder
    assert not replied_since_miss(state)
    state.replied_at = details.starts_at + timedelta(minutes=5)
    assert replied_since_miss(state)


@pytest.mark.parametrize("name", ["default", "demo", "whatsapp_first"])
def test_playbooks_travel_through_temporals_data_converter(name: str) -> None:
    playbook = shipped(name).playbook
    converter = DataConverter.default.payload_converter
    [payload] = converter.to_payloads([playbook])
    [back] = converter.from_payloads([payload], [Playbook])
    assert back == playbook
    assert isinstance(back.phases, Phases)
    assert isinstance(back.phases.rescheduled, RescheduledPhase)

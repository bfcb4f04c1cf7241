"""Appointment timelines on the time-skipping Temporal server, with the real activities,
a real SQLite ledger and the embedded outbox, on the default playbook (pinned without quiet
hours unless a test says otherwise). Their committed histories are the `pb-` files in
histories/; the others were recorded before playbooks and must keep replaying."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from temporalio.client import WorkflowExecutionStatus

from rebook.core.contracts import Progress
from rebook.core.domain import AppointmentStatus, BookedVia, EventType
from rebook.core.names import PROGRESS_QUERY
from rebook.core.search_attributes import APPOINTMENT_STATUS, NO_SHOW_COUNT, RESCHEDULE_COUNT
from tests.support.factories import contact
from tests.support.harness import Harness, default_without_quiet_hours


async def test_confirmation_then_email_24h_and_sms_1h_before(harness: Harness) -> None:
    details = await harness.booked("apt_reminders", timedelta(days=3))
    handle = await harness.start(details)

    await harness.env.sleep(timedelta(days=2) - timedelta(minutes=1))
    assert harness.steps_sent(details.appointment_id) == [("confirmation", "email")]

    await harness.env.sleep(timedelta(minutes=2))
    assert harness.steps_sent(details.appointment_id)[-1] == ("reminder_24h", "email")

    await harness.env.sleep(timedelta(hours=23))
    sent = harness.sent(details.appointment_id)
    assert [(s.step, s.channel) for s in sent] == [
        ("confirmation", "email"),
        ("reminder_24h", "email"),
        ("reminder_1h", "sms"),
    ]
    assert sent[1].scheduled_for == details.starts_at - timedelta(hours=24)
    assert sent[2].scheduled_for == details.starts_at - timedelta(hours=1)
    assert all(s.status == "recorded" for s in sent)  # embedded outbox
    assert sent[0].template == "booking_confirmation"

    await harness.signal(handle, EventType.ATTENDED)
    outcome = await handle.result()
    assert outcome == Progress(
        appointment_id=details.appointment_id,
        status=AppointmentStatus.ATTENDED,
        starts_at=details.starts_at,
        no_show_count=0,
        reschedule_count=0,
        flagged=False,
    )
    assert len(harness.sent(details.appointment_id)) == 3
    await harness.archive(handle, "pb-reminders_then_attended")


async def test_reminders_already_past_are_skipped(harness: Harness) -> None:
    details = await harness.booked("apt_soon", timedelta(minutes=30))
    handle = await harness.start(details)
    await harness.env.sleep(timedelta(minutes=40))
    await harness.signal(handle, EventType.ATTENDED)
    await handle.result()
    assert harness.steps_sent(details.appointment_id) == [("confirmation", "email")]


async def test_missed_runs_the_full_sequence_then_closes_as_lost(harness: Harness) -> None:
    details = await harness.booked("apt_missed", timedelta(hours=2))
    handle = await harness.start(details)
    await harness.env.sleep(timedelta(hours=2, minutes=10))
    missed = await harness.signal(handle, EventType.MISSED)
    await harness.env.sleep(timedelta(seconds=5))

    follow_up = [s for s in harness.sent(details.appointment_id) if s.step == "no_show_followup"]
    assert len(follow_up) == 1
    assert follow_up[0].scheduled_for == missed.received_at  # immediate, not minutes later
    assert details.reschedule_url in follow_up[0].body

    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert attributes.get(APPOINTMENT_STATUS) == "missed"
    assert attributes.get(NO_SHOW_COUNT) == 1

    outcome = await handle.result()
    assert outcome.status is AppointmentStatus.LOST
    sent = harness.sent(details.appointment_id)
    after_miss = [(s.step, s.channel) for s in sent if s.scheduled_for >= missed.received_at]
    assert after_miss == [
        ("no_show_followup", "email"),
        ("no_show_nudge", "sms"),
        ("value_content", "email"),
        ("alternative_offer", "email"),
    ]
    nudge = next(s for s in sent if s.step == "no_show_nudge")
    assert nudge.scheduled_for - missed.received_at == timedelta(hours=4)
    await harness.archive(handle, "pb-missed_to_lost")


async def test_whatsapp_booking_follows_up_on_whatsapp_first(harness: Harness) -> None:
    details = await harness.booked(
        "apt_wa",
        timedelta(hours=3),
        booked_via=BookedVia.WHATSAPP,
        contact=contact(id="con_wa", whatsapp="+447700900555", preferred_channel=None),
    )
    handle = await harness.start(details)
    await harness.env.sleep(timedelta(hours=3, minutes=5))
    await harness.signal(handle, EventType.MISSED)
    await harness.env.sleep(timedelta(seconds=5))
    steps = harness.steps_sent(details.appointment_id)
    assert ("reminder_1h", "whatsapp") in steps
    assert steps[-1] == ("no_show_followup", "whatsapp")
    await harness.signal(handle, EventType.CANCELLED)
    await handle.result()


async def test_repeat_no_show_gets_a_firmer_message(harness: Harness) -> None:
    repeat_contact = contact(id="con_repeat")
    first = await harness.booked("apt_first_miss", timedelta(hours=1), contact=repeat_contact)
    second = await harness.booked("apt_second_miss", timedelta(hours=1), contact=repeat_contact)
    h1 = await harness.start(first)
    h2 = await harness.start(second)
    await harness.env.sleep(timedelta(hours=1, minutes=5))
    await harness.signal(h1, EventType.MISSED)
    await harness.env.sleep(timedelta(seconds=5))
    await harness.signal(h2, EventType.MISSED)
    await harness.env.sleep(timedelta(seconds=5))

    assert (await harness.progress(h1)).contact_no_show_total == 1
    assert (await harness.progress(h2)).contact_no_show_total == 2
    first_msg = next(s for s in harness.sent(first.appointment_id) if s.step == "no_show_followup")
    repeat_msg = next(
        s for s in harness.sent(second.appointment_id) if s.step == "no_show_followup"
    )
    assert first_msg.body != repeat_msg.body
    assert "confirm" in repeat_msg.body.lower()
    for handle in (h1, h2):
        await harness.signal(handle, EventType.CANCELLED)
        await handle.result()


async def test_reschedule_after_a_miss_cancels_pending_follow_ups_and_rearms(
    harness: Harness,
) -> None:
    details = await harness.booked("apt_resched", timedelta(hours=2))
    handle = await harness.start(details)
    await harness.env.sleep(timedelta(hours=2, minutes=15))
    await harness.signal(handle, EventType.MISSED)
    await harness.env.sleep(timedelta(hours=1))
    new_time = (await harness.now()) + timedelta(days=2)
    await harness.signal(handle, EventType.RESCHEDULED, new_starts_at=new_time)
    await harness.env.sleep(timedelta(seconds=10))

    progress = await harness.progress(handle)
    assert progress.status is AppointmentStatus.SCHEDULED
    assert progress.reschedule_count == 1
    assert progress.no_show_count == 1
    assert progress.starts_at == new_time
    assert progress.next_step == "reminder_24h"
    assert progress.next_step_at == new_time - timedelta(hours=24)

    await harness.env.sleep(timedelta(days=2) - timedelta(minutes=30))
    steps = [s.step for s in harness.sent(details.appointment_id)]
    assert "no_show_nudge" not in steps  # pending follow-ups were cancelled
    assert steps[-3:] == ["confirmation", "reminder_24h", "reminder_1h"]
    reconfirmation = [s for s in harness.sent(details.appointment_id) if s.step == "confirmation"]
    assert reconfirmation[-1].template == "reschedule_confirmation"

    await harness.signal(handle, EventType.ATTENDED)
    outcome = await handle.result()
    assert outcome.status is AppointmentStatus.ATTENDED
    assert outcome.reschedule_count == 1
    await harness.archive(handle, "pb-missed_rescheduled_attended")


async def test_many_reschedules_flag_tell_the_host_and_keep_history_bounded(
    harness: Harness,
) -> None:
    details = await harness.booked("apt_many", timedelta(days=10))
    playbook = default_without_quiet_hours()
    assert playbook.policy.reschedule_limit == 3
    handle = await harness.start(details, playbook)
    first_run = (await handle.describe()).run_id
    for n in range(1, 9):
        await harness.env.sleep(timedelta(hours=1))
        await harness.signal(
            handle, EventType.RESCHEDULED, new_starts_at=details.starts_at + timedelta(days=n)
        )
    await harness.env.sleep(timedelta(seconds=10))

    progress = await harness.progress(handle)
    assert progress.reschedule_count == 8
    assert progress.flagged is True

    latest = harness.latest(handle)
    description = await latest.describe()
    assert description.run_id != first_run  # continued as new
    assert description.typed_search_attributes.get(RESCHEDULE_COUNT) == 8
    history = await latest.fetch_history()
    assert len(history.events) < 60  # one schedule's worth, not eight

    host_alerts = [s for s in harness.sent(details.appointment_id) if s.recipient == "host"]
    assert len(host_alerts) == 5  # reschedules 4..8 exceed the limit of 3
    assert all(s.step == "host_reschedule_alert" for s in host_alerts)
    confirmations = [s for s in harness.sent(details.appointment_id) if s.step == "confirmation"]
    assert len(confirmations) == 9  # the booking plus one per new time

    await harness.signal(handle, EventType.CANCELLED)
    outcome = await latest.result()
    assert outcome.status is AppointmentStatus.CANCELLED
    assert outcome.flagged is True
    await harness.archive(handle, "pb-many_reschedules")


async def test_cancelled_sends_a_notice_and_stops(harness: Harness) -> None:
    details = await harness.booked("apt_cancel", timedelta(days=3))
    handle = await harness.start(details)
    await harness.env.sleep(timedelta(hours=1))
    await harness.signal(handle, EventType.CANCELLED, reason="client asked")
    outcome = await handle.result()
    assert outcome.status is AppointmentStatus.CANCELLED
    assert harness.steps_sent(details.appointment_id) == [
        ("confirmation", "email"),
        ("cancellation_notice", "email"),
    ]
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    await harness.archive(handle, "pb-cancelled")


async def test_duplicate_and_late_signals_are_harmless(harness: Harness) -> None:
    details = await harness.booked("apt_dupes", timedelta(hours=1))
    handle = await harness.start(details)
    await harness.env.sleep(timedelta(hours=1, minutes=5))
    missed = await harness.signal(handle, EventType.MISSED, event_id="platform-evt-1")
    await harness.signal(
        handle, EventType.MISSED, event_id="platform-evt-1", received_at=missed.received_at
    )
    await harness.signal(handle, EventType.MISSED, event_id="platform-evt-2")
    await harness.env.sleep(timedelta(seconds=5))
    progress = await harness.progress(handle)
    assert progress.no_show_count == 1
    follow_ups = [s for s in harness.sent(details.appointment_id) if s.step == "no_show_followup"]
    assert len(follow_ups) == 1

    await harness.signal(handle, EventType.ATTENDED)
    await handle.result()
    # after the workflow closed, nothing more is sent
    assert [s.step for s in harness.sent(details.appointment_id)].count("no_show_followup") == 1


async def test_no_outcome_reported_expires(harness: Harness) -> None:
    details = await harness.booked("apt_silent", timedelta(hours=2))
    playbook = default_without_quiet_hours()
    quick = replace(playbook, timing=replace(playbook.timing, outcome_deadline_after_end_s=3600))
    handle = await harness.start(details, quick)
    outcome = await handle.result()
    assert outcome.status is AppointmentStatus.EXPIRED


async def test_later_follow_ups_wait_for_the_contacts_morning(harness: Harness) -> None:
    """A nudge due at night in the contact's timezone goes out at 08:00 their time; the
    first follow-up stays immediate whatever the hour."""
    from zoneinfo import ZoneInfo

    now = await harness.now()
    missed_at_guess = now + timedelta(hours=1, minutes=5)
    # A fixed-offset zone where the nudge (4 h after the miss) falls at about 23:00.
    offset_h = (23 - (missed_at_guess + timedelta(hours=4)).hour) % 24
    offset_h = offset_h - 24 if offset_h > 12 else offset_h
    zone = f"Etc/GMT{-offset_h:+d}" if offset_h else "UTC"  # Etc/ signs are inverted
    details = await harness.booked(
        "apt_quiet", timedelta(hours=1), contact=contact(id="con_q", timezone=zone)
    )
    handle = await harness.start(details, resolve=True)  # the shipped default: 21:00-08:00
    await harness.env.sleep(timedelta(hours=1, minutes=5))
    missed = await harness.signal(handle, EventType.MISSED)
    await harness.env.sleep(timedelta(hours=14))

    sent = {s.step: s for s in harness.sent(details.appointment_id)}
    assert sent["no_show_followup"].scheduled_for == missed.received_at
    nudge_local = sent["no_show_nudge"].scheduled_for.astimezone(ZoneInfo(zone))
    assert (nudge_local.hour, nudge_local.minute) == (8, 0)
    assert sent["no_show_nudge"].scheduled_for > missed.received_at + timedelta(hours=4)
    await harness.archive(handle, "pb-quiet_hours")
    await harness.signal(handle, EventType.CANCELLED)
    await handle.result()


async def test_progress_query_takes_the_old_argument_or_none(harness: Harness) -> None:
    """Older API versions send a ProgressRequest (then with include_upcoming)."""
    details = await harness.booked("apt_query", timedelta(days=3))
    handle = harness.latest(await harness.start(details))
    await harness.env.sleep(timedelta(minutes=1))  # the confirmation has gone out

    without = await handle.query(PROGRESS_QUERY, result_type=Progress)
    legacy = await handle.query(PROGRESS_QUERY, {"include_upcoming": True}, result_type=Progress)

    assert without == legacy
    assert (without.status, without.next_step) == (AppointmentStatus.SCHEDULED, "reminder_24h")
    await harness.signal(handle, EventType.CANCELLED)
    await handle.result()

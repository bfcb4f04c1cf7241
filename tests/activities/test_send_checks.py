"""The send-time rules against in-memory ports: stop conditions end a step unsent, the
frequency cap defers it to when the rolling window frees, and each hold is recorded once.
(tests/db/stores covers the SQL behind the same ports; tests/workflows/test_playbooks.py
the whole path on Temporal.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from temporalio.testing import ActivityEnvironment

from activities.send_checks import SendCheckActivities
from rebook.core.domain import AppointmentStatus, Channel, CommunicationStatus, Recipient
from rebook.core.playbook import FrequencyCap, StopCondition
from rebook.core.ports import ProviderReceipt
from tests.support.factories import T0, appointment, send_check
from tests.support.ports import InMemoryBookings, InMemoryCommunicationLedger
from tests.support.rows import LEASE, draft

DETAILS = appointment()
NOW = T0 + timedelta(days=4)
ALL_STOPS = (StopCondition.REBOOKED, StopCondition.REPLIED, StopCondition.OPTED_OUT)


@pytest.fixture
def history() -> InMemoryCommunicationLedger:
    return InMemoryCommunicationLedger()


@pytest.fixture
def bookings() -> InMemoryBookings:
    return InMemoryBookings()


def check(history: InMemoryCommunicationLedger, bookings: InMemoryBookings, **changes: object):
    activities = SendCheckActivities(history, bookings)
    return ActivityEnvironment().run(activities.check_send, send_check(DETAILS, NOW, **changes))


def sent(history: InMemoryCommunicationLedger, key: str, at, **changes: object) -> None:
    """A message to the contact (or to their host, with changes) that went out at `at`;
    failed=True: an attempt that failed."""
    failed = bool(changes.pop("failed", False))
    message = replace(
        draft(key, appointment_id="apt_other", contact_id=DETAILS.contact.id),
        scheduled_for=at,
        **changes,  # type: ignore[arg-type]
    )
    claimed = history.claim(message, LEASE).record
    if failed:
        history.fail(claimed.id, LEASE.holder, "invalid number", CommunicationStatus.FAILED)
    else:
        receipt = ProviderReceipt("recording", key, CommunicationStatus.SENT)
        history.complete(claimed.id, receipt)


def test_nothing_to_check_clears_the_step(history, bookings) -> None:
    assert check(history, bookings, stop_when=ALL_STOPS) == check(history, bookings)
    assert check(history, bookings).stop is None and check(history, bookings).defer_until is None
    assert history.messages == {}


def test_another_upcoming_appointment_stops_a_step_that_stops_when_rebooked(
    history, bookings
) -> None:
    bookings.book(replace(DETAILS, appointment_id="apt_new", starts_at=NOW + timedelta(days=2)))

    cleared = check(history, bookings, stop_when=(StopCondition.REBOOKED,))

    assert cleared.stop is StopCondition.REBOOKED
    [hold] = history.messages.values()
    assert (
        hold.idempotency_key == f"{DETAILS.appointment_id}:no_show_nudge@{NOW.isoformat()}:stopped"
    )
    assert (hold.status, hold.step, hold.channel) == (
        CommunicationStatus.SKIPPED,
        "no_show_nudge",
        Channel.SMS,
    )
    assert hold.error == "stopped: the contact has another appointment coming up"
    # Only a step that lists the condition stops.
    assert check(history, bookings, stop_when=(StopCondition.OPTED_OUT,)).stop is None


@pytest.mark.parametrize(
    ("other", "status"),
    [
        ("apt_test", AppointmentStatus.SCHEDULED),  # this very appointment
        ("apt_old", AppointmentStatus.SCHEDULED),  # started before now: not upcoming
        ("apt_gone", AppointmentStatus.CANCELLED),
    ],
)
def test_what_does_not_count_as_rebooked(history, bookings, other: str, status) -> None:
    starts_at = NOW - timedelta(hours=1) if other == "apt_old" else NOW + timedelta(days=1)
    bookings.book(replace(DETAILS, appointment_id=other, starts_at=starts_at), status)
    assert check(history, bookings, stop_when=(StopCondition.REBOOKED,)).stop is None


def test_an_opt_out_anywhere_stops_a_step_that_stops_when_opted_out(history, bookings) -> None:
    history.record_opt_out(DETAILS.contact.id, Channel.SMS, "STOP")
    assert check(history, bookings, stop_when=ALL_STOPS).stop is StopCondition.OPTED_OUT


def test_a_reply_the_workflow_saw_stops_a_step_that_stops_when_replied(history, bookings) -> None:
    cleared = check(history, bookings, stop_when=(StopCondition.REPLIED,), replied=True)
    assert cleared.stop is StopCondition.REPLIED
    assert check(history, bookings, replied=True).stop is None


def test_the_frequency_cap_defers_until_the_window_frees(history, bookings) -> None:
    cap = FrequencyCap(max_messages=2, window_s=86400)
    sent(history, "a", NOW - timedelta(hours=20))
    sent(history, "b", NOW - timedelta(hours=2))
    sent(history, "old", NOW - timedelta(days=2))  # outside the window
    sent(history, "failed", NOW - timedelta(hours=1), failed=True)
    sent(history, "host", NOW - timedelta(hours=1), recipient=Recipient.HOST)

    cleared = check(history, bookings, frequency_cap=cap)

    assert cleared == check(history, bookings, frequency_cap=cap)  # asked again: same answer
    assert cleared.stop is None
    assert cleared.defer_until == NOW + timedelta(hours=4)  # when "a" leaves the window
    hold = history.messages[f"{DETAILS.appointment_id}:no_show_nudge@{NOW.isoformat()}:deferred"]
    assert hold.status is CommunicationStatus.DEFERRED
    assert hold.scheduled_for == NOW
    assert hold.error == (
        f"deferred by the frequency cap (2 per 1d) until {(NOW + timedelta(hours=4)).isoformat()}"
    )
    # At that moment there is room again.
    later = NOW + timedelta(hours=4)
    assert check(history, bookings, frequency_cap=cap, now=later).defer_until is None


def test_a_stop_wins_over_the_cap(history, bookings) -> None:
    cap = FrequencyCap(max_messages=1, window_s=86400)
    sent(history, "a", NOW - timedelta(hours=1))
    cleared = check(history, bookings, frequency_cap=cap, replied=True, stop_when=ALL_STOPS)
    assert (cleared.stop, cleared.defer_until) == (StopCondition.REPLIED, None)

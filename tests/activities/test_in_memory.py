"""The activities' decisions against in-memory ports: what is sent, skipped, retried or
replayed, with no database and no provider. (test_messaging.py and test_records.py run the
same activities over the SQL stores and the providers' SDKs.)"""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.messaging import (
    CHANNEL_UNAVAILABLE,
    PERMANENT_FAILURE,
    RENDER_FAILED,
    TRANSIENT_FAILURE,
    MessagingActivities,
)
from activities.records import RecordActivities
from rebook.core.brand import Brand
from rebook.core.contracts import DeliveryRequest, NoShowRecord, Progress
from rebook.core.domain import AppointmentStatus, Channel, CommunicationStatus
from rebook.core.ports import (
    MessageText,
    PermanentDeliveryError,
    RenderFailed,
    TransientDeliveryError,
)
from rebook.core.steps import Template
from tests.support.factories import appointment
from tests.support.messages import BRAND, delivery, renderer
from tests.support.ports import (
    InMemoryAppointmentLedger,
    InMemoryCommunicationLedger,
    RecordingSender,
)


@pytest.fixture
def activities(ledger: InMemoryCommunicationLedger, email: RecordingSender) -> MessagingActivities:
    return MessagingActivities(
        ledger, {Channel.EMAIL: email}, renderer(), BRAND, clock=lambda: ledger.now
    )


def run(activities: MessagingActivities, request: DeliveryRequest):
    return ActivityEnvironment().run(activities.deliver_message, request)


def test_a_step_is_sent_once_however_often_it_is_delivered(
    activities: MessagingActivities, ledger: InMemoryCommunicationLedger, email: RecordingSender
) -> None:
    request = delivery(Template.REMINDER_24H)

    first = run(activities, request)
    again = run(activities, request)

    assert len(email.sent) == 1
    assert email.sent[0].to_address == request.appointment.contact.email
    assert (first.status, first.duplicate) == (CommunicationStatus.SENT, False)
    assert (again.communication_id, again.duplicate) == (first.communication_id, True)
    [stored] = ledger.messages.values()
    assert stored.variant == request.appointment.variant


def test_a_transient_failure_is_retried_and_then_sent_once(
    activities: MessagingActivities, ledger: InMemoryCommunicationLedger, email: RecordingSender
) -> None:
    email.failures.append(TransientDeliveryError("429"))
    request = delivery(Template.REMINDER_24H)

    with pytest.raises(ApplicationError) as refused:
        run(activities, request)
    retried = run(activities, request)

    assert refused.value.type == TRANSIENT_FAILURE and not refused.value.non_retryable
    assert retried.status is CommunicationStatus.SENT
    assert ledger.messages[request.idempotency_key].attempts == 2
    assert len(email.sent) == 1


def test_an_unsubscribe_opts_the_contact_out_and_later_steps_are_skipped(
    activities: MessagingActivities, ledger: InMemoryCommunicationLedger, email: RecordingSender
) -> None:
    email.failures.append(PermanentDeliveryError("unsubscribed", opted_out=True))
    reminder = delivery(Template.REMINDER_24H)
    follow_up = delivery(Template.NO_SHOW_FOLLOWUP, idempotency_key="key-2")

    with pytest.raises(ApplicationError) as failed:
        run(activities, reminder)
    with pytest.raises(ApplicationError) as skipped:
        run(activities, follow_up)

    assert (failed.value.type, failed.value.non_retryable) == (PERMANENT_FAILURE, True)
    assert (skipped.value.type, skipped.value.non_retryable) == (CHANNEL_UNAVAILABLE, True)
    assert ledger.opted_out_channels(reminder.appointment.contact.id) == {Channel.EMAIL}
    assert ledger.messages["key-2"].status is CommunicationStatus.SKIPPED
    assert email.sent == []


def test_a_channel_without_a_sender_is_skipped(
    activities: MessagingActivities, ledger: InMemoryCommunicationLedger
) -> None:
    request = delivery(Template.REMINDER_1H, Channel.SMS)

    with pytest.raises(ApplicationError) as skipped:
        run(activities, request)

    assert skipped.value.type == CHANNEL_UNAVAILABLE
    assert ledger.messages[request.idempotency_key].error == "no sender configured for sms"


class CannotRender:
    def render(self, request: DeliveryRequest, brand: Brand) -> MessageText:
        raise RenderFailed(f"no copy of {request.template} for {request.channel.value}")


def test_a_message_that_cannot_render_fails_that_channel_for_good(
    ledger: InMemoryCommunicationLedger, email: RecordingSender
) -> None:
    activities = MessagingActivities(ledger, {Channel.EMAIL: email}, CannotRender(), BRAND)

    with pytest.raises(ApplicationError) as failed:
        run(activities, delivery(Template.REMINDER_24H))

    # Not retried (the copy will not change): the workflow moves to the next channel.
    assert (failed.value.type, failed.value.non_retryable) == (RENDER_FAILED, True)
    assert "no copy of reminder_24h for email" in str(failed.value)
    assert ledger.messages == {} and email.sent == []


def test_no_shows_count_once_per_slot_and_progress_is_mirrored() -> None:
    details = appointment()
    ledger = InMemoryAppointmentLedger(appointment_ids={details.appointment_id})
    records = RecordActivities(ledger)
    miss = NoShowRecord(
        appointment_id=details.appointment_id,
        contact_id=details.contact.id,
        occurrence_key="apt@slot",
        missed_at=details.starts_at,
    )
    progress = Progress(details.appointment_id, AppointmentStatus.MISSED, details.starts_at)
    env = ActivityEnvironment()

    assert env.run(records.record_no_show, miss).contact_no_show_total == 1
    assert env.run(records.record_no_show, miss).contact_no_show_total == 1
    assert env.run(records.record_status, progress).ok
    assert ledger.progress[details.appointment_id] == progress


def test_mirroring_an_unknown_appointment_is_not_retried() -> None:
    records = RecordActivities(InMemoryAppointmentLedger())
    progress = Progress("apt_missing", AppointmentStatus.LOST, appointment().starts_at)

    with pytest.raises(ApplicationError) as refused:
        ActivityEnvironment().run(records.record_status, progress)

    assert (refused.value.type, refused.value.non_retryable) == ("AppointmentNotFound", True)

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.messaging import (
    CHANNEL_UNAVAILABLE,
    DELIVERY_IN_DOUBT,
    PERMANENT_FAILURE,
    TRANSIENT_FAILURE,
    MessagingActivities,
)
from rebook.core.brand import Brand
from rebook.core.contracts import AppointmentDetails, DeliveryRequest
from rebook.core.delivery_status import DeliveryEvent
from rebook.core.domain import BookedVia, Channel, CommunicationStatus, Recipient
from rebook.core.ports import ChannelSender
from rebook.core.steps import Step, Template
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Communication
from rebook.db.stores import CommunicationStore, DeliveryEventStore
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from rebook.delivery.sendgrid_email import SendGridEmailSender
from rebook.delivery.twilio_messaging import TwilioSmsSender
from tests.support.fakes import (
    SENDGRID_API_KEY,
    SMS_FROM,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    FakeSendGrid,
    FakeTwilio,
)
from tests.support.messages import renderer


@pytest.fixture
def ledger(sessions) -> CommunicationStore:
    return CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)


@pytest.fixture
def activities(ledger, fake_sendgrid: FakeSendGrid, fake_twilio: FakeTwilio):
    senders: dict[Channel, ChannelSender] = {
        Channel.EMAIL: SendGridEmailSender(
            SENDGRID_API_KEY, fake_sendgrid.base_url, "appointments@rebook.example", "Rebook"
        ),
        Channel.SMS: TwilioSmsSender(
            TWILIO_ACCOUNT_SID,
            TWILIO_AUTH_TOKEN,
            from_number=SMS_FROM,
            base_url=fake_twilio.base_url,
        ),
        Channel.WHATSAPP: OutboxSender(Channel.WHATSAPP),
        Channel.IN_APP: InAppSender(),
    }
    return MessagingActivities(ledger, senders, renderer(), Brand("Acme Clinic"))


def request_for(
    details: AppointmentDetails,
    channel: Channel = Channel.EMAIL,
    step: Step = Step.REMINDER_24H,
    template: Template = Template.REMINDER_24H,
    recipient: Recipient = Recipient.CONTACT,
) -> DeliveryRequest:
    due = details.starts_at - timedelta(hours=24)
    return DeliveryRequest(
        idempotency_key=f"{details.appointment_id}:{step.value}@{due.isoformat()}:{channel.value}",
        step=step.value,
        template=template.value,
        channel=channel,
        recipient=recipient,
        scheduled_for=due,
        appointment=details,
    )


def deliver(activities: MessagingActivities, request: DeliveryRequest):
    return attempt(activities, request, 1)


def delivery_error(activities: MessagingActivities, request: DeliveryRequest) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        deliver(activities, request)
    return raised.value


def row_for(sessions: sessionmaker[Session], request: DeliveryRequest) -> Communication:
    with sessions() as session:
        row = session.scalar(
            select(Communication).where(Communication.idempotency_key == request.idempotency_key)
        )
        assert row is not None
        session.expunge(row)
        return row


def test_first_delivery_sends_once_and_records_the_provider_receipt(
    activities, sessions, seeded_appointment, fake_sendgrid
):
    request = request_for(seeded_appointment)

    result = deliver(activities, request)

    [mail] = fake_sendgrid.mails
    assert mail["personalizations"][0]["to"][0]["email"] == seeded_appointment.contact.email
    assert mail["custom_args"] == {"idempotency_key": request.idempotency_key}
    assert "Acme Clinic" in mail["content"][0]["value"] + mail["subject"]
    assert result.status is CommunicationStatus.SENT
    assert result.provider == "sendgrid"
    assert result.provider_message_id == "fake-sg-000001"
    assert result.duplicate is False
    row = row_for(sessions, request)
    assert row.id == result.communication_id
    assert row.status == CommunicationStatus.SENT
    assert row.provider_message_id == "fake-sg-000001"
    assert row.to_address == seeded_appointment.contact.email
    assert row.subject == mail["subject"]


def test_the_same_request_again_sends_nothing(activities, seeded_appointment, fake_sendgrid):
    request = request_for(seeded_appointment)
    first = deliver(activities, request)

    again = deliver(activities, request)

    assert again.duplicate is True
    assert again.communication_id == first.communication_id
    assert again.status is CommunicationStatus.SENT
    assert again.provider_message_id == first.provider_message_id
    assert len(fake_sendgrid.requests) == 1


def test_transient_failure_is_retryable_and_the_retry_sends_exactly_once(
    activities, sessions, seeded_appointment, fake_sendgrid
):
    request = request_for(seeded_appointment)
    fake_sendgrid.fail_next(503)

    error = delivery_error(activities, request)

    assert error.type == TRANSIENT_FAILURE
    assert error.non_retryable is False
    assert row_for(sessions, request).status == CommunicationStatus.RETRYING

    result = deliver(activities, request)

    assert result.status is CommunicationStatus.SENT
    assert result.duplicate is False
    assert [r.status for r in fake_sendgrid.requests] == [503, 202]
    row = row_for(sessions, request)
    assert row.status == CommunicationStatus.SENT
    assert row.attempts == 2


def test_permanent_failure_is_recorded_and_not_retryable(
    activities, sessions, seeded_appointment, fake_sendgrid
):
    request = request_for(seeded_appointment)
    fake_sendgrid.fail_next(400, message="Invalid email address")

    error = delivery_error(activities, request)

    assert error.type == PERMANENT_FAILURE
    assert error.non_retryable is True
    row = row_for(sessions, request)
    assert row.status == CommunicationStatus.FAILED
    assert row.error is not None and "Invalid email address" in row.error

    # Re-running the step reports the same failure without calling SendGrid again.
    again = delivery_error(activities, request)
    assert again.type == PERMANENT_FAILURE
    assert again.non_retryable is True
    assert len(fake_sendgrid.requests) == 1


def test_unsubscribed_recipient_is_opted_out_and_later_messages_are_skipped(
    activities, ledger, sessions, seeded_appointment, fake_twilio
):
    reminder = request_for(seeded_appointment, Channel.SMS)
    fake_twilio.fail_next(400, code=21610)

    error = delivery_error(activities, reminder)

    assert error.type == PERMANENT_FAILURE
    assert error.non_retryable is True
    assert row_for(sessions, reminder).status == CommunicationStatus.FAILED
    assert ledger.opted_out_channels(seeded_appointment.contact.id) == {Channel.SMS}

    next_step = request_for(
        seeded_appointment, Channel.SMS, step=Step.REMINDER_1H, template=Template.REMINDER_1H
    )
    skipped = delivery_error(activities, next_step)

    assert skipped.type == CHANNEL_UNAVAILABLE
    assert skipped.non_retryable is True
    assert row_for(sessions, next_step).status == CommunicationStatus.SKIPPED
    assert len(fake_twilio.requests) == 1


def test_sms_reaches_the_contacts_phone(activities, seeded_appointment, fake_twilio):
    result = deliver(activities, request_for(seeded_appointment, Channel.SMS))

    [form] = fake_twilio.messages
    assert form["To"] == seeded_appointment.contact.phone
    assert form["From"] == SMS_FROM
    assert form["Body"]
    assert result.provider_message_id == fake_twilio.sids[0]


def test_a_channel_without_an_address_is_skipped(
    activities, sessions, seeded_appointment, fake_twilio
):
    no_phone = replace(seeded_appointment, contact=replace(seeded_appointment.contact, phone=None))
    request = request_for(no_phone, Channel.SMS)

    error = delivery_error(activities, request)

    assert error.type == CHANNEL_UNAVAILABLE
    assert error.non_retryable is True
    assert row_for(sessions, request).status == CommunicationStatus.SKIPPED
    assert fake_twilio.requests == []
    # A re-run reports the skip again rather than pretending the step was delivered.
    assert delivery_error(activities, request).type == CHANNEL_UNAVAILABLE


def test_host_alerts_go_to_the_hosts_email(activities, seeded_appointment, fake_sendgrid):
    request = request_for(
        seeded_appointment,
        step=Step.HOST_RESCHEDULE_ALERT,
        template=Template.HOST_RESCHEDULE_ALERT,
        recipient=Recipient.HOST,
    )

    deliver(activities, request)

    [mail] = fake_sendgrid.mails
    assert mail["personalizations"][0]["to"] == [
        {"email": seeded_appointment.host.email, "name": seeded_appointment.host.name}
    ]


def test_outbox_and_in_app_complete_without_a_provider(
    activities, sessions, seeded_appointment, fake_sendgrid, fake_twilio
):
    in_app_contact = replace(seeded_appointment, booked_via=BookedVia.APP)
    on_whatsapp = replace(
        seeded_appointment,
        contact=replace(seeded_appointment.contact, whatsapp="+447700900999"),
    )

    in_app = deliver(activities, request_for(in_app_contact, Channel.IN_APP))
    recorded = deliver(activities, request_for(on_whatsapp, Channel.WHATSAPP))

    assert in_app.status is CommunicationStatus.DELIVERED
    assert in_app.provider == "in_app"
    assert recorded.status is CommunicationStatus.RECORDED
    assert recorded.provider == "outbox"
    assert row_for(sessions, request_for(in_app_contact, Channel.IN_APP)).to_address == (
        seeded_appointment.contact.id
    )
    assert fake_sendgrid.requests == [] and fake_twilio.requests == []


def test_whatsapp_follow_up_goes_as_the_mapped_pre_approved_template(
    ledger, sessions, seeded_appointment, fake_twilio
):
    from rebook.delivery.twilio_messaging import TwilioWhatsAppSender

    sender = TwilioWhatsAppSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        from_number="+14155238886",
        content_sids={Template.NO_SHOW_FOLLOWUP.value: "HX" + "b" * 32},
        base_url=fake_twilio.base_url,
    )
    activities = MessagingActivities(ledger, {Channel.WHATSAPP: sender}, renderer(), Brand("Acme"))
    details = replace(
        seeded_appointment,
        booked_via=BookedVia.WHATSAPP,
        contact=replace(seeded_appointment.contact, whatsapp="+447700900555"),
    )
    request = request_for(
        details, Channel.WHATSAPP, Step.NO_SHOW_FOLLOWUP, Template.NO_SHOW_FOLLOWUP
    )

    deliver(activities, request)

    [sent] = fake_twilio.messages
    assert sent["ContentSid"] == "HX" + "b" * 32
    variables = json.loads(sent["ContentVariables"])
    assert variables["1"] == details.contact.name.split()[0]
    assert variables["5"] == details.reschedule_url
    # The ledger keeps our own rendering as the human-readable record of what was sent.
    assert details.reschedule_url in row_for(sessions, request).body


# ---------------------------------------------------------------- sends in doubt (SQL, SDKs)


def attempt(activities: MessagingActivities, request: DeliveryRequest, number: int):
    """Attempt `number` of the activity, with production's timeout and retry policy (the
    test environment's default 1 s lease would leave half a second to start a send)."""
    env = ActivityEnvironment()
    env.info = replace(
        env.info,
        attempt=number,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(maximum_attempts=10),
    )
    return env.run(activities.deliver_message, request)


def test_twilio_answering_after_the_timeout_is_found_and_not_sent_again(
    ledger, sessions, seeded_appointment, fake_twilio
):
    slow = TwilioSmsSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        from_number=SMS_FROM,
        base_url=fake_twilio.base_url,
        timeout_s=0.5,
    )
    activities = MessagingActivities(ledger, {Channel.SMS: slow}, renderer(), Brand("Acme Clinic"))
    request = request_for(seeded_appointment, Channel.SMS)
    fake_twilio.answer_late(3)

    with pytest.raises(ApplicationError) as in_doubt:
        attempt(activities, request, 1)
    assert (in_doubt.value.type, in_doubt.value.non_retryable) == (DELIVERY_IN_DOUBT, False)
    assert row_for(sessions, request).status == CommunicationStatus.CHECKING
    result = attempt(activities, request, 2)

    [sid] = fake_twilio.sids
    assert len(fake_twilio.created) == 1  # exactly one message at the provider
    assert (result.status, result.provider_message_id) == (CommunicationStatus.SENT, sid)
    row = row_for(sessions, request)
    assert (row.status, row.provider_message_id, row.attempts) == ("sent", sid, 1)


def test_an_email_in_doubt_is_settled_by_the_event_webhook(
    ledger, sessions, seeded_appointment, fake_sendgrid
):
    sender = SendGridEmailSender(
        SENDGRID_API_KEY, fake_sendgrid.base_url, "appointments@rebook.example", "Rebook"
    )
    activities = MessagingActivities(ledger, {Channel.EMAIL: sender}, renderer(), Brand("Acme"))
    request = request_for(seeded_appointment)
    fake_sendgrid.fail_next(500)
    with pytest.raises(ApplicationError):
        attempt(activities, request, 1)

    # SendGrid's "processed" event names our key (custom_args): the provider has it.
    applied = DeliveryEventStore(sessions, DEFAULT_WORKSPACE_ID).apply(
        [
            DeliveryEvent(
                provider="sendgrid",
                provider_message_id="sg-abc",
                idempotency_key=request.idempotency_key,
                occurred_at=datetime.now(UTC),
                state="processed",
            )
        ]
    )
    result = attempt(activities, request, 2)

    assert applied == 1
    assert (result.status, result.provider_message_id) == (CommunicationStatus.SENT, "sg-abc")
    assert len(fake_sendgrid.requests) == 1  # one POST, and no resend

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import (
    AmbiguousDeliveryError,
    Found,
    NoEvidence,
    NotFound,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from rebook.delivery.twilio_messaging import TwilioSmsSender, TwilioWhatsAppSender
from tests.support.fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeTwilio
from tests.support.messages import lookup_window as window
from tests.support.messages import rendered

SMS_FROM = "+15005550006"
SERVICE_SID = "MG" + "1" * 32
WHATSAPP_FROM = "+14155238886"


def sms_sender(fake: FakeTwilio, **kwargs) -> TwilioSmsSender:
    kwargs.setdefault("from_number", SMS_FROM)
    return TwilioSmsSender(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, base_url=fake.base_url, **kwargs)


def template_sender(fake: FakeTwilio) -> TwilioWhatsAppSender:
    """WhatsApp with a pre-approved template mapped for the no-show follow-up."""
    return TwilioWhatsAppSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        from_number=WHATSAPP_FROM,
        content_sids={"no_show_followup": "HX" + "a" * 32},
        base_url=fake.base_url,
    )


def whatsapp_sender(fake: FakeTwilio) -> TwilioWhatsAppSender:
    return TwilioWhatsAppSender(
        TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, from_number=WHATSAPP_FROM, base_url=fake.base_url
    )


def test_sms_from_a_number(fake_twilio):
    message = rendered(Channel.SMS)

    receipt = sms_sender(fake_twilio).send(message)

    [request] = fake_twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    assert FakeTwilio.basic_auth(request) == (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)
    assert request.form() == {"To": "+447700900123", "From": SMS_FROM, "Body": message.body}
    assert receipt.provider == "twilio"
    assert receipt.status is CommunicationStatus.SENT
    assert receipt.provider_message_id.startswith("SM")
    assert fake_twilio.sids == [receipt.provider_message_id]


def test_sms_through_a_messaging_service(fake_twilio):
    sms_sender(fake_twilio, from_number=None, messaging_service_sid=SERVICE_SID).send(
        rendered(Channel.SMS)
    )

    [form] = fake_twilio.messages
    assert form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in form


def test_sms_needs_a_sender():
    with pytest.raises(ValueError):
        TwilioSmsSender(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)


def test_whatsapp_addresses_carry_the_whatsapp_prefix(fake_twilio):
    sender = whatsapp_sender(fake_twilio)

    sender.send(rendered(Channel.WHATSAPP, to_address="+447700900123"))
    sender.send(rendered(Channel.WHATSAPP, to_address="whatsapp:+447700900124"))

    first, second = fake_twilio.messages
    assert first["To"] == "whatsapp:+447700900123"
    assert first["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert second["To"] == "whatsapp:+447700900124"  # not prefixed twice


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (503, None)])
def test_rate_limits_and_unavailability_are_transient(fake_twilio, status, code):
    fake_twilio.fail_next(status, code=code)

    with pytest.raises(TransientDeliveryError):
        sms_sender(fake_twilio).send(rendered(Channel.SMS))


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_after_the_request_arrived_leave_the_outcome_unknown(fake_twilio, status):
    fake_twilio.fail_next(status)

    with pytest.raises(AmbiguousDeliveryError, match=str(status)):
        sms_sender(fake_twilio).send(rendered(Channel.SMS))


def test_an_answer_after_the_client_timeout_leaves_the_outcome_unknown(fake_twilio):
    fake_twilio.answer_late(5)

    with pytest.raises(AmbiguousDeliveryError, match="outcome unknown"):
        sms_sender(fake_twilio, timeout_s=0.5).send(rendered(Channel.SMS))

    assert len(fake_twilio.created) == 1  # Twilio created it all the same


def test_lookup_finds_a_sent_sms_by_recipient_sender_and_body(fake_twilio):
    sender = sms_sender(fake_twilio)
    message = rendered(Channel.SMS)
    other = rendered(Channel.SMS, body="Another message to the same contact")
    sender.send(other)
    receipt = sender.send(message)

    found = sender.lookup(message, window())

    assert found == Found(receipt)
    [listing] = fake_twilio.received("GET")
    assert listing.query["To"] == message.to_address
    assert listing.query["From"] == SMS_FROM


def test_lookup_ignores_messages_created_before_the_claim(fake_twilio):
    sender = sms_sender(fake_twilio)
    message = rendered(Channel.SMS)
    sender.send(message)

    result = sender.lookup(
        message, window(timedelta(hours=1), since=datetime.now(UTC) + timedelta(hours=1))
    )

    assert isinstance(result, NotFound)


def test_lookup_trusts_an_empty_list_only_after_the_settle_time(fake_twilio):
    sender = sms_sender(fake_twilio, lookup_settle=timedelta(seconds=60))

    early = sender.lookup(rendered(Channel.SMS), window(in_doubt_for=timedelta(seconds=5)))
    late = sender.lookup(rendered(Channel.SMS), window(in_doubt_for=timedelta(seconds=61)))

    assert isinstance(early, NoEvidence)
    assert isinstance(late, NotFound)


def test_lookup_through_a_messaging_service_matches_the_service(fake_twilio):
    sender = sms_sender(fake_twilio, from_number=None, messaging_service_sid=SERVICE_SID)
    other_service = sms_sender(fake_twilio, from_number=None, messaging_service_sid="MG" + "2" * 32)
    message = rendered(Channel.SMS)
    other_service.send(message)

    assert isinstance(sender.lookup(message, window(timedelta(hours=1))), NotFound)
    receipt = sender.send(message)
    assert sender.lookup(message, window()) == Found(receipt)


def test_lookup_of_a_whatsapp_template_matches_without_the_body(fake_twilio):
    sender = template_sender(fake_twilio)
    message = rendered(Channel.WHATSAPP, template="no_show_followup", template_variables={})
    receipt = sender.send(message)

    assert sender.lookup(message, window()) == Found(receipt)


def test_lookup_of_an_unreachable_api_has_no_evidence():
    with FakeTwilio() as fake:
        sender = sms_sender(fake)

    assert isinstance(sender.lookup(rendered(Channel.SMS), window(timedelta(days=1))), NoEvidence)


def test_rejected_credentials_are_transient_but_logged_loudly(fake_twilio, caplog):
    fake_twilio.fail_next(401, code=20003)

    with pytest.raises(TransientDeliveryError, match="credentials"):
        sms_sender(fake_twilio).send(rendered(Channel.SMS))

    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_unsubscribed_recipient_is_a_permanent_opt_out(fake_twilio):
    fake_twilio.fail_next(400, code=21610)

    with pytest.raises(PermanentDeliveryError) as raised:
        sms_sender(fake_twilio).send(rendered(Channel.SMS))

    assert raised.value.opted_out is True
    assert raised.value.code == "21610"
    assert "unsubscribed" in str(raised.value)


@pytest.mark.parametrize("code", [21211, 21614, 21408, 63003, 63016])
def test_invalid_recipients_are_permanent_without_opt_out(fake_twilio, code):
    fake_twilio.fail_next(400, code=code)

    with pytest.raises(PermanentDeliveryError) as raised:
        whatsapp_sender(fake_twilio).send(rendered(Channel.WHATSAPP))

    assert raised.value.code == str(code)
    assert raised.value.opted_out is False


def test_other_client_errors_are_permanent(fake_twilio):
    fake_twilio.fail_next(404, code=20404)

    with pytest.raises(PermanentDeliveryError):
        sms_sender(fake_twilio).send(rendered(Channel.SMS))


def test_unreachable_api_is_transient():
    with FakeTwilio() as fake:
        sender = sms_sender(fake)

    with pytest.raises(TransientDeliveryError, match="unreachable"):
        sender.send(rendered(Channel.SMS))


CALLBACK_URL = "https://rebook.example.com/v1/webhooks/twilio"


def test_status_callback_is_requested_for_sms_and_whatsapp_when_configured(fake_twilio):
    sms = sms_sender(fake_twilio, status_callback=CALLBACK_URL)
    whatsapp = TwilioWhatsAppSender(
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        from_number=WHATSAPP_FROM,
        base_url=fake_twilio.base_url,
        status_callback=CALLBACK_URL,
    )

    sms_message, whatsapp_message = rendered(Channel.SMS), rendered(Channel.WHATSAPP)
    sms.send(sms_message)
    whatsapp.send(whatsapp_message)

    callbacks = [urlsplit(form["StatusCallback"]) for form in fake_twilio.messages]
    assert [c._replace(query="").geturl() for c in callbacks] == [CALLBACK_URL] * 2
    # Our key in the query: a callback names its message even before we know its SID.
    assert [parse_qs(c.query)["idempotency_key"] for c in callbacks] == [
        [sms_message.idempotency_key],
        [whatsapp_message.idempotency_key],
    ]


def test_no_status_callback_without_one(fake_twilio):
    sms_sender(fake_twilio).send(rendered(Channel.SMS))

    [form] = fake_twilio.messages
    assert "StatusCallback" not in form


def test_whatsapp_sends_the_pre_approved_template_when_one_is_mapped(fake_twilio):
    sender = template_sender(fake_twilio)
    variables = {"1": "Ada", "5": "https://book.example.com/r/1"}

    sender.send(
        rendered(Channel.WHATSAPP, template="no_show_followup", template_variables=variables)
    )
    sender.send(rendered(Channel.WHATSAPP, template="reminder_1h", template_variables=variables))

    templated, free_form = fake_twilio.messages
    assert templated["ContentSid"] == "HX" + "a" * 32
    assert json.loads(templated["ContentVariables"]) == variables
    assert "Body" not in templated  # WhatsApp renders the approved text itself
    assert templated["To"] == "whatsapp:+447700900123"
    assert "ContentSid" not in free_form  # no template mapped: free-form body
    assert free_form["Body"] == "Hi Ada, see you tomorrow at 09:00."

from typing import Any
from urllib.parse import quote

from rebook.core.domain import Channel
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from rebook.delivery.registry import SenderConfig, build_senders, sender_config
from rebook.delivery.sendgrid_email import SendGridEmailSender
from rebook.delivery.twilio_messaging import TwilioSmsSender, TwilioWhatsAppSender
from rebook.settings import Settings
from tests.support.messages import rendered

NO_PROVIDERS: dict[str, Any] = {
    "sendgrid_api_key": None,
    "twilio_account_sid": None,
    "twilio_auth_token": None,
    "twilio_sms_from": None,
    "twilio_messaging_service_sid": None,
    "twilio_whatsapp_from": None,
}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **{**NO_PROVIDERS, **values})  # type: ignore[call-arg]


def config(**values: Any) -> SenderConfig:
    """The default workspace's senders under these settings."""
    return sender_config(settings(**values))


def test_without_providers_every_channel_but_in_app_goes_to_the_outbox():
    senders = build_senders(sender_config(settings()))

    for channel in (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP):
        sender = senders[channel]
        assert isinstance(sender, OutboxSender)
        assert sender.channel is channel
    assert isinstance(senders[Channel.IN_APP], InAppSender)


def test_configured_providers_serve_their_channels():
    senders = build_senders(
        config(
            sendgrid_api_key="SG.key",
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="token",
            twilio_sms_from="+15005550006",
            twilio_whatsapp_from="+14155238886",
        )
    )

    assert isinstance(senders[Channel.EMAIL], SendGridEmailSender)
    assert isinstance(senders[Channel.SMS], TwilioSmsSender)
    assert isinstance(senders[Channel.WHATSAPP], TwilioWhatsAppSender)
    assert isinstance(senders[Channel.IN_APP], InAppSender)


def test_twilio_without_a_whatsapp_sender_keeps_whatsapp_in_the_outbox():
    senders = build_senders(
        config(
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="token",
            twilio_messaging_service_sid="MG" + "1" * 32,
        )
    )

    assert isinstance(senders[Channel.SMS], TwilioSmsSender)
    assert isinstance(senders[Channel.WHATSAPP], OutboxSender)


def test_public_base_url_makes_twilio_senders_request_status_callbacks(fake_twilio):
    senders = build_senders(
        config(
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="token",
            twilio_sms_from="+15005550006",
            twilio_whatsapp_from="+14155238886",
            twilio_base_url=fake_twilio.base_url,
            public_base_url="https://rebook.example.com/",
        )
    )

    sms, whatsapp = rendered(Channel.SMS), rendered(Channel.WHATSAPP)
    senders[Channel.SMS].send(sms)
    senders[Channel.WHATSAPP].send(whatsapp)

    # Our key rides in the query, so a callback names its message even before its SID.
    callback = "https://rebook.example.com/v1/webhooks/twilio?idempotency_key="
    assert [form["StatusCallback"] for form in fake_twilio.messages] == [
        callback + quote(sms.idempotency_key, safe=""),
        callback + quote(whatsapp.idempotency_key, safe=""),
    ]


def test_without_public_base_url_no_status_callback_is_requested():
    assert settings(public_base_url=None).twilio_status_callback_url is None

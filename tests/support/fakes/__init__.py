"""Local stand-ins for the providers' HTTP APIs, so tests drive the real SDKs end to end.

The fake_sendgrid and fake_twilio fixtures (tests/conftest.py) start one per test; the
classes are context managers for tests that want their own.
"""

from collections.abc import Mapping
from typing import Any

from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender
from rebook.delivery.registry import build_senders, sender_config
from rebook.settings import Settings
from tests.support.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest
from tests.support.fakes.sendgrid import FakeSendGrid
from tests.support.fakes.twilio import FakeTwilio

# Credentials the SDKs need to build requests; the fakes check their shape, not value.
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "test-auth-token"
SENDGRID_API_KEY = "SG.test-key"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+15005550007"


def provider_settings(sendgrid: FakeSendGrid, twilio: FakeTwilio, **changes: Any) -> Settings:
    """Settings that send email, SMS and WhatsApp through the real SDKs to these fakes."""
    values: dict[str, Any] = {
        "sendgrid_api_key": SENDGRID_API_KEY,
        "sendgrid_host": sendgrid.base_url,
        "twilio_account_sid": TWILIO_ACCOUNT_SID,
        "twilio_auth_token": TWILIO_AUTH_TOKEN,
        "twilio_base_url": twilio.base_url,
        "twilio_sms_from": SMS_FROM,
        "twilio_whatsapp_from": WHATSAPP_FROM,
        **changes,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def provider_senders(
    sendgrid: FakeSendGrid, twilio: FakeTwilio, **changes: Any
) -> Mapping[Channel, ChannelSender]:
    """The deployment's senders the worker builds from provider_settings."""
    return build_senders(sender_config(provider_settings(sendgrid, twilio, **changes)))


__all__ = [
    "SENDGRID_API_KEY",
    "SMS_FROM",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "WHATSAPP_FROM",
    "FakeHttpServer",
    "FakeResponse",
    "FakeSendGrid",
    "FakeTwilio",
    "RecordedRequest",
    "provider_senders",
    "provider_settings",
]

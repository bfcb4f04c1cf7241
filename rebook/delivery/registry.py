"""Which sender serves each channel, decided once at worker start from Settings.

A channel without a configured provider falls back to the embedded outbox, so the whole
service runs (and records every message) with no provider accounts at all.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TypedDict

from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from rebook.delivery.sendgrid_email import SendGridEmailSender
from rebook.delivery.twilio_messaging import TwilioSmsSender, TwilioWhatsAppSender
from rebook.settings import Settings

logger = logging.getLogger(__name__)


def build_senders(settings: Settings) -> dict[Channel, ChannelSender]:
    return {
        Channel.EMAIL: _email_sender(settings),
        Channel.SMS: _sms_sender(settings),
        Channel.WHATSAPP: _whatsapp_sender(settings),
        Channel.IN_APP: InAppSender(),
    }


def _email_sender(settings: Settings) -> ChannelSender:
    if not settings.sendgrid_enabled:
        return OutboxSender(Channel.EMAIL)
    assert settings.sendgrid_api_key is not None  # implied by sendgrid_enabled
    return SendGridEmailSender(
        api_key=settings.sendgrid_api_key,
        host=settings.sendgrid_host,
        from_email=settings.email_from_address,
        from_name=settings.email_from_name,
        timeout_s=settings.provider_timeout_s,
        email_activity=settings.sendgrid_email_activity,
        activity_lag=timedelta(seconds=settings.sendgrid_activity_lag_s),
    )


def _sms_sender(settings: Settings) -> ChannelSender:
    if not settings.twilio_enabled:
        return OutboxSender(Channel.SMS)
    if not (settings.twilio_sms_from or settings.twilio_messaging_service_sid):
        logger.warning(
            "Twilio credentials are set but neither TWILIO_SMS_FROM nor "
            "TWILIO_MESSAGING_SERVICE_SID: SMS goes to the outbox"
        )
        return OutboxSender(Channel.SMS)
    return TwilioSmsSender(
        **_twilio_account(settings),
        from_number=settings.twilio_sms_from,
        messaging_service_sid=settings.twilio_messaging_service_sid,
    )


def _whatsapp_sender(settings: Settings) -> ChannelSender:
    if not settings.twilio_enabled:
        return OutboxSender(Channel.WHATSAPP)
    if not settings.twilio_whatsapp_from:
        logger.warning(
            "Twilio credentials are set but not TWILIO_WHATSAPP_FROM: WhatsApp goes to the outbox"
        )
        return OutboxSender(Channel.WHATSAPP)
    return TwilioWhatsAppSender(
        **_twilio_account(settings),
        from_number=settings.twilio_whatsapp_from,
        content_sids=settings.twilio_whatsapp_content_sids,
    )


class _TwilioAccount(TypedDict):
    account_sid: str
    auth_token: str
    base_url: str | None
    status_callback: str | None
    timeout_s: float
    lookup_settle: timedelta


def _twilio_account(settings: Settings) -> _TwilioAccount:
    """What SMS and WhatsApp senders share: the account and where Twilio calls back."""
    assert settings.twilio_account_sid and settings.twilio_auth_token  # twilio_enabled
    return _TwilioAccount(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        base_url=settings.twilio_base_url,
        status_callback=settings.twilio_status_callback_url,
        timeout_s=settings.provider_timeout_s,
        lookup_settle=timedelta(seconds=settings.twilio_lookup_settle_s),
    )

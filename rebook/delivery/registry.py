"""Which sender serves each channel, built from one SenderConfig: the deployment's
Settings, overridden by a workspace's own sender identities and provider accounts
(sender_config). The worker builds one set per workspace (rebook.delivery.profiles).

A channel without a configured provider falls back to the embedded outbox, so the whole
service runs (and records every message) with no provider accounts at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypedDict
from urllib.parse import urlencode

from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender
from rebook.core.workspaces import (
    DEFAULT_WORKSPACE_ID,
    ProviderCredentials,
    WorkspaceSettings,
)
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from rebook.delivery.sendgrid_email import SendGridEmailSender
from rebook.delivery.twilio_messaging import TwilioSmsSender, TwilioWhatsAppSender
from rebook.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderConfig:
    """Everything one set of senders is built from. Hashable, so senders (and their
    provider clients) are reused for as long as it does not change. Secrets are kept out
    of repr."""

    workspace_id: str
    sendgrid_host: str
    email_from_address: str | None
    email_from_name: str
    # How senders call providers and look for evidence of a send in doubt.
    provider_timeout_s: float
    sendgrid_email_activity: bool
    sendgrid_activity_lag: timedelta
    twilio_lookup_settle: timedelta
    sendgrid_api_key: str | None = field(default=None, repr=False)
    twilio_account_sid: str | None = field(default=None, repr=False)
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_base_url: str | None = None
    twilio_sms_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_whatsapp_content_sids: tuple[tuple[str, str], ...] = ()
    twilio_status_callback: str | None = None


def sender_config(
    settings: Settings,
    own: WorkspaceSettings | None = None,
    credentials: ProviderCredentials | None = None,
    workspace_id: str = DEFAULT_WORKSPACE_ID,
) -> SenderConfig:
    """The workspace's senders: its own settings where it has them, else the deployment's.

    Sender identities belong to a provider account: with its own SendGrid (Twilio)
    account, a workspace sends from its own address (numbers) only, since the deployment's
    are not verified on that account; without one, its identities override the
    deployment's one by one.
    """
    own = own or WorkspaceSettings()
    credentials = credentials or ProviderCredentials()
    sendgrid, twilio = credentials.sendgrid, credentials.twilio
    inherit_email = sendgrid is None
    inherit_numbers = twilio is None
    return SenderConfig(
        workspace_id=workspace_id,
        sendgrid_host=settings.sendgrid_host,
        sendgrid_api_key=sendgrid.api_key if sendgrid else settings.sendgrid_api_key,
        email_from_address=_own_or(
            own.email_from_address, settings.email_from_address, inherit_email
        ),
        email_from_name=own.sender_name or own.brand_name or settings.email_from_name,
        twilio_account_sid=twilio.account_sid if twilio else settings.twilio_account_sid,
        twilio_auth_token=twilio.auth_token if twilio else settings.twilio_auth_token,
        twilio_base_url=settings.twilio_base_url,
        twilio_sms_from=_own_or(own.twilio_sms_from, settings.twilio_sms_from, inherit_numbers),
        twilio_messaging_service_sid=_own_or(
            own.twilio_messaging_service_sid,
            settings.twilio_messaging_service_sid,
            inherit_numbers,
        ),
        twilio_whatsapp_from=_own_or(
            own.twilio_whatsapp_from, settings.twilio_whatsapp_from, inherit_numbers
        ),
        twilio_whatsapp_content_sids=tuple(sorted(settings.twilio_whatsapp_content_sids.items())),
        twilio_status_callback=_status_callback(settings, workspace_id),
        provider_timeout_s=settings.provider_timeout_s,
        # The Email Activity API is an add-on of the deployment's account; a workspace's
        # own account is reconciled by its Event Webhook's events only.
        sendgrid_email_activity=settings.sendgrid_email_activity and sendgrid is None,
        sendgrid_activity_lag=timedelta(seconds=settings.sendgrid_activity_lag_s),
        twilio_lookup_settle=timedelta(seconds=settings.twilio_lookup_settle_s),
    )


def _own_or(own: str | None, deployment: str | None, inherit: bool) -> str | None:
    return own if own or not inherit else deployment


def _status_callback(settings: Settings, workspace_id: str) -> str | None:
    """Where Twilio reports on the workspace's messages (api/routers/webhooks.py); the
    default workspace keeps the plain URL its older messages were sent with."""
    url = settings.twilio_status_callback_url
    if url is None or workspace_id == DEFAULT_WORKSPACE_ID:
        return url
    return f"{url}?{urlencode({'workspace': workspace_id})}"


def build_senders(config: SenderConfig) -> dict[Channel, ChannelSender]:
    return {
        Channel.EMAIL: _email_sender(config),
        Channel.SMS: _sms_sender(config),
        Channel.WHATSAPP: _whatsapp_sender(config),
        Channel.IN_APP: InAppSender(),
    }


def _email_sender(config: SenderConfig) -> ChannelSender:
    if not config.sendgrid_api_key:
        return OutboxSender(Channel.EMAIL)
    if not config.email_from_address:
        logger.warning(
            "workspace %s has its own SendGrid account but no email_from_address: "
            "email goes to the outbox",
            config.workspace_id,
        )
        return OutboxSender(Channel.EMAIL)
    return SendGridEmailSender(
        api_key=config.sendgrid_api_key,
        host=config.sendgrid_host,
        from_email=config.email_from_address,
        from_name=config.email_from_name,
        workspace_id=config.workspace_id,
        timeout_s=config.provider_timeout_s,
        email_activity=config.sendgrid_email_activity,
        activity_lag=config.sendgrid_activity_lag,
    )


def _sms_sender(config: SenderConfig) -> ChannelSender:
    if not (config.twilio_account_sid and config.twilio_auth_token):
        return OutboxSender(Channel.SMS)
    if not (config.twilio_sms_from or config.twilio_messaging_service_sid):
        logger.warning(
            "Twilio credentials are set but no SMS sender number or messaging service "
            "(workspace %s): SMS goes to the outbox",
            config.workspace_id,
        )
        return OutboxSender(Channel.SMS)
    return TwilioSmsSender(
        **_twilio_account(config),
        from_number=config.twilio_sms_from,
        messaging_service_sid=config.twilio_messaging_service_sid,
    )


def _whatsapp_sender(config: SenderConfig) -> ChannelSender:
    if not (config.twilio_account_sid and config.twilio_auth_token):
        return OutboxSender(Channel.WHATSAPP)
    if not config.twilio_whatsapp_from:
        logger.warning(
            "Twilio credentials are set but no WhatsApp sender (workspace %s): "
            "WhatsApp goes to the outbox",
            config.workspace_id,
        )
        return OutboxSender(Channel.WHATSAPP)
    return TwilioWhatsAppSender(
        **_twilio_account(config),
        from_number=config.twilio_whatsapp_from,
        content_sids=dict(config.twilio_whatsapp_content_sids),
    )


class _TwilioAccount(TypedDict):
    account_sid: str
    auth_token: str
    base_url: str | None
    status_callback: str | None
    timeout_s: float
    lookup_settle: timedelta


def _twilio_account(config: SenderConfig) -> _TwilioAccount:
    """What SMS and WhatsApp senders share: the account and where Twilio calls back."""
    assert config.twilio_account_sid and config.twilio_auth_token  # checked by the callers
    return _TwilioAccount(
        account_sid=config.twilio_account_sid,
        auth_token=config.twilio_auth_token,
        base_url=config.twilio_base_url,
        status_callback=config.twilio_status_callback,
        timeout_s=config.provider_timeout_s,
        lookup_settle=config.twilio_lookup_settle,
    )

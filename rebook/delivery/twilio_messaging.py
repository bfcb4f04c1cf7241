"""SMS and WhatsApp through Twilio's Programmable Messaging API, using the official SDK.

Both channels create a Message resource; WhatsApp addresses carry a "whatsapp:" prefix.
The provider message id is the Message SID ("SM...").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from requests.exceptions import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import (
    PermanentDeliveryError,
    ProviderReceipt,
    RenderedMessage,
    TransientDeliveryError,
)
from rebook.delivery.codes import TWILIO, TWILIO_AUTHENTICATION_FAILED, TWILIO_OPT_OUT_CODES

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
WHATSAPP_PREFIX = "whatsapp:"


class _TwilioMessagingSender:
    provider = TWILIO

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        status_callback: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        # Twilio POSTs each status change of the message here (api/routers/webhooks.py).
        self._callback = {"status_callback": status_callback} if status_callback else {}
        self._client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_s)
        )
        if base_url:
            # Domain.absolute_url() reads base_url on every request, so this routes all
            # api.twilio.com calls (Messages included) to the override.
            self._client.api.base_url = base_url.rstrip("/")

    def _create(self, message: RenderedMessage, **params: str) -> ProviderReceipt:
        if "content_sid" not in params:
            params = {"body": message.body, **params}
        try:
            created = self._client.messages.create(**self._callback, **params)
        except TwilioException as err:
            raise _classify(err) from err
        except RequestException as err:
            raise TransientDeliveryError(f"Twilio unreachable: {err}") from err
        return ProviderReceipt(
            provider=self.provider,
            provider_message_id=str(created.sid),
            status=CommunicationStatus.SENT,
        )


class TwilioSmsSender(_TwilioMessagingSender):
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str | None = None,
        status_callback: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio SMS needs a sender number or a messaging service SID")
        super().__init__(
            account_sid,
            auth_token,
            base_url=base_url,
            status_callback=status_callback,
            timeout_s=timeout_s,
        )
        # A messaging service picks the sender itself (pools, geo-match, short codes).
        self._sender = (
            {"messaging_service_sid": messaging_service_sid}
            if messaging_service_sid
            else {"from_": str(from_number)}
        )

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        return self._create(message, to=message.to_address, **self._sender)


class TwilioWhatsAppSender(_TwilioMessagingSender):
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str,
        content_sids: Mapping[str, str] | None = None,
        base_url: str | None = None,
        status_callback: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(
            account_sid,
            auth_token,
            base_url=base_url,
            status_callback=status_callback,
            timeout_s=timeout_s,
        )
        self._from = whatsapp_address(from_number)
        self._content_sids = dict(content_sids or {})

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        addresses = {"to": whatsapp_address(message.to_address), "from_": self._from}
        content_sid = self._content_sids.get(message.template or "")
        if content_sid is None:
            # Free-form text: delivered only inside the 24 h window the contact opened by
            # writing to us; outside it Twilio refuses (63016) and the workflow falls back
            # to the next channel.
            return self._create(message, **addresses)
        # The pre-approved template: WhatsApp delivers it whenever, window or not.
        return self._create(
            message,
            **addresses,
            content_sid=content_sid,
            content_variables=json.dumps(dict(message.template_variables or {})),
        )


def whatsapp_address(number: str) -> str:
    return number if number.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{number}"


def _classify(err: TwilioException) -> TransientDeliveryError | PermanentDeliveryError:
    status = getattr(err, "status", None)
    code = getattr(err, "code", None)
    detail = _error_text(err)
    if status == 401 or code == TWILIO_AUTHENTICATION_FAILED:
        # Wrong SID/token fails every message. Retries recover once operators fix the
        # credentials, so stay transient, but make it loud.
        logger.error("Twilio rejected the credentials (401): %s. Fix TWILIO_*.", detail)
        return TransientDeliveryError(f"Twilio 401 (credentials): {detail}")
    if not isinstance(status, int) or status == 429 or status >= 500:
        return TransientDeliveryError(f"Twilio {status}: {detail}")
    # Everything else is a 4xx about this message: invalid number (21211), not a mobile
    # number (21614), region not enabled (21408), not a WhatsApp user (63003), ...
    return PermanentDeliveryError(
        f"Twilio {status} ({code}): {detail}",
        code=str(code) if code is not None else str(status),
        opted_out=code in TWILIO_OPT_OUT_CODES,
    )


def _error_text(err: TwilioException) -> str:
    # TwilioRestException.__str__ adds ANSI colours on a TTY; .msg is the plain text.
    if isinstance(err, TwilioRestException):
        return err.msg or f"HTTP {err.status}"
    return str(getattr(err, "detail", None) or getattr(err, "title", None) or err)

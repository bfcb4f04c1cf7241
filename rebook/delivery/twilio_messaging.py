"""SMS and WhatsApp through Twilio's Programmable Messaging API, using the official SDK.

Both channels create a Message resource; WhatsApp addresses carry a "whatsapp:" prefix.
The provider message id is the Message SID ("SM...").

A send whose outcome is unknown (AmbiguousDeliveryError) is settled by lookup(): Twilio's
Messages list, filtered by recipient and sender, searched for our message. Our idempotency
key also rides in the status callback URL, so every status callback names the message it
is about even before we know its SID (api/routers/webhooks.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout, RequestException, SSLError
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import (
    AmbiguousDeliveryError,
    Found,
    LookupResult,
    LookupWindow,
    NoEvidence,
    NotFound,
    PermanentDeliveryError,
    ProviderReceipt,
    RenderedMessage,
    TransientDeliveryError,
)
from rebook.delivery.callback_urls import with_idempotency_key
from rebook.delivery.codes import (
    TWILIO,
    TWILIO_AUTHENTICATION_FAILED,
    TWILIO_OPT_OUT_CODES,
    outcome_unknown,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
WHATSAPP_PREFIX = "whatsapp:"
# A request that timed out on our side may still be finishing at Twilio; until this long
# after the send went in doubt, an empty Messages list is not yet proof of absence.
DEFAULT_LOOKUP_SETTLE = timedelta(seconds=60)
# Clocks differ; a message created a little before our claim time is still a candidate.
_CLOCK_SKEW = timedelta(minutes=2)
# Rebook sends a contact a handful of messages a day: the newest page holds ours.
_LOOKUP_LIMIT = 50


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
        lookup_settle: timedelta = DEFAULT_LOOKUP_SETTLE,
    ) -> None:
        # Twilio POSTs each status change of the message here (api/routers/webhooks.py).
        self._status_callback = status_callback
        self._lookup_settle = lookup_settle
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
        if self._status_callback:
            params["status_callback"] = with_idempotency_key(
                self._status_callback, message.idempotency_key
            )
        try:
            created = self._client.messages.create(**params)
        except TwilioException as err:
            raise _classify(err) from err
        except RequestException as err:
            raise _request_failure(err) from err
        return self._receipt(str(created.sid))

    def _receipt(self, sid: str) -> ProviderReceipt:
        return ProviderReceipt(
            provider=self.provider, provider_message_id=sid, status=CommunicationStatus.SENT
        )

    def _find(
        self,
        message: RenderedMessage,
        window: LookupWindow,
        *,
        body_known: bool,
        to: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> LookupResult:
        """Search the Messages list (newest first) for message: same recipient and sender,
        created since the claim and, unless Twilio renders the body from a template, the
        same body. The list is not filtered by DateSent: that filter is date-granular and
        a message still queued has no DateSent yet."""
        # The list filters by To and From only; a messaging service's is matched below.
        filters: dict[str, Any] = {"to": to} | ({"from_": from_} if from_ else {})
        try:
            candidates = self._client.messages.list(
                **filters, limit=_LOOKUP_LIMIT, page_size=_LOOKUP_LIMIT
            )
        except (TwilioException, RequestException) as err:
            return NoEvidence(f"Twilio Messages list failed: {err}")
        for candidate in candidates:
            if messaging_service_sid and candidate.messaging_service_sid != messaging_service_sid:
                continue
            if _matches(candidate, message, window, body_known=body_known):
                return Found(self._receipt(str(candidate.sid)))
        if window.now - window.in_doubt_since >= self._lookup_settle:
            return NotFound("Twilio lists no such message")
        return NoEvidence("Twilio lists no such message yet; a late request may still land")


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
        lookup_settle: timedelta = DEFAULT_LOOKUP_SETTLE,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio SMS needs a sender number or a messaging service SID")
        super().__init__(
            account_sid,
            auth_token,
            base_url=base_url,
            status_callback=status_callback,
            timeout_s=timeout_s,
            lookup_settle=lookup_settle,
        )
        # A messaging service picks the sender itself (pools, geo-match, short codes).
        self._sender = (
            {"messaging_service_sid": messaging_service_sid}
            if messaging_service_sid
            else {"from_": str(from_number)}
        )

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        return self._create(message, to=message.to_address, **self._sender)

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        return self._find(message, window, body_known=True, to=message.to_address, **self._sender)


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
        lookup_settle: timedelta = DEFAULT_LOOKUP_SETTLE,
    ) -> None:
        super().__init__(
            account_sid,
            auth_token,
            base_url=base_url,
            status_callback=status_callback,
            timeout_s=timeout_s,
            lookup_settle=lookup_settle,
        )
        self._from = whatsapp_address(from_number)
        self._content_sids = dict(content_sids or {})

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        # A pre-approved template's text is rendered by Twilio, so only recipient, sender
        # and time can match it.
        templated = (message.template or "") in self._content_sids
        return self._find(
            message,
            window,
            body_known=not templated,
            to=whatsapp_address(message.to_address),
            from_=self._from,
        )

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


def _matches(
    candidate: Any, message: RenderedMessage, window: LookupWindow, *, body_known: bool
) -> bool:
    created = candidate.date_created
    if created is not None and created < window.since - _CLOCK_SKEW:
        return False
    if not body_known:
        return True
    # Trial accounts prefix "Sent from your Twilio trial account - ".
    return bool(candidate.body) and str(candidate.body).endswith(message.body)


def _request_failure(err: RequestException) -> TransientDeliveryError | AmbiguousDeliveryError:
    """Did the request leave? Refused, unresolvable or TLS-failed connections never carried
    it; a read timeout or a connection dropped mid-response may have been accepted."""
    if isinstance(err, ConnectTimeout | SSLError) or _never_connected(err):
        return TransientDeliveryError(f"Twilio unreachable: {err}")
    return AmbiguousDeliveryError(f"Twilio outcome unknown: {err}")


def _never_connected(err: RequestException) -> bool:
    if not isinstance(err, RequestsConnectionError):
        return False
    reason = err.args[0] if err.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NameResolutionError is a NewConnectionError too.
    return isinstance(reason, NewConnectionError)


def _classify(
    err: TwilioException,
) -> TransientDeliveryError | AmbiguousDeliveryError | PermanentDeliveryError:
    status = getattr(err, "status", None)
    code = getattr(err, "code", None)
    detail = _error_text(err)
    if status == 401 or code == TWILIO_AUTHENTICATION_FAILED:
        # Wrong SID/token fails every message. Retries recover once operators fix the
        # credentials, so stay transient, but make it loud.
        logger.error("Twilio rejected the credentials (401): %s. Fix TWILIO_*.", detail)
        return TransientDeliveryError(f"Twilio 401 (credentials): {detail}")
    if not isinstance(status, int) or outcome_unknown(status):
        # An unreadable answer or a server error after the request arrived.
        return AmbiguousDeliveryError(f"Twilio {status}, outcome unknown: {detail}")
    if status == 429 or status >= 500:
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

"""Provider webhook authentication. Webhooks carry no API key: SendGrid signs the raw body
with ECDSA, Twilio with HMAC-SHA1 over the URL and form parameters. With the respective
secret unset (development), posts are accepted unsigned.
"""

from __future__ import annotations

import binascii
import functools
import logging
import time
from collections.abc import Mapping

from sendgrid.helpers.eventwebhook import EventWebhook
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from api.errors import Unauthorized
from rebook.settings import Settings

logger = logging.getLogger(__name__)

SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
# SendGrid signs the timestamp with the body; a signed post older than this (or this far
# ahead of our clock) is a replay, refused as its docs advise.
SENDGRID_MAX_AGE_S = 5 * 60


def verify_sendgrid(
    settings: Settings, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """Raises Unauthorized unless the body carries SendGrid's signature over a timestamp at
    most SENDGRID_MAX_AGE_S old (when a verification key is configured). now: Unix seconds
    (tests)."""
    if not settings.sendgrid_webhook_public_key:
        return
    signature = headers.get(SENDGRID_SIGNATURE_HEADER)
    timestamp = headers.get(SENDGRID_TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise Unauthorized("missing SendGrid event webhook signature")
    if not timestamp.isdigit():
        raise Unauthorized("invalid SendGrid event webhook timestamp")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > SENDGRID_MAX_AGE_S:
        raise Unauthorized(
            f"SendGrid event webhook timestamp is {int(age)} s off: replays older than "
            f"{SENDGRID_MAX_AGE_S} s are refused"
        )
    try:
        verifier = _sendgrid_verifier(settings.sendgrid_webhook_public_key)
        valid = verifier.verify_signature(body.decode("utf-8"), signature, timestamp)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        # Undecodable signature or body, or a malformed or non-EC key in the settings
        # (TypeError from verify): nothing we can trust.
        logger.warning("SendGrid webhook signature not checkable: %s", exc)
        valid = False
    if not valid:
        raise Unauthorized("invalid SendGrid event webhook signature")


@functools.lru_cache(maxsize=4)
def _sendgrid_verifier(public_key: str) -> EventWebhook:
    try:
        return EventWebhook(public_key.strip())
    except ValueError:
        logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not a valid public key")
        raise


def verify_twilio(settings: Settings, request: Request, params: Mapping[str, str]) -> None:
    """Raises Unauthorized unless X-Twilio-Signature matches (when an auth token is set)."""
    if not settings.twilio_auth_token:
        return
    signature = request.headers.get(TWILIO_SIGNATURE_HEADER)
    if not signature:
        raise Unauthorized("missing X-Twilio-Signature")
    validator = RequestValidator(settings.twilio_auth_token)
    if not validator.validate(signed_url(settings, request), dict(params), signature):
        raise Unauthorized("invalid X-Twilio-Signature")


def signed_url(settings: Settings, request: Request) -> str:
    """The URL Twilio signed: the public one it posted to. Behind a proxy or TLS
    terminator the API sees another host or scheme, hence PUBLIC_BASE_URL."""
    if not settings.public_base_url:
        return str(request.url)
    url = settings.public_base_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url

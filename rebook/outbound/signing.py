"""Standard Webhooks signing (https://www.standardwebhooks.com/), through the
`standardwebhooks` package.

Each delivery carries three headers:
    webhook-id         the message id: the same on every retry and redelivery, so the
                       receiver can drop duplicates
    webhook-timestamp  Unix seconds of this attempt (receivers reject stale ones)
    webhook-signature  "v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>", one per
                       active secret, space-separated (zero-downtime secret rotation)
and the secret is shown to the user once as "whsec_<base64 of 32 random bytes>".

Pure module (stdlib + standardwebhooks): signing is a computation, the HTTP call is the
delivery activity's job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import floor

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
CONTENT_TYPE = "application/json"
# The spec forbids "." in ids (it delimits the signed content); ours are msg_ + base32.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")


class WebhookSignatureError(Exception):
    """A delivery that must not be trusted: missing headers, bad signature, stale or
    future timestamp."""


class InvalidWebhookSecret(ValueError):
    """Not a `whsec_` secret of 24 to 64 bytes."""


@dataclass(frozen=True)
class SignedWebhook:
    message_id: str
    timestamp: int  # Unix seconds of this attempt
    signature: str  # the webhook-signature header value
    body: bytes  # exactly the bytes that were signed; send them unchanged

    def headers(self) -> dict[str, str]:
        """The HTTP headers of the delivery request."""
        return {
            "webhook-id": self.message_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
            "content-type": CONTENT_TYPE,
        }


def generate_secret() -> str:
    """A new endpoint secret, `whsec_` + base64 of 32 random bytes. Show it once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def validate_secret(secret: str) -> str:
    """The secret, if well formed (for an API accepting a user-chosen secret).

    Raises:
        InvalidWebhookSecret: no `whsec_` prefix, not base64, or outside 24..64 bytes.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidWebhookSecret(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidWebhookSecret("a webhook secret is base64 after its prefix") from err
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidWebhookSecret(
            f"a webhook secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {len(key)}"
        )
    return secret


def message_id_for(key: str) -> str:
    """A webhook-id derived from business identity (e.g. the outbox event's id), so
    every attempt and redelivery of one event carries the same id."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()[:20]
    return "msg_" + base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def sign(
    body: bytes, *, message_id: str, timestamp: datetime, secrets: Sequence[str]
) -> SignedWebhook:
    """Sign one delivery attempt.

    Args:
        body: the serialized payload (outbound.events.serialize), sent byte for byte.
        message_id: the event's stable webhook-id (message_id_for).
        timestamp: this attempt's time, timezone-aware; a retry signs again with its own.
        secrets: the endpoint's active secrets, newest first; each adds a signature.

    Raises:
        ValueError: no secret, or a message id with characters the spec forbids.
    """
    if not secrets:
        raise ValueError("an endpoint needs at least one secret")
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"webhook message id {message_id!r} must match {_MESSAGE_ID.pattern}")
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    signatures = [
        Webhook(validate_secret(secret)).sign(message_id, timestamp, body) for secret in secrets
    ]
    return SignedWebhook(
        message_id=message_id,
        timestamp=floor(timestamp.timestamp()),
        signature=" ".join(signatures),
        body=body,
    )


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Check a delivery as a receiver would (header names case-insensitive; timestamp
    within 5 minutes of now). For tests, and for users who want a Python example.

    Raises:
        WebhookSignatureError: the delivery must not be trusted.
    """
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError as err:
        raise WebhookSignatureError(str(err)) from err

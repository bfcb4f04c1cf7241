"""Provider webhook payloads (SendGrid Event Webhook events, Twilio status callbacks)
translated into DeliveryEvent (rebook.core.delivery_status). No SDK imports: the API uses
it; the store applies what comes out.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rebook.core.delivery_status import DeliveryEvent, Milestone
from rebook.delivery.codes import SENDGRID, TWILIO, TWILIO_OPT_OUT_CODES

# ---------------------------------------------------------------------------- SendGrid

# SendGrid event -> (provider_status, milestone, opt-out)
_SENDGRID_EVENTS: dict[str, tuple[str, Milestone | None, bool]] = {
    "processed": ("processed", None, False),
    "deferred": ("deferred", None, False),
    "delivered": ("delivered", Milestone.DELIVERED, False),
    "open": ("opened", Milestone.OPENED, False),
    "click": ("clicked", Milestone.CLICKED, False),
    "bounce": ("bounced", None, False),
    "dropped": ("dropped", None, False),
    "spamreport": ("spam_reported", None, True),
    "unsubscribe": ("unsubscribed", None, True),
    "group_unsubscribe": ("unsubscribed", None, True),
}
_SENDGRID_FAILURES = frozenset({"bounce", "dropped"})


def sendgrid_message_id(sg_message_id: str | None) -> str | None:
    """sg_message_id is X-Message-Id (what we stored) plus ".filter..." routing suffixes."""
    if not sg_message_id:
        return None
    return sg_message_id.split(".", 1)[0] or None


def from_sendgrid(
    event: str,
    timestamp: int,
    sg_message_id: str | None,
    idempotency_key: str | None,
    reason: str | None,
) -> DeliveryEvent | None:
    """None for event types we do not track (they are acknowledged and dropped)."""
    mapped = _SENDGRID_EVENTS.get(event)
    if mapped is None:
        return None
    state, milestone, opted_out = mapped
    error = None
    if event in _SENDGRID_FAILURES:
        error = f"SendGrid {event}: {reason}" if reason else f"SendGrid {event}"
    return DeliveryEvent(
        provider=SENDGRID,
        provider_message_id=sendgrid_message_id(sg_message_id),
        idempotency_key=idempotency_key or None,
        occurred_at=datetime.fromtimestamp(timestamp, UTC),
        state=state,
        milestone=milestone,
        error=error,
        opted_out=opted_out,
    )


# ---------------------------------------------------------------------------- Twilio

_TWILIO_STATUSES: dict[str, tuple[str, Milestone | None]] = {
    "accepted": ("queued", None),
    "scheduled": ("queued", None),
    "queued": ("queued", None),
    "sending": ("sending", None),
    "sent": ("sent", None),
    "delivered": ("delivered", Milestone.DELIVERED),
    "read": ("opened", Milestone.OPENED),  # WhatsApp read receipts
    "undelivered": ("undelivered", None),
    "failed": ("failed", None),
}
_TWILIO_FAILURES = frozenset({"undelivered", "failed"})


def from_twilio(
    message_sid: str,
    message_status: str,
    error_code: str | None,
    *,
    received_at: datetime,
    idempotency_key: str | None = None,
) -> DeliveryEvent | None:
    """Twilio callbacks carry no event time: received_at stands in for it. idempotency_key:
    ours, from the callback URL's query (rebook.delivery.callback_urls)."""
    mapped = _TWILIO_STATUSES.get(message_status)
    if mapped is None:
        return None
    state, milestone = mapped
    failed = message_status in _TWILIO_FAILURES
    error = None
    if failed:
        error = f"Twilio {message_status}" + (f" (error {error_code})" if error_code else "")
    return DeliveryEvent(
        provider=TWILIO,
        provider_message_id=message_sid,
        idempotency_key=idempotency_key or None,
        occurred_at=received_at,
        state=state,
        milestone=milestone,
        error=error,
        opted_out=failed and _code(error_code) in TWILIO_OPT_OUT_CODES,
    )


def _code(error_code: str | None) -> int | None:
    try:
        return int(error_code) if error_code else None
    except ValueError:
        return None

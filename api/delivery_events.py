"""What providers report after a send (SendGrid Event Webhook, Twilio status callbacks),
translated into one shape and applied to the communications row it is about.

Providers deliver these events late, out of order and more than once, so applying one is
idempotent and order-independent:
- each milestone (delivered, opened, clicked) keeps the earliest time reported for it;
- provider_status only moves to a state of higher precedence (STATE_PRECEDENCE), so a late
  "processed" never hides "delivered", and a bounce is not hidden by anything but an
  unsubscribe or spam report.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rebook.core.domain import Recipient
from rebook.db.models import Communication, ContactOptOut
from rebook.db.stores import insert_ignoring_duplicates

SENDGRID = "sendgrid"
TWILIO = "twilio"


class Milestone(enum.Enum):
    """A first-time moment in a message's life, with the column that keeps its time."""

    DELIVERED = "delivered_at"
    OPENED = "opened_at"
    CLICKED = "clicked_at"


# Rank of each provider_status value. Higher wins; an equal rank keeps what is stored.
# Failures outrank successes because they are what someone has to act on; opt-outs rank
# highest since they end the channel for the contact altogether.
STATE_PRECEDENCE: dict[str, int] = {
    "queued": 10,
    "processed": 10,
    "sending": 20,
    "sent": 30,
    "deferred": 30,
    "delivered": 40,
    "opened": 50,
    "clicked": 60,
    "undelivered": 70,
    "failed": 70,
    "bounced": 70,
    "dropped": 70,
    "unsubscribed": 80,
    "spam_reported": 80,
}


@dataclass(frozen=True)
class DeliveryEvent:
    provider: str
    provider_message_id: str | None
    occurred_at: datetime
    state: str  # a key of STATE_PRECEDENCE
    idempotency_key: str | None = None  # matched first when the provider echoes it
    milestone: Milestone | None = None
    error: str | None = None
    opted_out: bool = False  # the contact unsubscribed from (or complained about) the channel


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
    opt_out_codes: frozenset[int],
) -> DeliveryEvent | None:
    """Twilio callbacks carry no event time: received_at stands in for it."""
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
        occurred_at=received_at,
        state=state,
        milestone=milestone,
        error=error,
        opted_out=failed and _code(error_code) in opt_out_codes,
    )


def _code(error_code: str | None) -> int | None:
    try:
        return int(error_code) if error_code else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------- SQL


def apply_delivery_event(session: Session, event: DeliveryEvent) -> bool:
    """Update the communication the event is about; False when we know no such message
    (another system's mail on the same SendGrid account, rows since deleted, ...).
    The caller commits."""
    row = _find_communication(session, event)
    if row is None:
        return False
    if event.milestone is not None:
        column = event.milestone.value
        first: datetime | None = getattr(row, column)
        if first is None or event.occurred_at < first:
            setattr(row, column, event.occurred_at)
    if outranks(event.state, row.provider_status):
        row.provider_status = event.state
        if event.error:
            row.error = event.error
    if event.opted_out and row.recipient == Recipient.CONTACT.value:
        # Same row and semantics as SqlCommunicationLedger.record_opt_out: the workflow's
        # next message on this channel is skipped and falls back to another channel.
        insert_ignoring_duplicates(
            session,
            ContactOptOut,
            {
                "contact_id": row.contact_id,
                "channel": row.channel,
                "reason": f"{event.provider} reported {event.state}"
                + (f": {event.error}" if event.error else ""),
            },
        )
    return True


def outranks(new_state: str, stored_state: str | None) -> bool:
    if stored_state is None:
        return True
    return STATE_PRECEDENCE.get(new_state, 0) > STATE_PRECEDENCE.get(stored_state, 0)


def _find_communication(session: Session, event: DeliveryEvent) -> Communication | None:
    # FOR UPDATE (PostgreSQL) serialises concurrent events about one message, so
    # first-time-wins and precedence hold; SQLite gets that from BEGIN IMMEDIATE.
    if event.idempotency_key:
        row = session.scalar(
            select(Communication)
            .where(Communication.idempotency_key == event.idempotency_key)
            .with_for_update()
        )
        if row is not None:
            return row
    if not event.provider_message_id:
        return None
    return session.scalars(
        select(Communication)
        .where(
            Communication.provider == event.provider,
            Communication.provider_message_id == event.provider_message_id,
        )
        .order_by(Communication.created_at)
        .limit(1)
        .with_for_update()
    ).first()

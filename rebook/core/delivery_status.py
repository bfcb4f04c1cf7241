"""What providers report about a message after it was sent, in one shape whatever the
provider, and how reports combine.

Providers deliver these reports late, out of order and more than once, so applying one is
idempotent and order-independent:
- each milestone (delivered, opened, clicked) keeps the earliest time reported for it;
- provider_status only moves to a state of higher precedence (STATE_PRECEDENCE), so a late
  "processed" never hides "delivered", and a bounce is not hidden by anything but an
  unsubscribe or spam report.

Pure module. rebook.delivery.webhook_events translates provider payloads into
DeliveryEvent; rebook.db.stores.delivery_events applies them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Milestone(enum.Enum):
    """A first-time moment in a message's life, named by the field that keeps its time."""

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


def outranks(new_state: str, stored_state: str | None) -> bool:
    if stored_state is None:
        return True
    return STATE_PRECEDENCE.get(new_state, 0) > STATE_PRECEDENCE.get(stored_state, 0)

"""The follow-up report: how many no-shows were won back, overall and per A/B variant, and
how messages fared per channel. The seed's "track key metrics" and "A/B test everything"
need exactly these numbers. Pure module; rebook.db.stores.reports fills it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from rebook.core.domain import Channel, CommunicationStatus


@dataclass(frozen=True)
class OutcomeCounts:
    appointments: int = 0
    missed: int = 0  # appointments with at least one no-show
    rebooked_after_miss: int = 0  # ... that were then rescheduled: the win
    attended: int = 0
    cancelled: int = 0
    lost: int = 0
    expired: int = 0

    @property
    def no_show_rate(self) -> float | None:
        return _ratio(self.missed, self.appointments)

    @property
    def rebook_rate(self) -> float | None:
        return _ratio(self.rebooked_after_miss, self.missed)

    def plus(self, other: OutcomeCounts) -> OutcomeCounts:
        return OutcomeCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class VariantOutcome:
    experiment: str
    variant: str
    outcomes: OutcomeCounts


@dataclass(frozen=True)
class ChannelDeliveries:
    channel: Channel
    status: CommunicationStatus
    messages: int
    # Of those, how many the provider reported delivered / opened / clicked (webhooks).
    delivered: int = 0
    opened: int = 0
    clicked: int = 0


@dataclass(frozen=True)
class FollowUpReport:
    since: datetime
    until: datetime
    experiment: str | None
    totals: OutcomeCounts
    variants: list[VariantOutcome]
    deliveries: list[ChannelDeliveries]

    @property
    def unconfirmed_messages(self) -> int:
        """Sends whose outcome no provider evidence settled: never resent, so a contact
        may have missed them (GET /v1/communications?status=unconfirmed lists them)."""
        return sum(
            d.messages for d in self.deliveries if d.status is CommunicationStatus.UNCONFIRMED
        )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

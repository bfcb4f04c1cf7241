"""What the stores hand back: frozen snapshots of stored rows, never ORM objects.

A "record" is what the database knows about something, composed from the core concepts
rather than repeating their fields. A "draft" is a message before it is stored. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rebook.core.contracts import AppointmentDetails, AppointmentEvent, Progress
from rebook.core.domain import Channel, CommunicationStatus, Recipient


@dataclass(frozen=True)
class AppointmentRecord:
    """A stored appointment: what its workflow is told, the database mirror of its progress
    and what only the database keeps."""

    details: AppointmentDetails  # starts_at: the current slot, in the offset it was booked in
    progress: Progress  # as the workflow last mirrored it; same starts_at as details
    request_fingerprint: str  # sha256 of the create request: same body, same answer
    workflow_id: str
    created_at: datetime


@dataclass(frozen=True)
class CommunicationDraft:
    """A rendered message about to be claimed (rebook.core.ports.CommunicationLedger)."""

    idempotency_key: str
    appointment_id: str
    contact_id: str
    recipient: Recipient
    step: str
    template: str
    channel: Channel
    variant: str
    to_address: str
    subject: str
    body: str
    scheduled_for: datetime


@dataclass(frozen=True)
class CommunicationRecord(CommunicationDraft):
    """One stored message, the draft plus what became of it: sent, recorded in the outbox,
    delivered in-app, skipped or failed."""

    id: str
    status: CommunicationStatus
    provider: str | None
    provider_message_id: str | None
    error: str | None
    attempts: int
    sent_at: datetime | None
    read_at: datetime | None  # in-app inbox
    created_at: datetime
    # What the provider reported after the send (delivery webhooks): the most significant
    # state so far (rebook.core.delivery_status) and the first time of each milestone.
    provider_status: str | None = None
    delivered_at: datetime | None = None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None
    # Delivery bookkeeping (rebook.core.ports.CommunicationLedger): which attempt holds the
    # message and until when, and since when its outcome has been unknown (CHECKING, and
    # UNCONFIRMED once the reconciliation window passed without evidence).
    lease_holder: str | None = None
    lease_expires_at: datetime | None = None
    in_doubt_since: datetime | None = None


@dataclass(frozen=True)
class PageMark:
    """Where a page of messages ended (newest first): the next page starts after it."""

    created_at: datetime
    id: str


@dataclass(frozen=True)
class CommunicationQuery:
    """Which messages to list across the appointments of a workspace (the store's), newest
    first."""

    limit: int
    status: CommunicationStatus | None = None
    channel: Channel | None = None
    since: datetime | None = None  # created at or after
    after: PageMark | None = None  # the previous page's last message


@dataclass(frozen=True)
class CommunicationPage:
    items: list[CommunicationRecord]
    next: PageMark | None  # None: this was the last page


@dataclass(frozen=True)
class StoredEvent:
    """An event as the platform's report stored it."""

    event: AppointmentEvent  # the first one stored under its event_id
    created: bool  # stored by this report (else a repeat)
    delivered: bool  # the workflow (or the rebooking it caused) took it before

"""Interfaces the activities depend on; the SQL stores (rebook.db.stores) and provider
senders (rebook.delivery) that implement them are wired in worker.py. Keeping activities on
these protocols keeps provider SDKs and DB engines out of anything a workflow module
imports, and lets tests swap in the in-memory ones from tests/support.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from rebook.core.contracts import NoShowRecord, Progress
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.messages.brand import Brand
from rebook.core.records import CommunicationDraft, CommunicationRecord


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready for a channel: addressed, rendered, keyed."""

    idempotency_key: str
    channel: Channel
    to_address: str
    subject: str
    body: str  # plain text; SMS/WhatsApp send only this
    html_body: str | None = None  # email only
    to_name: str | None = None
    contact_id: str | None = None
    step: str | None = None  # sequence step, for provider-side reporting (categories)
    # Which Rebook template this is, and the values for a provider-side pre-approved
    # version of it (WhatsApp templates); channels that send `body` ignore both.
    template: str | None = None
    template_variables: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ProviderReceipt:
    provider: str  # "sendgrid", "twilio", "outbox", "in_app"
    provider_message_id: str
    status: CommunicationStatus  # SENT, RECORDED or DELIVERED


class TransientDeliveryError(Exception):
    """Rate limit, 5xx, network: safe to retry with backoff."""


class PermanentDeliveryError(Exception):
    """Invalid address, unsubscribed, rejected content: retrying cannot help."""

    def __init__(self, message: str, *, code: str | None = None, opted_out: bool = False):
        super().__init__(message)
        self.code = code
        self.opted_out = opted_out  # the recipient unsubscribed from this channel


class ChannelSender(Protocol):
    """One delivery channel backed by one provider (or the embedded outbox)."""

    provider: str

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        """Deliver or raise TransientDeliveryError / PermanentDeliveryError."""
        ...


@dataclass(frozen=True)
class Claim:
    record: CommunicationRecord
    must_send: bool  # False: already handled (or in doubt); do not call the provider


class CommunicationLedger(Protocol):
    """Durable record of every message, and the idempotency gate in front of providers."""

    def claim(self, draft: CommunicationDraft) -> Claim:
        """Create the row for draft.idempotency_key in status SENDING and return
        must_send=True; or, when a row exists: RETRYING -> back to SENDING, must_send=True;
        SENDING (a previous attempt died mid-send) -> UNCONFIRMED, must_send=False;
        any other status -> unchanged, must_send=False. Safe under concurrent claims."""
        ...

    def complete(self, communication_id: str, receipt: ProviderReceipt) -> CommunicationRecord:
        """Mark the claimed message sent (receipt.status is a success status)."""
        ...

    def fail(
        self, communication_id: str, error: str, status: CommunicationStatus
    ) -> CommunicationRecord:
        """status is RETRYING (transient), FAILED (permanent) or SKIPPED (opted out)."""
        ...

    def opted_out_channels(self, contact_id: str) -> set[Channel]: ...

    def record_opt_out(self, contact_id: str, channel: Channel, reason: str) -> None:
        """Idempotent: the first reason recorded for a channel is kept."""
        ...


class AppointmentLedger(Protocol):
    """The appointment facts the workflow reports: no-shows and its progress."""

    def record_no_show(self, record: NoShowRecord) -> int:
        """Idempotent on occurrence_key; returns the contact's no-show total."""
        ...

    def record_status(self, progress: Progress) -> None:
        """Mirror the workflow's progress; raises LookupError for an unknown appointment."""
        ...


@dataclass(frozen=True)
class DeliveryProfile:
    """How one workspace's messages are rendered and sent: its brand, and a sender per
    channel (built on its own provider accounts, or the deployment's)."""

    brand: Brand
    senders: Mapping[Channel, ChannelSender]

"""Interfaces the activities depend on; the SQL stores (rebook.db.stores) and provider
senders (rebook.delivery) that implement them are wired in worker.py. Keeping activities on
these protocols keeps provider SDKs and DB engines out of anything a workflow module
imports, and lets tests swap in the in-memory ones from tests/support.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rebook.core.brand import Brand
from rebook.core.contracts import AppointmentDetails, DeliveryRequest, NoShowRecord, Progress
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.playbook import Playbook
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
class MessageText:
    """The words of one message on its channel. subject is "" on SMS and WhatsApp (no
    subject line) and the title in-app; html_body is set for email only."""

    subject: str
    body: str
    html_body: str | None = None
    # Values for a provider-side pre-approved version of the template (WhatsApp); None on
    # other channels.
    template_variables: Mapping[str, str] | None = None


class RenderFailed(Exception):
    """The message cannot be rendered (no copy for the channel, a template error): a
    permanent failure of that channel, never a blank message."""


class MessageRenderer(Protocol):
    def render(self, request: DeliveryRequest, brand: Brand) -> MessageText:
        """The copy of request.playbook for the request's template, channel and contact,
        in the workspace's brand. Raises RenderFailed."""
        ...


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


class MessageHistory(Protocol):
    """What the send-time rules read from and write to the communications ledger."""

    def sends_to_contact(self, contact_id: str, since: datetime, until: datetime) -> list[datetime]:
        """When messages to the contact went out (or may have: in flight, in doubt), across
        all their appointments, for times in (since, until]. Failed, skipped and deferred
        attempts and messages to hosts do not count."""
        ...

    def opted_out_channels(self, contact_id: str) -> set[Channel]: ...

    def record_hold(
        self, draft: CommunicationDraft, status: CommunicationStatus, reason: str
    ) -> None:
        """Record a step that was not sent now: DEFERRED (frequency cap) or SKIPPED (a
        stop condition), with the reason. Idempotent on draft.idempotency_key: the first
        record is kept."""
        ...


class ContactBookings(Protocol):
    """What the send-time rules read about the contact's other appointments."""

    def has_upcoming_appointment(self, contact_id: str, other_than: str, after: datetime) -> bool:
        """Whether the contact has another appointment, still scheduled, that starts after
        `after` (the stop condition `rebooked`)."""
        ...


@dataclass(frozen=True)
class PlaybookResolution:
    playbook: Playbook
    reason: str  # how it was chosen, for the log


class PlaybookResolver(Protocol):
    """Which playbook an appointment runs (rebook.playbooks.catalog.CatalogResolver)."""

    def resolve(
        self, appointment: AppointmentDetails, name: str | None = None
    ) -> PlaybookResolution:
        """The latest version of `name` (a reschedule keeps its playbook), else of the
        playbook the appointment names, else of the one the selection rules choose."""
        ...

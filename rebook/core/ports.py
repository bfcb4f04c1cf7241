"""Interfaces the activities depend on; the SQL stores (rebook.db.stores) and provider
senders (rebook.delivery) that implement them are wired in worker.py. Keeping activities on
these protocols keeps provider SDKs and DB engines out of anything a workflow module
imports, and lets tests swap in the in-memory ones from tests/support.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
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
    """The provider certainly did not take the message (refused or unresolvable connection,
    TLS failure before the request was sent, 429, 503): safe to retry with backoff."""


class AmbiguousDeliveryError(Exception):
    """The request may have reached the provider and the outcome is unknown (read timeout
    after the request was sent, connection reset mid-response, a 5xx that can follow an
    accepted request). Resending blindly could duplicate; the send is reconciled first."""


class PermanentDeliveryError(Exception):
    """Invalid address, unsubscribed, rejected content: retrying cannot help."""

    def __init__(self, message: str, *, code: str | None = None, opted_out: bool = False):
        super().__init__(message)
        self.code = code
        self.opted_out = opted_out  # the recipient unsubscribed from this channel


@dataclass(frozen=True)
class LookupWindow:
    """What a sender may assume when asked for evidence of an earlier send."""

    since: datetime  # the message was first claimed then: no send of it can be older
    in_doubt_since: datetime  # since when its outcome has been unknown
    now: datetime


@dataclass(frozen=True)
class Found:
    """The provider has the message: the receipt names it."""

    receipt: ProviderReceipt


@dataclass(frozen=True)
class NotFound:
    """The provider is authoritative that it has no such message: sending is safe."""

    reason: str


@dataclass(frozen=True)
class NoEvidence:
    """Neither can be shown now (no lookup API, provider unreachable, too early to trust an
    empty answer): ask again later, never send on this."""

    reason: str


LookupResult = Found | NotFound | NoEvidence


class ChannelSender(Protocol):
    """One delivery channel backed by one provider (or the embedded outbox)."""

    provider: str

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        """Deliver or raise TransientDeliveryError / AmbiguousDeliveryError /
        PermanentDeliveryError."""
        ...

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        """Evidence, by business key and content, of whether an earlier send of message
        reached the provider. Never raises: an unreachable provider is NoEvidence."""
        ...


@dataclass(frozen=True)
class Lease:
    """Who claims a message and for how long: an attempt may still be sending until its
    lease expires, so nobody else reconciles (or resends) the message before then. The
    duration is at least the activity's start-to-close timeout."""

    holder: str  # workflow run, activity id and attempt
    duration: timedelta


class ClaimAction(StrEnum):
    SEND = "send"  # this attempt holds the lease: call the provider
    RECONCILE = "reconcile"  # an earlier send's outcome is unknown: gather evidence first
    WAIT = "wait"  # another attempt may still be sending: its lease has not expired
    DONE = "done"  # settled earlier (sent, failed, skipped, unconfirmed): report that


@dataclass(frozen=True)
class Claim:
    record: CommunicationRecord
    action: ClaimAction

    @property
    def must_send(self) -> bool:
        return self.action is ClaimAction.SEND


class CommunicationLedger(Protocol):
    """Durable record of every message, and the idempotency gate in front of providers.

    Each method is one short transaction, safe under concurrent callers. Methods that take a
    holder change the row only while that lease holder still owns it, so an attempt that
    Temporal has already given up on cannot overwrite what a later attempt decided.
    """

    def claim(self, draft: CommunicationDraft, lease: Lease) -> Claim:
        """By the row for draft.idempotency_key:
        - none: created SENDING under lease (attempts 1) -> SEND;
        - RETRYING: SENDING again under lease, attempts + 1 -> SEND;
        - SENDING or CHECKING under another holder's unexpired lease -> WAIT;
        - SENDING with an expired lease (its attempt died or gave up mid-send), or
          CHECKING: CHECKING under lease (in doubt from now, if not already) -> RECONCILE;
        - any other status: unchanged -> DONE."""
        ...

    def resend(self, communication_id: str, holder: str) -> CommunicationRecord | None:
        """The provider has no record of the message: CHECKING -> SENDING, attempts + 1.
        None when holder no longer owns the row."""
        ...

    def complete(self, communication_id: str, receipt: ProviderReceipt) -> CommunicationRecord:
        """Record the provider's receipt (a success status): evidence that the message went
        out, kept whatever state the row was in unless it already has a receipt (the first
        one wins). Raises ValueError for a non-success receipt."""
        ...

    def mark_in_doubt(self, communication_id: str, holder: str, error: str) -> CommunicationRecord:
        """SENDING -> CHECKING: the send's outcome is unknown from now."""
        ...

    def fail(
        self, communication_id: str, holder: str, error: str, status: CommunicationStatus
    ) -> CommunicationRecord:
        """SENDING -> status: RETRYING (certainly not sent), FAILED (permanent) or SKIPPED
        (channel unavailable)."""
        ...

    def settle_unconfirmed(
        self, communication_id: str, holder: str, reason: str
    ) -> CommunicationRecord:
        """CHECKING -> UNCONFIRMED: no evidence either way within the window; never resent."""
        ...

    def release(self, communication_id: str, holder: str, reason: str) -> None:
        """The holder is done with a CHECKING row that is still in doubt: its lease ends,
        so the next attempt may reconcile at once; reason is kept as the row's error."""
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

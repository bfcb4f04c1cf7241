"""In-memory implementations of the ports (rebook.core.ports), so activity logic can be
tested without a database or a provider. They keep the ports' contracts (claim transitions,
idempotent no-shows and opt-outs); the SQL stores and real senders are tested against the
same contracts in tests/db and tests/delivery.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from rebook.core.contracts import AppointmentDetails, NoShowRecord, Progress
from rebook.core.domain import AppointmentStatus, Channel, CommunicationStatus, Recipient
from rebook.core.ports import (
    AmbiguousDeliveryError,
    Claim,
    ClaimAction,
    Found,
    Lease,
    LookupResult,
    LookupWindow,
    NoEvidence,
    NotFound,
    PermanentDeliveryError,
    ProviderReceipt,
    RenderedMessage,
    TransientDeliveryError,
)
from rebook.core.records import CommunicationDraft, CommunicationRecord

T_RECORDED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class InMemoryCommunicationLedger:
    """CommunicationLedger over a dict keyed by idempotency key. `now` is its clock (tests
    move it to expire leases)."""

    messages: dict[str, CommunicationRecord] = field(default_factory=dict)
    opt_outs: dict[tuple[str, Channel], str] = field(default_factory=dict)
    now: datetime = T_RECORDED
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def claim(self, draft: CommunicationDraft, lease: Lease) -> Claim:
        existing = self.messages.get(draft.idempotency_key)
        leased: dict[str, Any] = {
            "lease_holder": lease.holder,
            "lease_expires_at": self.now + lease.duration,
        }
        if existing is None:
            record = self._new(draft, CommunicationStatus.SENDING, error=None, attempts=1, **leased)
            return Claim(self._save(record), ClaimAction.SEND)
        status = existing.status
        if status is CommunicationStatus.RETRYING:
            retried = replace(
                existing,
                status=CommunicationStatus.SENDING,
                attempts=existing.attempts + 1,
                **leased,
            )
            return Claim(self._save(retried), ClaimAction.SEND)
        if status not in (CommunicationStatus.SENDING, CommunicationStatus.CHECKING):
            return Claim(existing, ClaimAction.DONE)
        if (
            existing.lease_holder != lease.holder
            and existing.lease_expires_at is not None
            and existing.lease_expires_at > self.now
        ):
            return Claim(existing, ClaimAction.WAIT)
        checking = replace(
            existing,
            status=CommunicationStatus.CHECKING,
            in_doubt_since=existing.in_doubt_since or self.now,
            **leased,
        )
        return Claim(self._save(checking), ClaimAction.RECONCILE)

    def resend(self, communication_id: str, holder: str) -> CommunicationRecord | None:
        record = self._by_id(communication_id)
        if record.lease_holder != holder or record.status is not CommunicationStatus.CHECKING:
            return None
        return self._save(
            replace(record, status=CommunicationStatus.SENDING, attempts=record.attempts + 1)
        )

    def complete(self, communication_id: str, receipt: ProviderReceipt) -> CommunicationRecord:
        assert receipt.status.is_success, receipt.status
        record = self._by_id(communication_id)
        if record.status.is_success:
            return record
        return self._save(
            replace(
                record,
                status=receipt.status,
                provider=receipt.provider,
                provider_message_id=receipt.provider_message_id,
                error=None,
                sent_at=self.now,
            )
        )

    def mark_in_doubt(self, communication_id: str, holder: str, error: str) -> CommunicationRecord:
        return self._move(
            communication_id,
            holder,
            CommunicationStatus.SENDING,
            CommunicationStatus.CHECKING,
            error,
            in_doubt_since=self.now,
        )

    def fail(
        self, communication_id: str, holder: str, error: str, status: CommunicationStatus
    ) -> CommunicationRecord:
        assert not status.is_success, status
        return self._move(communication_id, holder, CommunicationStatus.SENDING, status, error)

    def settle_unconfirmed(
        self, communication_id: str, holder: str, reason: str
    ) -> CommunicationRecord:
        return self._move(
            communication_id,
            holder,
            CommunicationStatus.CHECKING,
            CommunicationStatus.UNCONFIRMED,
            reason,
        )

    def release(self, communication_id: str, holder: str, reason: str) -> None:
        self._move(
            communication_id,
            holder,
            CommunicationStatus.CHECKING,
            CommunicationStatus.CHECKING,
            reason,
        )

    def opted_out_channels(self, contact_id: str) -> set[Channel]:
        return {channel for contact, channel in self.opt_outs if contact == contact_id}

    def record_opt_out(self, contact_id: str, channel: Channel, reason: str) -> None:
        self.opt_outs.setdefault((contact_id, channel), reason)

    def _move(
        self,
        communication_id: str,
        holder: str,
        from_status: CommunicationStatus,
        to_status: CommunicationStatus,
        error: str,
        **changes: Any,
    ) -> CommunicationRecord:
        record = self._by_id(communication_id)
        if record.lease_holder != holder or record.status is not from_status:
            return record
        # Every move ends the attempt's hold on the row.
        return self._save(
            replace(record, status=to_status, error=error, lease_expires_at=None, **changes)
        )

    # MessageHistory (the send-time rules)

    def sends_to_contact(self, contact_id: str, since: datetime, until: datetime) -> list[datetime]:
        return sorted(
            r.scheduled_for
            for r in self.messages.values()
            if r.contact_id == contact_id
            and r.recipient is Recipient.CONTACT
            and r.status.may_have_reached_the_recipient
            and since < r.scheduled_for <= until
        )

    def record_hold(
        self, draft: CommunicationDraft, status: CommunicationStatus, reason: str
    ) -> None:
        assert status in (CommunicationStatus.DEFERRED, CommunicationStatus.SKIPPED), status
        if draft.idempotency_key not in self.messages:
            self._save(self._new(draft, status, error=reason, attempts=0))

    def _new(
        self,
        draft: CommunicationDraft,
        status: CommunicationStatus,
        *,
        error: str | None,
        attempts: int,
        **changes: Any,
    ) -> CommunicationRecord:
        return CommunicationRecord(
            **asdict(draft),
            id=f"com_{next(self._ids)}",
            status=status,
            provider=None,
            provider_message_id=None,
            error=error,
            attempts=attempts,
            sent_at=None,
            read_at=None,
            created_at=self.now,
            **changes,
        )

    def _by_id(self, communication_id: str) -> CommunicationRecord:
        [record] = [r for r in self.messages.values() if r.id == communication_id]
        return record

    def _save(self, record: CommunicationRecord) -> CommunicationRecord:
        self.messages[record.idempotency_key] = record
        return record


@dataclass
class InMemoryAppointmentLedger:
    """AppointmentLedger over a dict of no-shows and the last progress per appointment."""

    appointment_ids: set[str] = field(default_factory=set)
    no_shows: dict[str, NoShowRecord] = field(default_factory=dict)
    progress: dict[str, Progress] = field(default_factory=dict)

    def record_no_show(self, record: NoShowRecord) -> int:
        self.no_shows.setdefault(record.occurrence_key, record)
        return sum(1 for r in self.no_shows.values() if r.contact_id == record.contact_id)

    def record_status(self, progress: Progress) -> None:
        if progress.appointment_id not in self.appointment_ids:
            raise LookupError(progress.appointment_id)
        self.progress[progress.appointment_id] = progress


@dataclass
class InMemoryBookings:
    """ContactBookings over a list of appointments and their statuses."""

    appointments: dict[str, tuple[AppointmentDetails, AppointmentStatus]] = field(
        default_factory=dict
    )

    def book(
        self, details: AppointmentDetails, status: AppointmentStatus = AppointmentStatus.SCHEDULED
    ) -> None:
        self.appointments[details.appointment_id] = (details, status)

    def has_upcoming_appointment(self, contact_id: str, other_than: str, after: datetime) -> bool:
        return any(
            details.contact.id == contact_id
            and details.appointment_id != other_than
            and status is AppointmentStatus.SCHEDULED
            and details.starts_at > after
            for details, status in self.appointments.values()
        )


@dataclass
class RecordingSender:
    """ChannelSender that keeps what it was given. Scripted failures (exceptions to raise)
    are used up first, one per send; an AmbiguousDeliveryError scripted with
    `accepted_anyway` keeps the message, as a provider that answered too late would.
    lookup() answers from what it kept, or `lookups` when scripted (one per lookup)."""

    provider: str = "recording"
    sent: list[RenderedMessage] = field(default_factory=list)
    failures: list[TransientDeliveryError | AmbiguousDeliveryError | PermanentDeliveryError] = (
        field(default_factory=list)
    )
    accepted_anyway: bool = False
    lookups: list[LookupResult] = field(default_factory=list)
    looked_up: int = 0

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, AmbiguousDeliveryError) and self.accepted_anyway:
                self.sent.append(message)
            raise failure
        self.sent.append(message)
        return self._receipt(len(self.sent))

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        self.looked_up += 1
        if self.lookups:
            return self.lookups.pop(0)
        keys = [m.idempotency_key for m in self.sent]
        if message.idempotency_key in keys:
            return Found(self._receipt(keys.index(message.idempotency_key) + 1))
        return NotFound("the recording sender has no such message")

    def _receipt(self, number: int) -> ProviderReceipt:
        return ProviderReceipt(self.provider, f"msg-{number}", CommunicationStatus.SENT)


NO_EVIDENCE = NoEvidence("scripted: no evidence")

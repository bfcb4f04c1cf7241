"""CommunicationStore: every message (the communications table, which is also the in-app
inbox) and the channels contacts opted out of (contact_opt_outs).

Implements rebook.core.ports.CommunicationLedger for the deliver_message activity, and
serves the API's message listings and inbox. Scoped to one workspace: every statement
filters by it, every row it writes carries it, and idempotency keys are unique within it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, literal, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import Channel, CommunicationStatus, Recipient
from rebook.core.ports import Claim, ClaimAction, Lease, ProviderReceipt
from rebook.core.records import (
    CommunicationDraft,
    CommunicationPage,
    CommunicationQuery,
    CommunicationRecord,
    PageMark,
)
from rebook.core.shapes import same_fields
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import Communication, ContactOptOut, utcnow
from rebook.db.stores._sql import Clock, insert_ignoring_duplicates
from rebook.db.types import UTCDateTime

FAILURE_STATUSES = frozenset(
    {CommunicationStatus.RETRYING, CommunicationStatus.FAILED, CommunicationStatus.SKIPPED}
)
_COUNTED = [s.value for s in CommunicationStatus if s.may_have_reached_the_recipient]
HOLD_STATUSES = frozenset({CommunicationStatus.DEFERRED, CommunicationStatus.SKIPPED})


class CommunicationNotFound(LookupError):
    pass


def new_communication_id() -> str:
    return "com_" + uuid.uuid4().hex


class CommunicationStore:
    def __init__(
        self, sessions: sessionmaker[Session], workspace_id: WorkspaceId, *, clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id
        self._clock = clock

    # ------------------------------------------------------------------ the ledger port

    def claim(self, draft: CommunicationDraft, lease: Lease) -> Claim:
        """See CommunicationLedger.claim. One transaction for a new message (the common
        case); raises IntegrityError for an unknown appointment."""
        try:
            return self._claim_new(draft, lease)
        except IntegrityError:
            # Usually the key exists (a retry, a re-run, a concurrent claim): the unique
            # constraint on idempotency_key is the arbiter, and its row decides.
            existing = self._claim_existing(draft.idempotency_key, lease)
            if existing is None:
                raise  # not a duplicate key (e.g. unknown appointment_id): a real error
            return existing

    def resend(self, communication_id: str, holder: str) -> CommunicationRecord | None:
        """See CommunicationLedger.resend. Raises CommunicationNotFound."""
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            if row.lease_holder != holder or row.status != CommunicationStatus.CHECKING.value:
                return None
            row.status = CommunicationStatus.SENDING.value
            row.attempts += 1
            return communication_record(row)

    def complete(self, communication_id: str, receipt: ProviderReceipt) -> CommunicationRecord:
        """See CommunicationLedger.complete. Raises ValueError for a non-success status,
        CommunicationNotFound for an unknown id."""
        if not receipt.status.is_success:
            raise ValueError(f"complete() needs a success status, got {receipt.status}")
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            if CommunicationStatus(row.status).is_success:
                return communication_record(row)
            row.status = receipt.status.value
            row.provider = receipt.provider
            row.provider_message_id = receipt.provider_message_id
            row.error = None
            row.sent_at = self._clock()
            row.lease_expires_at = None
            return communication_record(row)

    def mark_in_doubt(self, communication_id: str, holder: str, error: str) -> CommunicationRecord:
        """See CommunicationLedger.mark_in_doubt. Raises CommunicationNotFound."""
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            if _held_by(row, holder, CommunicationStatus.SENDING):
                row.status = CommunicationStatus.CHECKING.value
                row.in_doubt_since = self._clock()
                row.error = error
                # The attempt is done with it: the next one may reconcile at once.
                row.lease_expires_at = None
            return communication_record(row)

    def fail(
        self, communication_id: str, holder: str, error: str, status: CommunicationStatus
    ) -> CommunicationRecord:
        """See CommunicationLedger.fail. Raises ValueError for a non-failure status,
        CommunicationNotFound for an unknown id."""
        if status not in FAILURE_STATUSES:
            raise ValueError(f"fail() takes RETRYING, FAILED or SKIPPED, got {status}")
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            if _held_by(row, holder, CommunicationStatus.SENDING):
                row.status = status.value
                row.error = error
                row.lease_expires_at = None
            return communication_record(row)

    def settle_unconfirmed(
        self, communication_id: str, holder: str, reason: str
    ) -> CommunicationRecord:
        """See CommunicationLedger.settle_unconfirmed. Raises CommunicationNotFound."""
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            if _held_by(row, holder, CommunicationStatus.CHECKING):
                row.status = CommunicationStatus.UNCONFIRMED.value
                row.error = reason
                row.lease_expires_at = None
            return communication_record(row)

    def opted_out_channels(self, contact_id: str) -> set[Channel]:
        with self._sessions() as session:
            channels = session.scalars(
                select(ContactOptOut.channel).where(
                    ContactOptOut.workspace_id == self._workspace_id,
                    ContactOptOut.contact_id == contact_id,
                )
            )
            return {Channel(channel) for channel in channels}

    def record_opt_out(self, contact_id: str, channel: Channel, reason: str) -> None:
        """Idempotent; the first reason is kept. Raises IntegrityError for an unknown contact."""
        with self._sessions.begin() as session:
            insert_opt_out(session, self._workspace_id, contact_id, channel, reason)

    # ------------------------------------------------------------------ send-time rules

    def sends_to_contact(self, contact_id: str, since: datetime, until: datetime) -> list[datetime]:
        """See rebook.core.ports.MessageHistory: when the contact's messages in this
        workspace went out (their scheduled_for, the workflow's send time), for times in
        (since, until], oldest first."""
        with self._sessions() as session:
            times = session.scalars(
                select(Communication.scheduled_for)
                .where(
                    Communication.workspace_id == self._workspace_id,
                    Communication.contact_id == contact_id,
                    Communication.recipient == Recipient.CONTACT.value,
                    Communication.status.in_(_COUNTED),
                    Communication.scheduled_for > since,
                    Communication.scheduled_for <= until,
                )
                .order_by(Communication.scheduled_for)
            )
            return list(times)

    def record_hold(
        self, draft: CommunicationDraft, status: CommunicationStatus, reason: str
    ) -> None:
        """Record a step held back (DEFERRED) or stopped (SKIPPED) with its reason, once per
        draft.idempotency_key: a later hold of the same step keeps the first record. Raises
        ValueError for another status, IntegrityError for an unknown appointment."""
        if status not in HOLD_STATUSES:
            raise ValueError(f"record_hold() takes DEFERRED or SKIPPED, got {status}")
        now = self._clock()
        with self._sessions.begin() as session:
            insert_ignoring_duplicates(
                session,
                Communication,
                {
                    "id": new_communication_id(),
                    "workspace_id": self._workspace_id,
                    "idempotency_key": draft.idempotency_key,
                    "appointment_id": draft.appointment_id,
                    "contact_id": draft.contact_id,
                    "recipient": draft.recipient.value,
                    "step": draft.step,
                    "template": draft.template,
                    "channel": draft.channel.value,
                    "variant": draft.variant,
                    "to_address": draft.to_address,
                    "subject": draft.subject,
                    "body": draft.body,
                    "status": status.value,
                    "error": reason,
                    "attempts": 0,
                    "scheduled_for": draft.scheduled_for,
                    "created_at": now,
                    "updated_at": now,
                },
                unique=["workspace_id", "idempotency_key"],
            )

    def release(self, communication_id: str, holder: str, reason: str) -> None:
        """See CommunicationLedger.release. Raises CommunicationNotFound."""
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            if _held_by(row, holder, CommunicationStatus.CHECKING):
                row.lease_expires_at = None
                row.error = reason

    # ------------------------------------------------------------------ listings

    def for_appointment(self, appointment_id: str) -> list[CommunicationRecord]:
        """Every message of the appointment, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Communication)
                .where(
                    Communication.workspace_id == self._workspace_id,
                    Communication.appointment_id == appointment_id,
                )
                .order_by(Communication.created_at, Communication.id)
            )
            return [communication_record(row) for row in rows]

    def search(self, query: CommunicationQuery) -> CommunicationPage:
        """Messages across the workspace's appointments matching query, newest first, one page
        (keyset paging on created_at, id: stable while new messages arrive)."""
        conditions: list[ColumnElement[bool]] = [Communication.workspace_id == self._workspace_id]
        if query.status is not None:
            conditions.append(Communication.status == query.status.value)
        if query.channel is not None:
            conditions.append(Communication.channel == query.channel.value)
        if query.since is not None:
            conditions.append(Communication.created_at >= query.since)
        if query.after is not None:
            conditions.append(
                tuple_(Communication.created_at, Communication.id)
                < tuple_(literal(query.after.created_at, UTCDateTime()), literal(query.after.id))
            )
        with self._sessions() as session:
            rows = session.scalars(
                select(Communication)
                .where(*conditions)
                .order_by(Communication.created_at.desc(), Communication.id.desc())
                .limit(query.limit + 1)  # one more tells whether another page follows
            )
            records = [communication_record(row) for row in rows]
        items = records[: query.limit]
        more = len(records) > query.limit
        last = items[-1] if more else None
        return CommunicationPage(
            items, PageMark(last.created_at, last.id) if last is not None else None
        )

    def inbox(self, contact_id: str) -> list[CommunicationRecord]:
        """The contact's in-app messages, newest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Communication)
                .where(
                    Communication.workspace_id == self._workspace_id,
                    Communication.contact_id == contact_id,
                    Communication.channel == Channel.IN_APP.value,
                )
                .order_by(Communication.created_at.desc(), Communication.id.desc())
            )
            return [communication_record(row) for row in rows]

    def mark_read(self, contact_id: str, communication_id: str) -> CommunicationRecord | None:
        """Set read_at once (reading again keeps the first time); None when the message is
        not in this contact's inbox."""
        with self._sessions.begin() as session:
            row = session.get(Communication, communication_id, with_for_update=True)
            if (
                row is None
                or row.workspace_id != self._workspace_id
                or row.contact_id != contact_id
                or row.channel != Channel.IN_APP.value
            ):
                return None
            if row.read_at is None:
                row.read_at = self._clock()
            return communication_record(row)

    # ------------------------------------------------------------------ claims

    def _lock_communication(self, session: Session, communication_id: str) -> Communication:
        row = session.get(Communication, communication_id, with_for_update=True)
        if row is None or row.workspace_id != self._workspace_id:
            raise CommunicationNotFound(communication_id)
        return row

    def _claim_new(self, draft: CommunicationDraft, lease: Lease) -> Claim:
        with self._sessions.begin() as session:
            now = self._clock()
            row = Communication(
                id=new_communication_id(),
                workspace_id=self._workspace_id,
                idempotency_key=draft.idempotency_key,
                appointment_id=draft.appointment_id,
                contact_id=draft.contact_id,
                recipient=draft.recipient.value,
                step=draft.step,
                template=draft.template,
                channel=draft.channel.value,
                variant=draft.variant,
                to_address=draft.to_address,
                subject=draft.subject,
                body=draft.body,
                status=CommunicationStatus.SENDING.value,
                attempts=1,
                scheduled_for=draft.scheduled_for,
                lease_holder=lease.holder,
                lease_expires_at=now + lease.duration,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()  # surface a duplicate key here, inside the try of claim()
            return Claim(communication_record(row), ClaimAction.SEND)

    def _claim_existing(self, idempotency_key: str, lease: Lease) -> Claim | None:
        with self._sessions.begin() as session:
            # FOR UPDATE (PostgreSQL) serialises claims of one row so only one of several
            # concurrent claimers takes it over; SQLite gets that from BEGIN IMMEDIATE.
            row = session.scalar(
                select(Communication)
                .where(
                    Communication.workspace_id == self._workspace_id,
                    Communication.idempotency_key == idempotency_key,
                )
                .with_for_update()
            )
            if row is None:
                return None
            now = self._clock()
            status = CommunicationStatus(row.status)
            if status not in (
                CommunicationStatus.RETRYING,
                CommunicationStatus.SENDING,
                CommunicationStatus.CHECKING,
            ):
                return Claim(communication_record(row), ClaimAction.DONE)
            if status is not CommunicationStatus.RETRYING and _lease_runs(row, lease, now):
                return Claim(communication_record(row), ClaimAction.WAIT)
            row.lease_holder = lease.holder
            row.lease_expires_at = now + lease.duration
            if status is CommunicationStatus.RETRYING:
                row.status = CommunicationStatus.SENDING.value
                row.attempts += 1
                return Claim(communication_record(row), ClaimAction.SEND)
            # SENDING whose attempt died or gave up mid-send, or CHECKING: the provider
            # may or may not have the message, so only evidence decides what happens next.
            row.status = CommunicationStatus.CHECKING.value
            if row.in_doubt_since is None:
                row.in_doubt_since = now
                row.error = "the attempt that claimed it never reported back"
            return Claim(communication_record(row), ClaimAction.RECONCILE)


def insert_opt_out(
    session: Session, workspace_id: WorkspaceId, contact_id: str, channel: Channel, reason: str
) -> None:
    """The one writer of contact_opt_outs, inside the caller's transaction: the workflow's
    later messages on this channel are skipped and fall back to another channel. The first
    reason is kept: it records why the contact unsubscribed."""
    insert_ignoring_duplicates(
        session,
        ContactOptOut,
        {
            "workspace_id": workspace_id,
            "contact_id": contact_id,
            "channel": channel.value,
            "reason": reason,
        },
    )


def communication_record(row: Communication) -> CommunicationRecord:
    return same_fields(
        CommunicationRecord,
        row,
        recipient=Recipient(row.recipient),
        channel=Channel(row.channel),
        status=CommunicationStatus(row.status),
    )


def _lease_runs(row: Communication, lease: Lease, now: datetime) -> bool:
    """Whether another attempt may still be working on the row."""
    return (
        row.lease_holder is not None
        and row.lease_holder != lease.holder
        and row.lease_expires_at is not None
        and row.lease_expires_at > now
    )


def _held_by(row: Communication, holder: str, status: CommunicationStatus) -> bool:
    return row.lease_holder == holder and row.status == status.value

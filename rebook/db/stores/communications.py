"""CommunicationStore: every message (the communications table, which is also the in-app
inbox) and the channels contacts opted out of (contact_opt_outs).

Implements rebook.core.ports.CommunicationLedger for the deliver_message activity, and
serves the API's message listings and inbox. Scoped to one workspace: every statement
filters by it, every row it writes carries it, and idempotency keys are unique within it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import Channel, CommunicationStatus, Recipient
from rebook.core.ports import Claim, ProviderReceipt
from rebook.core.records import CommunicationDraft, CommunicationRecord
from rebook.core.shapes import same_fields
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import Communication, ContactOptOut, utcnow
from rebook.db.stores._sql import Clock, insert_ignoring_duplicates

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

    def claim(self, draft: CommunicationDraft) -> Claim:
        """See CommunicationLedger.claim. Raises IntegrityError for an unknown appointment."""
        existing = self._claim_existing(draft.idempotency_key)
        if existing is not None:
            return existing
        try:
            return self._claim_new(draft)
        except IntegrityError:
            # Usually a concurrent claim inserted the same key first: the unique constraint
            # on idempotency_key is the arbiter, and its row decides what we do.
            raced = self._claim_existing(draft.idempotency_key)
            if raced is None:
                raise  # not a duplicate key (e.g. unknown appointment_id): a real error
            return raced

    def complete(self, communication_id: str, receipt: ProviderReceipt) -> CommunicationRecord:
        """Raises ValueError for a non-success status, CommunicationNotFound for an unknown id."""
        if not receipt.status.is_success:
            raise ValueError(f"complete() needs a success status, got {receipt.status}")
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            row.status = receipt.status.value
            row.provider = receipt.provider
            row.provider_message_id = receipt.provider_message_id
            row.error = None
            row.sent_at = self._clock()
            return communication_record(row)

    def fail(
        self, communication_id: str, error: str, status: CommunicationStatus
    ) -> CommunicationRecord:
        """Raises ValueError for a non-failure status, CommunicationNotFound for an unknown id."""
        if status not in FAILURE_STATUSES:
            raise ValueError(f"fail() takes RETRYING, FAILED or SKIPPED, got {status}")
        with self._sessions.begin() as session:
            row = self._lock_communication(session, communication_id)
            row.status = status.value
            row.error = error
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

    def _claim_new(self, draft: CommunicationDraft) -> Claim:
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
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()  # surface a duplicate key here, inside the try of claim()
            return Claim(record=communication_record(row), must_send=True)

    def _claim_existing(self, idempotency_key: str) -> Claim | None:
        with self._sessions.begin() as session:
            # FOR UPDATE (PostgreSQL) serialises claims of one row so only one of several
            # concurrent claimers can see RETRYING; SQLite gets that from BEGIN IMMEDIATE.
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
            status = CommunicationStatus(row.status)
            must_send = False
            if status is CommunicationStatus.RETRYING:
                row.status = CommunicationStatus.SENDING.value
                row.attempts += 1
                must_send = True
            elif status is CommunicationStatus.SENDING:
                # An earlier attempt claimed it and never reported back; the provider may
                # or may not have the message. Not resending is the safer duplicate policy.
                row.status = CommunicationStatus.UNCONFIRMED.value
            return Claim(record=communication_record(row), must_send=must_send)


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

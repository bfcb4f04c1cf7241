"""SQL implementations of the ledgers in rebook.core.ports (SQLite and PostgreSQL).

Every method runs in its own short transaction and returns plain dataclasses, so callers
(activities on worker threads) never hold ORM objects or sessions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import NoShowRecord, StatusUpdate
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import (
    Claim,
    CommunicationDraft,
    CommunicationRecord,
    ProviderReceipt,
)
from rebook.db.models import Appointment, Base, Communication, ContactOptOut, NoShow, utcnow

Clock = Callable[[], datetime]

FAILURE_STATUSES = frozenset(
    {CommunicationStatus.RETRYING, CommunicationStatus.FAILED, CommunicationStatus.SKIPPED}
)


class CommunicationNotFound(LookupError):
    pass


class AppointmentNotFound(LookupError):
    pass


def new_communication_id() -> str:
    return "com_" + uuid.uuid4().hex


class SqlCommunicationLedger:
    """CommunicationLedger over the communications and contact_opt_outs tables."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def claim(self, draft: CommunicationDraft) -> Claim:
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
        if not receipt.status.is_success:
            raise ValueError(f"complete() needs a success status, got {receipt.status}")
        with self._sessions.begin() as session:
            row = _lock_communication(session, communication_id)
            row.status = receipt.status.value
            row.provider = receipt.provider
            row.provider_message_id = receipt.provider_message_id
            row.error = None
            row.sent_at = self._clock()
            return _communication_record(row)

    def fail(
        self, communication_id: str, error: str, status: CommunicationStatus
    ) -> CommunicationRecord:
        if status not in FAILURE_STATUSES:
            raise ValueError(f"fail() takes RETRYING, FAILED or SKIPPED, got {status}")
        with self._sessions.begin() as session:
            row = _lock_communication(session, communication_id)
            row.status = status.value
            row.error = error
            return _communication_record(row)

    def opted_out_channels(self, contact_id: str) -> set[Channel]:
        with self._sessions() as session:
            channels = session.scalars(
                select(ContactOptOut.channel).where(ContactOptOut.contact_id == contact_id)
            )
            return {Channel(channel) for channel in channels}

    def record_opt_out(self, contact_id: str, channel: Channel, reason: str) -> None:
        # The first reason is kept: it records why the contact unsubscribed.
        with self._sessions.begin() as session:
            insert_ignoring_duplicates(
                session,
                ContactOptOut,
                {"contact_id": contact_id, "channel": channel.value, "reason": reason},
            )

    def get(self, communication_id: str) -> CommunicationRecord:
        """Not part of the port; handy for the API and tests."""
        with self._sessions() as session:
            row = session.get(Communication, communication_id)
            if row is None:
                raise CommunicationNotFound(communication_id)
            return _communication_record(row)

    def _claim_new(self, draft: CommunicationDraft) -> Claim:
        with self._sessions.begin() as session:
            now = self._clock()
            row = Communication(
                id=new_communication_id(),
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
            return Claim(record=_communication_record(row), must_send=True)

    def _claim_existing(self, idempotency_key: str) -> Claim | None:
        with self._sessions.begin() as session:
            # FOR UPDATE (PostgreSQL) serialises claims of one row so only one of several
            # concurrent claimers can see RETRYING; SQLite gets that from BEGIN IMMEDIATE.
            row = session.scalar(
                select(Communication)
                .where(Communication.idempotency_key == idempotency_key)
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
            return Claim(record=_communication_record(row), must_send=must_send)


class SqlAppointmentLedger:
    """AppointmentLedger over the no_shows table and the appointments mirror columns."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record_no_show(self, record: NoShowRecord) -> int:
        with self._sessions.begin() as session:
            insert_ignoring_duplicates(
                session,
                NoShow,
                {
                    "occurrence_key": record.occurrence_key,
                    "appointment_id": record.appointment_id,
                    "contact_id": record.contact_id,
                    "missed_at": record.missed_at,
                },
            )
            total = session.scalar(
                select(func.count())
                .select_from(NoShow)
                .where(NoShow.contact_id == record.contact_id)
            )
            return int(total or 0)

    def record_status(self, update: StatusUpdate) -> None:
        with self._sessions.begin() as session:
            result = session.execute(
                sql_update(Appointment)
                .where(Appointment.id == update.appointment_id)
                .values(
                    status=update.status.value,
                    starts_at=update.starts_at,
                    no_show_count=update.no_show_count,
                    reschedule_count=update.reschedule_count,
                    flagged=update.flagged,
                    next_step=update.next_step,
                    next_step_at=update.next_step_at,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) == 0:
                raise AppointmentNotFound(update.appointment_id)


def _lock_communication(session: Session, communication_id: str) -> Communication:
    row = session.get(Communication, communication_id, with_for_update=True)
    if row is None:
        raise CommunicationNotFound(communication_id)
    return row


def _communication_record(row: Communication) -> CommunicationRecord:
    return CommunicationRecord(
        id=row.id,
        idempotency_key=row.idempotency_key,
        status=CommunicationStatus(row.status),
        channel=Channel(row.channel),
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        attempts=row.attempts,
        error=row.error,
    )


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the primary key: idempotent without a
    read-then-write race. Foreign key violations still raise."""
    dialect = session.get_bind().dialect.name
    insert: Any
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NotImplementedError(f"unsupported database dialect: {dialect}")
    table = model.__table__
    conflict_columns = [column.name for column in table.primary_key]
    session.execute(
        insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    )


def _rowcount(result: Any) -> int:
    # Session.execute is typed as Result; an UPDATE actually returns a CursorResult.
    return int(result.rowcount)

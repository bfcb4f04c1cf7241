"""SQL the API needs. ORM objects never leave this module: callers get frozen dataclasses.

Methods are synchronous (SQLAlchemy sessions are); async routes call them through
`run_in_threadpool` so a slow database never blocks the event loop.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar, cast

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.delivery_events import DeliveryEvent, apply_delivery_event
from api.reports import FollowUpReport, follow_up_report
from rebook.core.domain import Channel
from rebook.db.models import (
    Appointment,
    AppointmentEventRow,
    Communication,
    Contact,
    NoShow,
)


@dataclass(frozen=True)
class ContactRecord:
    id: str
    name: str
    timezone: str
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    preferred_channel: str | None = None


@dataclass(frozen=True)
class NewAppointment:
    """Everything needed to insert an appointment row (the contact is upserted with it)."""

    id: str
    external_id: str
    request_fingerprint: str
    workflow_id: str
    contact: ContactRecord
    host_id: str
    host_name: str
    host_email: str | None
    kind: str
    topic: str
    starts_at: datetime  # aware, any offset
    duration_minutes: int
    reschedule_url: str
    booked_via: str
    content_url: str | None
    alternative_url: str | None
    experiment_name: str | None
    experiment_variant: str | None


@dataclass(frozen=True)
class AppointmentRecord:
    id: str
    external_id: str
    request_fingerprint: str
    workflow_id: str
    contact: ContactRecord
    host_id: str
    host_name: str
    host_email: str | None
    kind: str
    topic: str
    starts_at: datetime  # in the offset the platform booked with
    duration_minutes: int
    reschedule_url: str
    booked_via: str
    content_url: str | None
    alternative_url: str | None
    experiment_name: str | None
    experiment_variant: str | None
    # Mirror of the workflow's progress.
    status: str
    no_show_count: int
    reschedule_count: int
    flagged: bool
    next_step: str | None
    next_step_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class EventRecord:
    appointment_id: str
    event_id: str
    type: str
    received_at: datetime
    occurred_at: datetime | None
    new_starts_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class CommunicationRecord:
    id: str
    appointment_id: str
    contact_id: str
    channel: str
    recipient: str
    step: str
    template: str
    variant: str
    status: str
    subject: str
    body: str
    to_address: str
    provider: str | None
    provider_message_id: str | None
    error: str | None
    attempts: int
    scheduled_for: datetime
    sent_at: datetime | None
    read_at: datetime | None
    created_at: datetime
    provider_status: str | None = None
    delivered_at: datetime | None = None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _own_transaction(method: _Method) -> _Method:
    """Each public method is one short transaction, ended before it returns.

    The session lives for the whole request, but requests await Temporal between database
    calls; on SQLite a transaction holds the write lock (BEGIN IMMEDIATE) until it ends, so
    a transaction left open across an await stalls every other request and activity.
    """

    @functools.wraps(method)
    def wrapper(self: ApiRepository, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            if self._session.in_transaction():
                # Writes committed already; what is left is a read's transaction.
                self._session.rollback()

    return cast(_Method, wrapper)


class ApiRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # ------------------------------------------------------------------ health

    @_own_transaction
    def ping(self) -> None:
        self._session.execute(text("SELECT 1"))

    # ------------------------------------------------------------------ appointments

    @_own_transaction
    def get_appointment(self, appointment_id: str) -> AppointmentRecord | None:
        row = self._session.get(Appointment, appointment_id)
        return None if row is None else self._appointment_record(row)

    @_own_transaction
    def find_by_external_id(self, external_id: str) -> AppointmentRecord | None:
        row = self._session.scalars(
            select(Appointment).where(Appointment.external_id == external_id)
        ).one_or_none()
        return None if row is None else self._appointment_record(row)

    @_own_transaction
    def insert_appointment(self, new: NewAppointment) -> AppointmentRecord | None:
        """Upsert the contact and insert the appointment in one transaction.

        Returns None when another request inserted the same external_id first (the caller
        then answers as a replay of that one).
        """
        try:
            return self._insert_appointment(new)
        except IntegrityError:
            # Most likely a concurrent booking created the same contact first; the second
            # attempt finds it and updates it instead.
            return self._insert_appointment(new)

    def _insert_appointment(self, new: NewAppointment) -> AppointmentRecord | None:
        try:
            self._upsert_contact(new.contact)
            # No ORM relationship orders the inserts, so the contact goes first by hand.
            self._session.flush()
            row = Appointment(
                id=new.id,
                external_id=new.external_id,
                request_fingerprint=new.request_fingerprint,
                workflow_id=new.workflow_id,
                contact_id=new.contact.id,
                host_id=new.host_id,
                host_name=new.host_name,
                host_email=new.host_email,
                kind=new.kind,
                topic=new.topic,
                starts_at=new.starts_at,
                starts_at_utc_offset_minutes=_offset_minutes(new.starts_at),
                duration_minutes=new.duration_minutes,
                reschedule_url=new.reschedule_url,
                booked_via=new.booked_via,
                content_url=new.content_url,
                alternative_url=new.alternative_url,
                experiment_name=new.experiment_name,
                experiment_variant=new.experiment_variant,
                status="scheduled",
                no_show_count=0,
                reschedule_count=0,
                flagged=False,
            )
            self._session.add(row)
            self._session.commit()
        except IntegrityError:
            self._session.rollback()
            if self.find_by_external_id(new.external_id) is not None:
                return None
            raise
        return self._appointment_record(row)

    @_own_transaction
    def follow_up_report(
        self, since: datetime, until: datetime, experiment: str | None
    ) -> FollowUpReport:
        return follow_up_report(self._session, since, until, experiment)

    @_own_transaction
    def contact_no_show_total(self, contact_id: str) -> int:
        return int(
            self._session.scalar(
                select(func.count()).select_from(NoShow).where(NoShow.contact_id == contact_id)
            )
            or 0
        )

    # ------------------------------------------------------------------ events

    @_own_transaction
    def record_event(self, event: EventRecord) -> tuple[EventRecord, bool]:
        """Store the event once per (appointment, event_id).

        Returns the stored event (the first one on a duplicate) and whether this call
        created it.
        """
        existing = self._find_event(event.appointment_id, event.event_id)
        if existing is not None:
            return existing, False
        self._session.add(
            AppointmentEventRow(
                id=f"evt_{_new_suffix()}",
                appointment_id=event.appointment_id,
                event_id=event.event_id,
                type=event.type,
                occurred_at=event.occurred_at,
                received_at=event.received_at,
                new_starts_at=event.new_starts_at,
                reason=event.reason,
            )
        )
        try:
            self._session.commit()
        except IntegrityError:
            # A concurrent delivery of the same event won the insert.
            self._session.rollback()
            existing = self._find_event(event.appointment_id, event.event_id)
            if existing is None:
                raise
            return existing, False
        return event, True

    @_own_transaction
    def forget_event(self, appointment_id: str, event_id: str) -> None:
        """Drop an event the API ended up refusing: the table holds accepted events only."""
        row = self._session.scalars(
            select(AppointmentEventRow).where(
                AppointmentEventRow.appointment_id == appointment_id,
                AppointmentEventRow.event_id == event_id,
            )
        ).one_or_none()
        if row is not None:
            self._session.delete(row)
            self._session.commit()

    def _find_event(self, appointment_id: str, event_id: str) -> EventRecord | None:
        row = self._session.scalars(
            select(AppointmentEventRow).where(
                AppointmentEventRow.appointment_id == appointment_id,
                AppointmentEventRow.event_id == event_id,
            )
        ).one_or_none()
        if row is None:
            return None
        return EventRecord(
            appointment_id=row.appointment_id,
            event_id=row.event_id,
            type=row.type,
            received_at=row.received_at,
            occurred_at=row.occurred_at,
            new_starts_at=row.new_starts_at,
            reason=row.reason,
        )

    # ------------------------------------------------------------------ communications

    @_own_transaction
    def list_communications(self, appointment_id: str) -> list[CommunicationRecord]:
        rows = self._session.scalars(
            select(Communication)
            .where(Communication.appointment_id == appointment_id)
            .order_by(Communication.created_at, Communication.id)
        )
        return [_communication_record(row) for row in rows]

    @_own_transaction
    def contact_exists(self, contact_id: str) -> bool:
        return self._session.get(Contact, contact_id) is not None

    @_own_transaction
    def inbox(self, contact_id: str) -> list[CommunicationRecord]:
        rows = self._session.scalars(
            select(Communication)
            .where(
                Communication.contact_id == contact_id,
                Communication.channel == Channel.IN_APP.value,
            )
            .order_by(Communication.created_at.desc(), Communication.id.desc())
        )
        return [_communication_record(row) for row in rows]

    @_own_transaction
    def mark_read(self, contact_id: str, communication_id: str) -> CommunicationRecord | None:
        """Set read_at once (re-reading keeps the first time); None if not in the inbox."""
        row = self._session.get(Communication, communication_id)
        if row is None or row.contact_id != contact_id or row.channel != Channel.IN_APP.value:
            return None
        if row.read_at is None:
            row.read_at = datetime.now(UTC)
            self._session.commit()
        return _communication_record(row)

    @_own_transaction
    def apply_delivery_events(self, events: Sequence[DeliveryEvent]) -> int:
        """Apply a provider's batch in one transaction; returns how many matched a message."""
        applied = sum(apply_delivery_event(self._session, event) for event in events)
        self._session.commit()
        return applied

    # ------------------------------------------------------------------ helpers

    def _upsert_contact(self, contact: ContactRecord) -> None:
        row = self._session.get(Contact, contact.id)
        if row is None:
            row = Contact(id=contact.id)
            self._session.add(row)
        # The latest booking carries the freshest contact details.
        row.name = contact.name
        row.email = contact.email
        row.phone = contact.phone
        row.whatsapp = contact.whatsapp
        row.preferred_channel = contact.preferred_channel
        row.timezone = contact.timezone

    def _appointment_record(self, row: Appointment) -> AppointmentRecord:
        contact = self._session.get(Contact, row.contact_id)
        if contact is None:  # the foreign key makes this unreachable
            raise LookupError(f"contact {row.contact_id} of appointment {row.id} is missing")
        booked_offset = timezone(timedelta(minutes=row.starts_at_utc_offset_minutes))
        return AppointmentRecord(
            id=row.id,
            external_id=row.external_id,
            request_fingerprint=row.request_fingerprint,
            workflow_id=row.workflow_id,
            contact=ContactRecord(
                id=contact.id,
                name=contact.name,
                timezone=contact.timezone,
                email=contact.email,
                phone=contact.phone,
                whatsapp=contact.whatsapp,
                preferred_channel=contact.preferred_channel,
            ),
            host_id=row.host_id,
            host_name=row.host_name,
            host_email=row.host_email,
            kind=row.kind,
            topic=row.topic,
            starts_at=row.starts_at.astimezone(booked_offset),
            duration_minutes=row.duration_minutes,
            reschedule_url=row.reschedule_url,
            booked_via=row.booked_via,
            content_url=row.content_url,
            alternative_url=row.alternative_url,
            experiment_name=row.experiment_name,
            experiment_variant=row.experiment_variant,
            status=row.status,
            no_show_count=row.no_show_count,
            reschedule_count=row.reschedule_count,
            flagged=row.flagged,
            next_step=row.next_step,
            next_step_at=row.next_step_at,
            created_at=row.created_at,
        )


def _communication_record(row: Communication) -> CommunicationRecord:
    return CommunicationRecord(
        id=row.id,
        appointment_id=row.appointment_id,
        contact_id=row.contact_id,
        channel=row.channel,
        recipient=row.recipient,
        step=row.step,
        template=row.template,
        variant=row.variant,
        status=row.status,
        subject=row.subject,
        body=row.body,
        to_address=row.to_address,
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        error=row.error,
        attempts=row.attempts,
        scheduled_for=row.scheduled_for,
        sent_at=row.sent_at,
        read_at=row.read_at,
        created_at=row.created_at,
        provider_status=row.provider_status,
        delivered_at=row.delivered_at,
        opened_at=row.opened_at,
        clicked_at=row.clicked_at,
    )


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("naive datetime")
    return int(offset.total_seconds() // 60)


def _new_suffix() -> str:
    return secrets.token_hex(10)

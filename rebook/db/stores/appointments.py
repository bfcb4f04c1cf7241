"""AppointmentStore: appointments with their contacts, the events the platform reported,
the no-shows and the mirror of each workflow's progress.

Implements rebook.core.ports.AppointmentLedger for the record_* activities, and serves the
API's appointment use cases. Scoped to one workspace: every statement filters by it, and
every row it writes carries it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import (
    AppointmentDetails,
    AppointmentEvent,
    ContactDetails,
    ExperimentAssignment,
    HostDetails,
    NoShowRecord,
    Progress,
)
from rebook.core.domain import AppointmentKind, AppointmentStatus, BookedVia, Channel, EventType
from rebook.core.names import workflow_id_for
from rebook.core.records import AppointmentRecord, StoredEvent
from rebook.core.shapes import same_fields
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import Appointment, AppointmentEventRow, Contact, NoShow
from rebook.db.stores._sql import insert_ignoring_duplicates, rowcount


class AppointmentNotFound(LookupError):
    pass


class AppointmentStore:
    def __init__(self, sessions: sessionmaker[Session], workspace_id: WorkspaceId) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id

    def ping(self) -> None:
        """Raises unless the database answers."""
        with self._sessions() as session:
            session.execute(text("SELECT 1"))

    # ------------------------------------------------------------------ appointments

    def get(self, appointment_id: str) -> AppointmentRecord | None:
        """None also for another workspace's appointment: it does not exist here."""
        with self._sessions() as session:
            row = self._appointment(session, appointment_id)
            return None if row is None else _appointment_record(session, row)

    def find_by_external_id(self, external_id: str) -> AppointmentRecord | None:
        with self._sessions() as session:
            row = session.scalars(
                select(Appointment).where(
                    Appointment.workspace_id == self._workspace_id,
                    Appointment.external_id == external_id,
                )
            ).one_or_none()
            return None if row is None else _appointment_record(session, row)

    def create(self, appointment: AppointmentDetails, fingerprint: str) -> AppointmentRecord | None:
        """Insert the appointment, scheduled, and upsert its contact (the latest booking
        carries the freshest contact details), in one transaction.

        Returns None when the external_id is already booked (by a concurrent request or
        before); the caller answers as a replay of that booking.
        """
        for attempt in (1, 2):
            try:
                return self._insert(appointment, fingerprint)
            except IntegrityError:
                if self.find_by_external_id(appointment.external_id) is not None:
                    return None
                if attempt == 2:
                    raise
                # Most likely a concurrent booking inserted the same contact first; the
                # second attempt finds it and updates it instead.
        raise AssertionError("unreachable: the second attempt returns or raises")

    def contact_exists(self, contact_id: str) -> bool:
        with self._sessions() as session:
            return session.get(Contact, (self._workspace_id, contact_id)) is not None

    # ------------------------------------------------------------------ events

    def record_event(self, appointment_id: str, event: AppointmentEvent) -> StoredEvent:
        """Store the event once per (appointment, event_id): the first one stored wins (a
        duplicate returns it, created=False). Raises AppointmentNotFound for an appointment
        outside the workspace."""
        try:
            with self._sessions.begin() as session:
                if self._appointment(session, appointment_id) is None:
                    raise AppointmentNotFound(appointment_id)
                existing = _find_event(session, self._workspace_id, appointment_id, event.event_id)
                if existing is not None:
                    return _stored(existing, created=False)
                session.add(
                    AppointmentEventRow(
                        id="evt_" + secrets.token_hex(10),
                        workspace_id=self._workspace_id,
                        appointment_id=appointment_id,
                        event_id=event.event_id,
                        type=event.type.value,
                        occurred_at=event.occurred_at,
                        received_at=event.received_at,
                        new_starts_at=event.new_starts_at,
                        reason=event.reason,
                    )
                )
        except IntegrityError:
            # A concurrent delivery of the same event won the insert.
            raced = self.find_event(appointment_id, event.event_id)
            if raced is None:
                raise
            return raced
        return StoredEvent(event, created=True, delivered=False)

    def find_event(self, appointment_id: str, event_id: str) -> StoredEvent | None:
        with self._sessions() as session:
            row = _find_event(session, self._workspace_id, appointment_id, event_id)
            return None if row is None else _stored(row, created=False)

    def mark_event_delivered(self, appointment_id: str, event_id: str, at: datetime) -> None:
        """Note that the workflow took the event (idempotent: the first time is kept)."""
        with self._sessions.begin() as session:
            session.execute(
                sql_update(AppointmentEventRow)
                .where(
                    AppointmentEventRow.workspace_id == self._workspace_id,
                    AppointmentEventRow.appointment_id == appointment_id,
                    AppointmentEventRow.event_id == event_id,
                    AppointmentEventRow.delivered_at.is_(None),
                )
                .values(delivered_at=at)
                .execution_options(synchronize_session=False)
            )

    def forget_event(self, appointment_id: str, event_id: str) -> None:
        """Drop an event that was refused after all: the table holds accepted events only."""
        with self._sessions.begin() as session:
            session.execute(
                delete(AppointmentEventRow).where(
                    AppointmentEventRow.workspace_id == self._workspace_id,
                    AppointmentEventRow.appointment_id == appointment_id,
                    AppointmentEventRow.event_id == event_id,
                )
            )

    # ------------------------------------------------------------------ the ledger port

    def record_no_show(self, record: NoShowRecord) -> int:
        """Idempotent on occurrence_key; returns the contact's no-show total (within the
        workspace). Raises AppointmentNotFound for an appointment outside the workspace."""
        with self._sessions.begin() as session:
            if self._appointment(session, record.appointment_id) is None:
                raise AppointmentNotFound(record.appointment_id)
            insert_ignoring_duplicates(
                session,
                NoShow,
                {
                    "occurrence_key": record.occurrence_key,
                    "workspace_id": self._workspace_id,
                    "appointment_id": record.appointment_id,
                    "contact_id": record.contact_id,
                    "missed_at": record.missed_at,
                },
            )
            return _contact_no_show_total(session, self._workspace_id, record.contact_id)

    def record_status(self, progress: Progress) -> None:
        """Mirror the workflow's progress (contact_no_show_total is counted from no_shows
        instead). Raises AppointmentNotFound for an unknown appointment."""
        with self._sessions.begin() as session:
            result = session.execute(
                sql_update(Appointment)
                .where(
                    Appointment.workspace_id == self._workspace_id,
                    Appointment.id == progress.appointment_id,
                )
                .values(
                    status=progress.status.value,
                    starts_at=progress.starts_at,
                    no_show_count=progress.no_show_count,
                    reschedule_count=progress.reschedule_count,
                    flagged=progress.flagged,
                    next_step=progress.next_step,
                    next_step_at=progress.next_step_at,
                )
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) == 0:
                raise AppointmentNotFound(progress.appointment_id)

    # ------------------------------------------------------------------ send-time rules

    def has_upcoming_appointment(self, contact_id: str, other_than: str, after: datetime) -> bool:
        """Whether the contact has another appointment in this workspace, still scheduled
        (as mirrored), that starts after `after`: the stop condition `rebooked`
        (rebook.core.ports.ContactBookings)."""
        with self._sessions() as session:
            found = session.scalar(
                select(Appointment.id)
                .where(
                    Appointment.workspace_id == self._workspace_id,
                    Appointment.contact_id == contact_id,
                    Appointment.id != other_than,
                    Appointment.status == AppointmentStatus.SCHEDULED.value,
                    Appointment.starts_at > after,
                )
                .limit(1)
            )
            return found is not None

    # ------------------------------------------------------------------ helpers

    def _appointment(self, session: Session, appointment_id: str) -> Appointment | None:
        row = session.get(Appointment, appointment_id)
        return row if row is not None and row.workspace_id == self._workspace_id else None

    def _insert(self, appointment: AppointmentDetails, fingerprint: str) -> AppointmentRecord:
        with self._sessions.begin() as session:
            _upsert_contact(session, self._workspace_id, appointment.contact)
            # No ORM relationship orders the inserts, so the contact goes first by hand.
            session.flush()
            experiment = appointment.experiment
            row = Appointment(
                id=appointment.appointment_id,
                workspace_id=self._workspace_id,
                external_id=appointment.external_id,
                request_fingerprint=fingerprint,
                workflow_id=workflow_id_for(self._workspace_id, appointment.appointment_id),
                contact_id=appointment.contact.id,
                host_id=appointment.host.id,
                host_name=appointment.host.name,
                host_email=appointment.host.email,
                kind=appointment.kind.value,
                topic=appointment.topic,
                starts_at=appointment.starts_at,
                starts_at_utc_offset_minutes=_offset_minutes(appointment.starts_at),
                duration_minutes=appointment.duration_minutes,
                reschedule_url=appointment.reschedule_url,
                booked_via=appointment.booked_via.value,
                content_url=appointment.content_url,
                alternative_url=appointment.alternative_url,
                experiment_name=experiment.name if experiment else None,
                experiment_variant=experiment.variant if experiment else None,
                location=appointment.location,
                join_url=appointment.join_url,
                instructions=appointment.instructions,
                interest=appointment.interest,
                playbook=appointment.playbook,
                status=AppointmentStatus.SCHEDULED.value,
                no_show_count=0,
                reschedule_count=0,
                flagged=False,
            )
            session.add(row)
            session.flush()
            return _appointment_record(session, row)


def _upsert_contact(session: Session, workspace_id: WorkspaceId, contact: ContactDetails) -> None:
    row = session.get(Contact, (workspace_id, contact.id))
    if row is None:
        row = Contact(workspace_id=workspace_id, id=contact.id)
        session.add(row)
    row.name = contact.name
    row.email = contact.email
    row.phone = contact.phone
    row.whatsapp = contact.whatsapp
    row.preferred_channel = contact.preferred_channel.value if contact.preferred_channel else None
    row.timezone = contact.timezone
    row.locale = contact.locale


def _appointment_record(session: Session, row: Appointment) -> AppointmentRecord:
    contact = session.get(Contact, (row.workspace_id, row.contact_id))
    if contact is None:  # the foreign key makes this unreachable
        raise LookupError(f"contact {row.contact_id} of appointment {row.id} is missing")
    # Shown in the offset the platform booked with, so the API answers in its terms.
    starts_at = row.starts_at.astimezone(
        timezone(timedelta(minutes=row.starts_at_utc_offset_minutes))
    )
    preferred = contact.preferred_channel
    details = same_fields(
        AppointmentDetails,
        row,
        appointment_id=row.id,
        starts_at=starts_at,
        kind=AppointmentKind(row.kind),
        booked_via=BookedVia(row.booked_via),
        contact=same_fields(
            ContactDetails, contact, preferred_channel=Channel(preferred) if preferred else None
        ),
        host=HostDetails(id=row.host_id, name=row.host_name, email=row.host_email),
        experiment=ExperimentAssignment(name=row.experiment_name, variant=row.experiment_variant)
        if row.experiment_name and row.experiment_variant
        else None,
    )
    progress = same_fields(
        Progress,
        row,
        appointment_id=row.id,
        status=AppointmentStatus(row.status),
        starts_at=starts_at,
        contact_no_show_total=_contact_no_show_total(
            session, WorkspaceId(row.workspace_id), row.contact_id
        ),
    )
    return AppointmentRecord(
        details=details,
        progress=progress,
        request_fingerprint=row.request_fingerprint,
        workflow_id=row.workflow_id,
        created_at=row.created_at,
    )


def _contact_no_show_total(session: Session, workspace_id: WorkspaceId, contact_id: str) -> int:
    """Misses of this contact across all their appointments: one no_shows row per slot."""
    total = session.scalar(
        select(func.count())
        .select_from(NoShow)
        .where(NoShow.workspace_id == workspace_id, NoShow.contact_id == contact_id)
    )
    return int(total or 0)


def _find_event(
    session: Session, workspace_id: WorkspaceId, appointment_id: str, event_id: str
) -> AppointmentEventRow | None:
    return session.scalars(
        select(AppointmentEventRow).where(
            AppointmentEventRow.workspace_id == workspace_id,
            AppointmentEventRow.appointment_id == appointment_id,
            AppointmentEventRow.event_id == event_id,
        )
    ).one_or_none()


def _stored(row: AppointmentEventRow, *, created: bool) -> StoredEvent:
    event = same_fields(AppointmentEvent, row, type=EventType(row.type))
    return StoredEvent(event, created=created, delivered=row.delivered_at is not None)


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("naive datetime")
    return int(offset.total_seconds() // 60)

"""SQLAlchemy 2 models. The schema is owned by Alembic migrations (rebook/db/migrations);
keep the two in step: tests compare them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rebook.core.rules import CONTROL_VARIANT
from rebook.db.types import UTCDateTime

# Deterministic constraint names so migrations are portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # booking platform's id
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ContactOptOut(Base):
    """A channel the contact unsubscribed from (e.g. Twilio error 21610 after STOP)."""

    __tablename__ = "contact_opt_outs"

    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    # sha256 of the canonical create request: same body -> same answer, else 409.
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(128), unique=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    host_id: Mapped[str] = mapped_column(String(128))
    host_name: Mapped[str] = mapped_column(String(200))
    host_email: Mapped[str | None] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The offset the platform booked with, so the API answers in the same terms.
    starts_at_utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    reschedule_url: Mapped[str] = mapped_column(String(2000))
    booked_via: Mapped[str] = mapped_column(String(16))
    content_url: Mapped[str | None] = mapped_column(String(2000))
    alternative_url: Mapped[str | None] = mapped_column(String(2000))
    experiment_name: Mapped[str | None] = mapped_column(String(100))
    experiment_variant: Mapped[str | None] = mapped_column(String(50))
    # Mirror of the workflow's progress (written by an activity).
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    no_show_count: Mapped[int] = mapped_column(Integer, default=0)
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    next_step: Mapped[str | None] = mapped_column(String(64))
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AppointmentEventRow(Base):
    """Every event the platform sent, as accepted by the API (audit trail)."""

    __tablename__ = "appointment_events"
    __table_args__ = (UniqueConstraint("appointment_id", "event_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    # When the workflow (or the rebooking it caused) took it. NULL: stored, then the
    # delivery failed or the API died; a repeat of the event delivers it then.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NoShow(Base):
    """One row per missed slot; the contact's no-show count is the number of rows."""

    __tablename__ = "no_shows"

    occurrence_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    missed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Communication(Base):
    """Every message we sent, recorded, delivered in-app, skipped or failed."""

    __tablename__ = "communications"
    __table_args__ = (
        Index("ix_communications_contact_channel", "contact_id", "channel"),
        # Provider webhooks name the message by the provider's id.
        Index("ix_communications_provider_message", "provider", "provider_message_id"),
        # GET /v1/communications?status=unconfirmed: the in-doubt messages, newest first.
        Index("ix_communications_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(400), unique=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    contact_id: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(String(16))  # contact or host
    step: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    variant: Mapped[str] = mapped_column(String(50), default=CONTROL_VARIANT)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # in-app inbox
    # What the provider reported after the send (webhooks, stores/delivery_events.py): the
    # highest-precedence state seen so far, and the first time of each milestone.
    provider_status: Mapped[str | None] = mapped_column(String(32))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Delivery bookkeeping (stores/communications.py): the attempt that holds the message
    # and until when it may still be sending, and since when the send's outcome is unknown.
    lease_holder: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    in_doubt_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

"""SQLAlchemy 2 models. The schema is owned by Alembic migrations (rebook/db/migrations);
keep the two in step: tests compare them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
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


def _workspace_column() -> Mapped[str]:
    """Every business row's workspace. No default: a row written without its store's scope
    fails instead of landing in some workspace."""
    return mapped_column(String(64), ForeignKey("workspaces.id"))


class Workspace(Base):
    """One business served by the deployment: everything below belongs to one."""

    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkspaceSettingsRow(Base):
    """A workspace's own settings (rebook.core.workspaces.WorkspaceSettings); NULL inherits
    the deployment's. No row: everything inherited."""

    __tablename__ = "workspace_settings"

    workspace_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("workspaces.id"), primary_key=True
    )
    brand_name: Mapped[str | None] = mapped_column(String(200))
    brand_primary_color: Mapped[str | None] = mapped_column(String(7))
    brand_accent_color: Mapped[str | None] = mapped_column(String(7))
    brand_logo_url: Mapped[str | None] = mapped_column(String(2000))
    brand_footer: Mapped[str | None] = mapped_column(String(1000))
    sender_name: Mapped[str | None] = mapped_column(String(200))
    email_from_address: Mapped[str | None] = mapped_column(String(320))
    twilio_sms_from: Mapped[str | None] = mapped_column(String(20))
    twilio_messaging_service_sid: Mapped[str | None] = mapped_column(String(64))
    twilio_whatsapp_from: Mapped[str | None] = mapped_column(String(20))
    quiet_hours_start_h: Mapped[int | None] = mapped_column(Integer)
    quiet_hours_end_h: Mapped[int | None] = mapped_column(Integer)
    rate_limit_write_per_minute: Mapped[int | None] = mapped_column(Integer)
    rate_limit_read_per_minute: Mapped[int | None] = mapped_column(Integer)
    # Fernet tokens (rebook.credentials); the plaintext never reaches the database.
    sendgrid_credentials: Mapped[str | None] = mapped_column(Text)
    twilio_credentials: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ApiKeyRow(Base):
    """An API key: its SHA-256 only (rebook.core.api_keys), never the secret."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64), ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RateLimitBucket(Base):
    """One token bucket per API key and route class, shared by every API process: each
    request refills and takes from it in one atomic statement (stores/rate_limits.py)."""

    __tablename__ = "rate_limit_buckets"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    route_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    # Unix seconds, so the refill is plain arithmetic in SQL on both databases.
    refilled_at: Mapped[float] = mapped_column(Float)
    # Whether the latest request got a token (RETURNING cannot show the value before).
    allowed: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """Every write made through the API or the CLI, whatever its outcome."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_id_id", "workspace_id", "id"),)

    # BIGINT on PostgreSQL; SQLite's autoincrementing key must be exactly INTEGER.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    workspace_id: Mapped[str] = mapped_column(String(64), ForeignKey("workspaces.id"))
    actor: Mapped[str] = mapped_column(String(16))  # "api" or "cli"
    key_id: Mapped[str | None] = mapped_column(String(32))  # the key's id, never its secret
    action: Mapped[str] = mapped_column(String(200))  # "POST /v1/appointments", "key create"
    target_id: Mapped[str | None] = mapped_column(String(200))
    status_code: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Contact(Base):
    __tablename__ = "contacts"

    # The booking platform's id, unique within its workspace only.
    workspace_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("workspaces.id"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))  # BCP 47, picks the copy
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ContactOptOut(Base):
    """A channel the contact unsubscribed from (e.g. Twilio error 21610 after STOP)."""

    __tablename__ = "contact_opt_outs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name="fk_contact_opt_outs_contact_contacts",
        ),
    )

    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        # The platform's id is its business identity, within its workspace.
        UniqueConstraint("workspace_id", "external_id", name="uq_appointments_external_id"),
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name="fk_appointments_contact_contacts",
        ),
        Index("ix_appointments_workspace_id_contact_id", "workspace_id", "contact_id"),
        Index("ix_appointments_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = _workspace_column()
    external_id: Mapped[str] = mapped_column(String(200))
    # sha256 of the canonical create request: same body -> same answer, else 409.
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(128), unique=True)
    contact_id: Mapped[str] = mapped_column(String(128))
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
    location: Mapped[str | None] = mapped_column(String(500))
    join_url: Mapped[str | None] = mapped_column(String(2000))
    instructions: Mapped[str | None] = mapped_column(Text)
    interest: Mapped[str | None] = mapped_column(String(500))
    playbook: Mapped[str | None] = mapped_column(String(64))  # asked for by name
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
    workspace_id: Mapped[str] = _workspace_column()
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
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name="fk_no_shows_contact_contacts",
        ),
        Index("ix_no_shows_workspace_id_contact_id", "workspace_id", "contact_id"),
    )

    occurrence_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    workspace_id: Mapped[str] = _workspace_column()
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"))
    contact_id: Mapped[str] = mapped_column(String(128))
    missed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Communication(Base):
    """Every message we sent, recorded, delivered in-app, skipped or failed."""

    __tablename__ = "communications"
    __table_args__ = (
        # The ledger's idempotency gate, per workspace: concurrent claims collide here.
        UniqueConstraint(
            "workspace_id", "idempotency_key", name="uq_communications_idempotency_key"
        ),
        Index(
            "ix_communications_workspace_contact_channel", "workspace_id", "contact_id", "channel"
        ),
        # Provider webhooks name the message by the provider's id.
        Index("ix_communications_provider_message", "provider", "provider_message_id"),
        # GET /v1/communications?status=unconfirmed: a workspace's in-doubt messages, newest
        # first.
        Index("ix_communications_workspace_status_created", "workspace_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = _workspace_column()
    idempotency_key: Mapped[str] = mapped_column(String(400))
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

"""Initial schema: contacts, opt-outs, appointments, events, no-shows, communications.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Written from an autogenerate draft and reviewed by hand. Columns use plain
DateTime(timezone=True) rather than rebook.db.types.UTCDateTime: the decorator only changes
Python-side conversion, and a revision must not change meaning if model code moves on.
Constraint names follow rebook.db.models.NAMING_CONVENTION.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("whatsapp", sa.String(20), nullable=True),
        sa.Column("preferred_channel", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
    )

    op.create_table(
        "contact_opt_outs",
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_contact_opt_outs_contact_id_contacts"
        ),
        sa.PrimaryKeyConstraint("contact_id", "channel", name="pk_contact_opt_outs"),
    )

    op.create_table(
        "appointments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("workflow_id", sa.String(128), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("host_id", sa.String(128), nullable=False),
        sa.Column("host_name", sa.String(200), nullable=False),
        sa.Column("host_email", sa.String(320), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(500), nullable=False),
        _timestamp("starts_at"),
        sa.Column("starts_at_utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("reschedule_url", sa.String(2000), nullable=False),
        sa.Column("booked_via", sa.String(16), nullable=False),
        sa.Column("content_url", sa.String(2000), nullable=True),
        sa.Column("alternative_url", sa.String(2000), nullable=True),
        sa.Column("experiment_name", sa.String(100), nullable=True),
        sa.Column("experiment_variant", sa.String(50), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("no_show_count", sa.Integer(), nullable=False),
        sa.Column("reschedule_count", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("next_step", sa.String(64), nullable=True),
        _timestamp("next_step_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_appointments_contact_id_contacts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_appointments"),
        sa.UniqueConstraint("external_id", name="uq_appointments_external_id"),
        sa.UniqueConstraint("workflow_id", name="uq_appointments_workflow_id"),
    )
    op.create_index("ix_appointments_contact_id", "appointments", ["contact_id"])
    op.create_index("ix_appointments_status", "appointments", ["status"])

    op.create_table(
        "appointment_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("appointment_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        _timestamp("occurred_at", nullable=True),
        _timestamp("received_at"),
        _timestamp("new_starts_at", nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name="fk_appointment_events_appointment_id_appointments",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_appointment_events"),
        sa.UniqueConstraint(
            "appointment_id", "event_id", name="uq_appointment_events_appointment_id"
        ),
    )
    op.create_index(
        "ix_appointment_events_appointment_id", "appointment_events", ["appointment_id"]
    )

    op.create_table(
        "no_shows",
        sa.Column("occurrence_key", sa.String(300), nullable=False),
        sa.Column("appointment_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=False),
        _timestamp("missed_at"),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointments.id"], name="fk_no_shows_appointment_id_appointments"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_no_shows_contact_id_contacts"
        ),
        sa.PrimaryKeyConstraint("occurrence_key", name="pk_no_shows"),
    )
    op.create_index("ix_no_shows_contact_id", "no_shows", ["contact_id"])

    op.create_table(
        "communications",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(400), nullable=False),
        sa.Column("appointment_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("recipient", sa.String(16), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("variant", sa.String(50), nullable=False),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("scheduled_for"),
        _timestamp("sent_at", nullable=True),
        _timestamp("read_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name="fk_communications_appointment_id_appointments",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_communications"),
        # The ledger's idempotency gate: concurrent claims of one key collide here.
        sa.UniqueConstraint("idempotency_key", name="uq_communications_idempotency_key"),
    )
    op.create_index("ix_communications_appointment_id", "communications", ["appointment_id"])
    op.create_index(
        "ix_communications_contact_channel", "communications", ["contact_id", "channel"]
    )


def downgrade() -> None:
    # Children before parents so foreign keys never dangle.
    op.drop_table("communications")
    op.drop_table("no_shows")
    op.drop_table("appointment_events")
    op.drop_table("appointments")
    op.drop_table("contact_opt_outs")
    op.drop_table("contacts")

"""Workspaces: the workspaces table with a `default` workspace, every business row scoped to
a workspace (backfilled to `default`), per-workspace uniqueness of contacts, external ids
and idempotency keys; workspace settings, API keys, rate-limit buckets and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Existing rows all belong to the `default` workspace. Each workspace_id column is added
nullable, backfilled, then made NOT NULL, which works the same on SQLite (batch mode
rebuilds the table) and PostgreSQL (plain ALTER TABLE). Foreign keys that pointed at
contacts.id must go before contacts' primary key becomes (workspace_id, id), and come back
as composite keys after it. env.py turns SQLite's foreign key enforcement off while tables
are rebuilt and checks every key before committing.

Plain DateTime(timezone=True) like 0001 (see there for why not UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_WORKSPACE = "default"
BUSINESS_TABLES = (
    "contacts",
    "contact_opt_outs",
    "appointments",
    "appointment_events",
    "no_shows",
    "communications",
)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _workspace_fk(table: str) -> tuple[str, str, list[str], list[str]]:
    return (f"fk_{table}_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"])


def _contact_fk(table: str) -> tuple[str, str, list[str], list[str]]:
    return (
        f"fk_{table}_contact_contacts",
        "contacts",
        ["workspace_id", "contact_id"],
        ["workspace_id", "id"],
    )


def upgrade() -> None:
    _create_workspaces()
    _create_workspace_tables()
    for table in BUSINESS_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("workspace_id", sa.String(64), nullable=True))
        op.execute(
            sa.text(f"UPDATE {table} SET workspace_id = :workspace").bindparams(
                workspace=DEFAULT_WORKSPACE
            )
        )
    _release_contacts()
    _scope_contacts()
    _scope_children()


def _create_workspaces() -> None:
    workspaces = op.create_table(
        "workspaces",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slug", name="uq_workspaces_slug"),
    )
    assert workspaces is not None
    op.bulk_insert(
        workspaces,
        [
            {
                "id": DEFAULT_WORKSPACE,
                "slug": DEFAULT_WORKSPACE,
                "name": "Default",
                "timezone": "UTC",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def _create_workspace_tables() -> None:
    op.create_table(
        "workspace_settings",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("brand_name", sa.String(200), nullable=True),
        sa.Column("brand_primary_color", sa.String(7), nullable=True),
        sa.Column("brand_accent_color", sa.String(7), nullable=True),
        sa.Column("brand_logo_url", sa.String(2000), nullable=True),
        sa.Column("brand_footer", sa.String(1000), nullable=True),
        sa.Column("sender_name", sa.String(200), nullable=True),
        sa.Column("email_from_address", sa.String(320), nullable=True),
        sa.Column("twilio_sms_from", sa.String(20), nullable=True),
        sa.Column("twilio_messaging_service_sid", sa.String(64), nullable=True),
        sa.Column("twilio_whatsapp_from", sa.String(20), nullable=True),
        sa.Column("quiet_hours_start_h", sa.Integer(), nullable=True),
        sa.Column("quiet_hours_end_h", sa.Integer(), nullable=True),
        sa.Column("rate_limit_write_per_minute", sa.Integer(), nullable=True),
        sa.Column("rate_limit_read_per_minute", sa.Integer(), nullable=True),
        sa.Column("sendgrid_credentials", sa.Text(), nullable=True),
        sa.Column("twilio_credentials", sa.Text(), nullable=True),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_workspace_settings_workspace_id_workspaces",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_workspace_settings"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("revoked_at", nullable=True),
        _timestamp("last_used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_api_keys_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_workspace_id", "api_keys", ["workspace_id"])
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("route_class", sa.String(16), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "route_class", name="pk_rate_limit_buckets"),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_audit_log_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_workspace_id_id", "audit_log", ["workspace_id", "id"])


def _release_contacts() -> None:
    """Drop what depends on contacts' single-column key (PostgreSQL refuses to drop a
    primary key that foreign keys still use)."""
    with op.batch_alter_table("appointments") as batch:
        batch.drop_constraint("fk_appointments_contact_id_contacts", type_="foreignkey")
        batch.drop_index("ix_appointments_contact_id")
    with op.batch_alter_table("no_shows") as batch:
        batch.drop_constraint("fk_no_shows_contact_id_contacts", type_="foreignkey")
        batch.drop_index("ix_no_shows_contact_id")
    with op.batch_alter_table("contact_opt_outs") as batch:
        batch.drop_constraint("fk_contact_opt_outs_contact_id_contacts", type_="foreignkey")


def _scope_contacts() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("pk_contacts", type_="primary")
        batch.create_primary_key("pk_contacts", ["workspace_id", "id"])
        batch.create_foreign_key(*_workspace_fk("contacts"))


def _scope_children() -> None:
    with op.batch_alter_table("contact_opt_outs") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("pk_contact_opt_outs", type_="primary")
        batch.create_primary_key("pk_contact_opt_outs", ["workspace_id", "contact_id", "channel"])
        batch.create_foreign_key(*_contact_fk("contact_opt_outs"))

    with op.batch_alter_table("appointments") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("uq_appointments_external_id", type_="unique")
        batch.create_unique_constraint(
            "uq_appointments_external_id", ["workspace_id", "external_id"]
        )
        batch.create_foreign_key(*_workspace_fk("appointments"))
        batch.create_foreign_key(*_contact_fk("appointments"))
        batch.create_index(
            "ix_appointments_workspace_id_contact_id", ["workspace_id", "contact_id"]
        )
        batch.create_index(
            "ix_appointments_workspace_id_created_at", ["workspace_id", "created_at"]
        )

    with op.batch_alter_table("appointment_events") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(64), nullable=False)
        batch.create_foreign_key(*_workspace_fk("appointment_events"))

    with op.batch_alter_table("no_shows") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(64), nullable=False)
        batch.create_foreign_key(*_workspace_fk("no_shows"))
        batch.create_foreign_key(*_contact_fk("no_shows"))
        batch.create_index("ix_no_shows_workspace_id_contact_id", ["workspace_id", "contact_id"])

    with op.batch_alter_table("communications") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("uq_communications_idempotency_key", type_="unique")
        batch.create_unique_constraint(
            "uq_communications_idempotency_key", ["workspace_id", "idempotency_key"]
        )
        batch.create_foreign_key(*_workspace_fk("communications"))
        batch.drop_index("ix_communications_contact_channel")
        batch.create_index(
            "ix_communications_workspace_contact_channel",
            ["workspace_id", "contact_id", "channel"],
        )


def downgrade() -> None:
    others = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM workspaces WHERE id <> :workspace").bindparams(
            workspace=DEFAULT_WORKSPACE
        )
    )
    if others:
        # Without workspaces their rows would merge into one, colliding on contact ids,
        # external ids and idempotency keys. Nothing is dropped silently.
        raise RuntimeError(
            f"{others} workspaces besides {DEFAULT_WORKSPACE!r} exist; "
            "remove them before downgrading below 0003"
        )

    with op.batch_alter_table("communications") as batch:
        batch.drop_index("ix_communications_workspace_contact_channel")
        batch.create_index("ix_communications_contact_channel", ["contact_id", "channel"])
        batch.drop_constraint("fk_communications_workspace_id_workspaces", type_="foreignkey")
        batch.drop_constraint("uq_communications_idempotency_key", type_="unique")
        batch.create_unique_constraint("uq_communications_idempotency_key", ["idempotency_key"])
        batch.drop_column("workspace_id")

    with op.batch_alter_table("no_shows") as batch:
        batch.drop_index("ix_no_shows_workspace_id_contact_id")
        batch.drop_constraint("fk_no_shows_contact_contacts", type_="foreignkey")
        batch.drop_constraint("fk_no_shows_workspace_id_workspaces", type_="foreignkey")
        batch.drop_column("workspace_id")

    with op.batch_alter_table("appointment_events") as batch:
        batch.drop_constraint("fk_appointment_events_workspace_id_workspaces", type_="foreignkey")
        batch.drop_column("workspace_id")

    with op.batch_alter_table("appointments") as batch:
        batch.drop_index("ix_appointments_workspace_id_created_at")
        batch.drop_index("ix_appointments_workspace_id_contact_id")
        batch.drop_constraint("fk_appointments_contact_contacts", type_="foreignkey")
        batch.drop_constraint("fk_appointments_workspace_id_workspaces", type_="foreignkey")
        batch.drop_constraint("uq_appointments_external_id", type_="unique")
        batch.create_unique_constraint("uq_appointments_external_id", ["external_id"])
        batch.drop_column("workspace_id")

    with op.batch_alter_table("contact_opt_outs") as batch:
        batch.drop_constraint("fk_contact_opt_outs_contact_contacts", type_="foreignkey")
        batch.drop_constraint("pk_contact_opt_outs", type_="primary")
        batch.create_primary_key("pk_contact_opt_outs", ["contact_id", "channel"])
        batch.drop_column("workspace_id")

    with op.batch_alter_table("contacts") as batch:
        batch.drop_constraint("fk_contacts_workspace_id_workspaces", type_="foreignkey")
        batch.drop_constraint("pk_contacts", type_="primary")
        batch.create_primary_key("pk_contacts", ["id"])
        batch.drop_column("workspace_id")

    with op.batch_alter_table("contact_opt_outs") as batch:
        batch.create_foreign_key(
            "fk_contact_opt_outs_contact_id_contacts", "contacts", ["contact_id"], ["id"]
        )
    with op.batch_alter_table("no_shows") as batch:
        batch.create_foreign_key(
            "fk_no_shows_contact_id_contacts", "contacts", ["contact_id"], ["id"]
        )
        batch.create_index("ix_no_shows_contact_id", ["contact_id"])
    with op.batch_alter_table("appointments") as batch:
        batch.create_foreign_key(
            "fk_appointments_contact_id_contacts", "contacts", ["contact_id"], ["id"]
        )
        batch.create_index("ix_appointments_contact_id", ["contact_id"])

    op.drop_index("ix_audit_log_workspace_id_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("rate_limit_buckets")
    op.drop_index("ix_api_keys_workspace_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("workspace_settings")
    op.drop_table("workspaces")

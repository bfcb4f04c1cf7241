"""Delivery reconciliation on communications: the attempt lease (holder and expiry) and
the moment a send's outcome became unknown, plus an index for listing a workspace's
messages by status; and appointment_events.delivered_at, so a repeated event is
acknowledged without asking Temporal once it was delivered (existing events were: they are
backfilled).

Revision ID: 0005
Revises: 0004 (playbook fields)
Create Date: 2026-12-04

Plain DateTime(timezone=True) like 0001 (see there for why not UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_communications_workspace_status_created"


def upgrade() -> None:
    with op.batch_alter_table("communications") as batch:
        batch.add_column(sa.Column("lease_holder", sa.String(200), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("in_doubt_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index(_INDEX, "communications", ["workspace_id", "status", "created_at"])
    with op.batch_alter_table("appointment_events") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE appointment_events SET delivered_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("appointment_events") as batch:
        batch.drop_column("delivered_at")
    op.drop_index(_INDEX, table_name="communications")
    with op.batch_alter_table("communications") as batch:
        batch.drop_column("in_doubt_since")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_holder")

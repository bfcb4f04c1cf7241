"""Appointment details for playbooks: where and how to join, what to prepare, what the
contact is interested in, the playbook asked for by name; and the contact's locale.

Revision ID: 0004
Revises: 0003 (workspaces)
Create Date: 2026-12-04

All nullable: appointments booked before keep working, with none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPOINTMENT_COLUMNS = (
    ("location", sa.String(500)),
    ("join_url", sa.String(2000)),
    ("instructions", sa.Text()),
    ("interest", sa.String(500)),
    ("playbook", sa.String(64)),
)


def upgrade() -> None:
    # batch_alter_table: SQLite cannot ALTER most things in place; on PostgreSQL it is a
    # plain ALTER TABLE.
    with op.batch_alter_table("appointments") as batch:
        for name, type_ in _APPOINTMENT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("locale", sa.String(35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("appointments") as batch:
        for name, _ in reversed(_APPOINTMENT_COLUMNS):
            batch.drop_column(name)

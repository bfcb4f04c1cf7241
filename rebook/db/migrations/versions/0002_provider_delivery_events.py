"""Provider delivery events on communications: latest provider status, first delivered /
opened / clicked times, and an index to match webhooks by (provider, provider_message_id).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Plain DateTime(timezone=True) like 0001 (see there for why not UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMPS = ("delivered_at", "opened_at", "clicked_at")
_INDEX = "ix_communications_provider_message"


def upgrade() -> None:
    # batch_alter_table: SQLite cannot ALTER most things in place; on PostgreSQL it is a
    # plain ALTER TABLE.
    with op.batch_alter_table("communications") as batch:
        batch.add_column(sa.Column("provider_status", sa.String(32), nullable=True))
        for name in _TIMESTAMPS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index(_INDEX, "communications", ["provider", "provider_message_id"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="communications")
    with op.batch_alter_table("communications") as batch:
        for name in reversed(_TIMESTAMPS):
            batch.drop_column(name)
        batch.drop_column("provider_status")

"""Alembic revisions, applied in order by rebook.db.migrate.upgrade_to_head."""

"""Alembic environment: runs revisions against the URL that rebook.db.migrate (or the
alembic CLI via alembic.ini) configured.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, text

from rebook.db.engine import create_engine_for
from rebook.db.models import Base

# Arbitrary constant shared by every process that migrates: a PostgreSQL advisory lock on it
# makes an API and a worker starting together upgrade one after the other, not both at once.
MIGRATION_LOCK_ID = 7_316_402_118

config = context.config

# Only the alembic CLI has an ini file with logging sections; programmatic upgrades from
# inside the app (or pytest) must not have their logging configuration replaced.
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    # Plain `alembic upgrade head` with no URL in alembic.ini: use the app's setting.
    from rebook.db.migrate import database_url_from_environment

    return database_url_from_environment()


def _configure(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=is_sqlite,
        # SQLite does roll back DDL; run each upgrade atomically there too.
        transactional_ddl=True,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine_for(_database_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:lock_id)"),
                        {"lock_id": MIGRATION_LOCK_ID},
                    )
                context.run_migrations()
    finally:
        # Leave no pooled connections behind: tests clone migrated databases as templates.
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

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
            is_sqlite = connection.dialect.name == "sqlite"
            if is_sqlite:
                _sqlite_foreign_keys(connection, enforced=False)
            _configure(connection)
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:lock_id)"),
                        {"lock_id": MIGRATION_LOCK_ID},
                    )
                context.run_migrations()
                if is_sqlite:
                    _check_sqlite_foreign_keys(connection)
            if is_sqlite:
                _sqlite_foreign_keys(connection, enforced=True)
    finally:
        # Leave no pooled connections behind: tests clone migrated databases as templates.
        engine.dispose()


def _sqlite_foreign_keys(connection: Connection, *, enforced: bool) -> None:
    """Batch mode rebuilds a table by copying it and dropping the original, which enforced
    foreign keys forbid while other tables point at it (Alembic's batch documentation says
    to switch enforcement off). The pragma is ignored inside a transaction, so it goes
    straight to the driver connection, before SQLAlchemy begins one."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    """With enforcement off, check every foreign key before committing instead."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left dangling foreign keys: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

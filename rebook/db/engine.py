"""Engine and session factories for the two supported databases.

SQLite is the single-node/dev store, PostgreSQL (psycopg 3) the production one. Everything
dialect-specific about connecting lives here so stores and migrations stay portable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

# Long enough to ride out a burst of concurrent writers (activity threads) on SQLite,
# short enough that a genuinely stuck lock still surfaces as an error.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Activity workers run up to ~32 threads (Settings.activity_threads) plus the API;
# overflow covers bursts without holding that many idle connections open.
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 30
# Recycle before typical load-balancer/pgbouncer idle timeouts cut connections.
POSTGRES_POOL_RECYCLE_S = 1800

_POSTGRES_SCHEMES = ("postgresql", "postgres")


def normalize_url(url: str) -> URL:
    """Parse url, pinning plain PostgreSQL URLs to the psycopg 3 driver we ship with
    (SQLAlchemy would otherwise pick psycopg2, which is not installed)."""
    if url.startswith("postgres://"):  # Heroku-style alias SQLAlchemy does not accept
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername in _POSTGRES_SCHEMES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine_for(url: str) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_MAX_OVERFLOW,
            pool_recycle=POSTGRES_POOL_RECYCLE_S,
            pool_pre_ping=True,  # survive server restarts/failovers without a failed request
        )
    return create_engine(parsed)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Stores hand back plain dataclasses built before commit, but expire_on_commit=False
    # also keeps any ORM object readable after its session closed.
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def _create_sqlite_engine(url: URL) -> Engine:
    if not is_sqlite_memory(url) and url.database and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    engine = create_engine(url)
    wal = not is_sqlite_memory(url)

    @event.listens_for(engine, "connect")
    def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (it issues BEGIN lazily and
        # DEFERRED); the "begin" hook below issues our own BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                # WAL lets readers proceed while one writer commits.
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # SQLite ignores foreign keys unless asked, per connection.
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        # A DEFERRED transaction that reads and then writes fails instantly with
        # SQLITE_BUSY when another writer committed in between; busy_timeout cannot help.
        # Taking the write lock up front makes concurrent writers queue on busy_timeout
        # instead, which is what the ledger's read-then-update transitions rely on.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine

"""create_engine_for: URL mapping and the SQLite connection settings it promises."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from rebook.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_engine_for,
    normalize_url,
    session_factory,
)


def test_postgresql_urls_use_the_psycopg3_driver() -> None:
    assert normalize_url("postgresql://u:p@db:5432/rebook").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u:p@db/rebook").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@db/rebook").drivername == "postgresql+psycopg"


def test_password_survives_normalisation() -> None:
    url = normalize_url("postgresql://user:p%40ss@db/rebook")

    assert url.password == "p@ss"


def test_sqlite_file_gets_its_directory_wal_busy_timeout_and_foreign_keys(
    tmp_path: Path,
) -> None:
    database = tmp_path / "does" / "not" / "exist" / "rebook.db"
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            journal_mode = connection.execute(text("PRAGMA journal_mode")).scalar()
            busy_timeout = connection.execute(text("PRAGMA busy_timeout")).scalar()
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
    finally:
        engine.dispose()

    assert database.parent.is_dir()
    assert journal_mode == "wal"
    assert busy_timeout == SQLITE_BUSY_TIMEOUT_MS
    assert foreign_keys == 1


def test_in_memory_sqlite_works() -> None:
    engine = create_engine_for("sqlite://")
    try:
        with session_factory(engine).begin() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_transactions_still_roll_back(tmp_path: Path) -> None:
    # The engine takes over BEGIN from pysqlite; make sure rollback still undoes writes.
    engine = create_engine_for(f"sqlite:///{tmp_path / 'tx.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            connection.rollback()
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM t")).scalar()
    finally:
        engine.dispose()

    assert count == 0

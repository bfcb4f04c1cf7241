"""pytest fixtures for tests that need a real database, on SQLite and PostgreSQL.

Import them into a conftest.py to use them (tests/db/conftest.py does):

    from tests.support.database_fixtures import database_url, engine, postgres_server, ...

database_url / empty_database_url are parametrized over BACKENDS, so every test using them
runs once per database. Each test gets its own database: a SQLite file in tmp_path, or on
PostgreSQL a copy of a database migrated once per session (CREATE DATABASE ... TEMPLATE is
far cheaper than migrating again).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from tests.support.postgres import (
    ALLOW_NO_POSTGRES_ENV,
    PostgresServer,
    PostgresUnavailable,
)
from tests.support.postgres import postgres_server as start_postgres_server

BACKENDS = ["sqlite", "postgresql"]


def skip_or_fail_without_postgres(reason: str) -> NoReturn:
    """PostgreSQL is part of the product contract: missing it fails the run unless the
    environment explicitly opts out."""
    if os.environ.get(ALLOW_NO_POSTGRES_ENV) == "1":
        pytest.skip(f"PostgreSQL unavailable ({ALLOW_NO_POSTGRES_ENV}=1): {reason}")
    pytest.fail(f"PostgreSQL unavailable: {reason}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(start_postgres_server())
        except PostgresUnavailable as exc:
            skip_or_fail_without_postgres(str(exc))
        yield server


@pytest.fixture(scope="session")
def postgres_migrated_template(postgres_server: PostgresServer) -> Iterator[str]:
    """Name of a database at head, cloned for each test."""
    url = postgres_server.create_database()
    upgrade_to_head(url)  # disposes its engine, so the template has no open connections
    try:
        yield url.rsplit("/", 1)[-1]
    finally:
        postgres_server.drop_database(url)


def _sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'rebook.db'}"


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests)."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with server.throwaway_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database already migrated to head."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
        upgrade_to_head(url)
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_migrated_template")
    with server.throwaway_database(template=template) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)

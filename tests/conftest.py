"""Fixtures every test package shares: databases on both supported backends, and the
provider fakes. Folders keep a conftest.py only for what is theirs alone (the API app and
its Temporal dev server, the time-skipping Temporal environment, seeded activity rows).

Every test that takes database_url (or engine, sessions) runs twice: on SQLite and on a
throwaway PostgreSQL (tests/support/postgres.py). Each test gets its own database, a copy of
one migrated once per session: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
PostgreSQL, both far cheaper than migrating again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from tests.support.fakes import FakeSendGrid, FakeTwilio
from tests.support.postgres import ALLOW_NO_POSTGRES_ENV, PostgresServer, PostgresUnavailable
from tests.support.postgres import postgres_server as start_postgres_server

BACKENDS = ["sqlite", "postgresql"]


def skip_or_fail_without_postgres(reason: str) -> NoReturn:
    """PostgreSQL is part of the product contract: missing it fails the run unless the
    environment explicitly opts out."""
    if os.environ.get(ALLOW_NO_POSTGRES_ENV) == "1":
        pytest.skip(f"PostgreSQL unavailable ({ALLOW_NO_POSTGRES_ENV}=1): {reason}")
    pytest.fail(f"PostgreSQL unavailable: {reason}", pytrace=False)


# --------------------------------------------------------------------------- databases


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
    """Name of a PostgreSQL database at head, cloned for each test."""
    url = postgres_server.create_database()
    upgrade_to_head(url)  # disposes its engine, so the template has no open connections
    try:
        yield url.rsplit("/", 1)[-1]
    finally:
        postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at head, copied for each test."""
    path = tmp_path_factory.mktemp("db-template") / "rebook.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rebook.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with server.throwaway_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database already migrated to head."""
    if request.param == "sqlite":
        path = tmp_path / "rebook.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        yield f"sqlite:///{path}"
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
    """What the stores are built on; tests also use it to arrange and check rows."""
    return session_factory(engine)


# --------------------------------------------------------------------------- providers


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as fake:
        yield fake


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake

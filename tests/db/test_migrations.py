"""The shipped migrations build exactly the schema rebook.db.models describes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from rebook.db.engine import create_engine_for
from rebook.db.migrate import upgrade_to_head
from rebook.db.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAD_REVISION = "0005"


def _schema_diff(url: str) -> list[object]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _current_revision(url: str) -> str | None:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_upgrade_to_head_creates_exactly_the_model_schema(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)

    assert _schema_diff(empty_database_url) == []
    assert _current_revision(empty_database_url) == HEAD_REVISION


def test_upgrade_creates_every_model_table_and_nothing_else(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)

    engine = create_engine_for(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_upgrade_is_idempotent(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    upgrade_to_head(empty_database_url)

    assert _schema_diff(empty_database_url) == []


def test_fixture_database_is_already_at_head(database_url: str) -> None:
    assert _current_revision(database_url) == HEAD_REVISION


def test_cli_migrates_database_url_from_any_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'cli.db'}"  # parent dir does not exist yet
    subprocess.run(
        [sys.executable, "-m", "rebook.db.migrate"],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )

    assert _schema_diff(url) == []


def test_alembic_ini_at_repo_root_finds_the_packaged_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alembic-cli.db'}"
    alembic = Path(sys.executable).parent / "alembic"
    subprocess.run(
        [str(alembic), "-c", str(REPO_ROOT / "alembic.ini"), "upgrade", "head"],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )

    assert _current_revision(url) == HEAD_REVISION

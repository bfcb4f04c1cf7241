"""Apply the Alembic migrations that ship inside the package.

    python -m rebook.db.migrate          # upgrades DATABASE_URL (or Settings' default)

Works from any working directory: the script location is resolved from this file, not
from alembic.ini.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; percent-encoded passwords must survive.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def database_url_from_environment() -> str:
    """DATABASE_URL, else the Settings default. Entrypoints only (CLI, alembic env)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from rebook.settings import Settings

    return Settings().database_url


def main() -> int:
    url = database_url_from_environment()
    upgrade_to_head(url)
    print(f"database at head: {_redacted(url)}", file=sys.stderr)
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())

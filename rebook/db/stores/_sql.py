"""SQL helpers the stores share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rebook.db.models import Base

Clock = Callable[[], datetime]


def dialect_insert(session: Session) -> Any:
    """The INSERT construct of the session's database, which has ON CONFLICT clauses."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"unsupported database dialect: {dialect}")


def insert_ignoring_duplicates(
    session: Session,
    model: type[Base],
    values: dict[str, Any],
    *,
    unique: Sequence[str] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the primary key (or on the `unique` columns,
    which must carry a unique constraint): idempotent without a read-then-write race.
    Foreign key violations still raise."""
    insert = dialect_insert(session)
    table = model.__table__
    conflict_columns = list(unique or [column.name for column in table.primary_key])
    session.execute(
        insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    )


def rowcount(result: Any) -> int:
    # Session.execute is typed as Result; an UPDATE or DELETE returns a CursorResult.
    return int(result.rowcount)

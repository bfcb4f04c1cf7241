"""WorkspaceStore: the registry of workspaces and the lookup of API keys by id.

The one store that is not scoped to a workspace, because what it answers comes before a
workspace is known: an operator names a workspace by its slug, a request presents a key.
It never reads or writes a workspace's business rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import ApiKey
from rebook.core.shapes import same_fields
from rebook.core.workspaces import Workspace, WorkspaceId
from rebook.db.models import ApiKeyRow
from rebook.db.models import Workspace as WorkspaceRow
from rebook.db.stores.api_keys import api_key


class WorkspaceExists(ValueError):
    """The slug (or id) is taken."""


@dataclass(frozen=True)
class StoredKey:
    """A key as authentication needs it: the record and the hash to check a secret against."""

    key: ApiKey
    secret_sha256: str


class WorkspaceStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, workspace: Workspace) -> Workspace:
        """Raises WorkspaceExists when the slug or id is taken."""
        try:
            with self._sessions.begin() as session:
                session.add(
                    WorkspaceRow(
                        id=workspace.id,
                        slug=workspace.slug,
                        name=workspace.name,
                        timezone=workspace.timezone,
                        created_at=workspace.created_at,
                    )
                )
        except IntegrityError as exc:
            raise WorkspaceExists(workspace.slug) from exc
        return workspace

    def all(self) -> list[Workspace]:
        with self._sessions() as session:
            rows = session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.created_at))
            return [workspace_record(row) for row in rows]

    def get(self, workspace_id: str) -> Workspace | None:
        with self._sessions() as session:
            row = session.get(WorkspaceRow, workspace_id)
            return None if row is None else workspace_record(row)

    def by_slug(self, slug: str) -> Workspace | None:
        with self._sessions() as session:
            row = session.scalars(
                select(WorkspaceRow).where(WorkspaceRow.slug == slug)
            ).one_or_none()
            return None if row is None else workspace_record(row)

    # ------------------------------------------------------------------ keys

    def any_keys(self) -> bool:
        """Whether a key was ever created (revoked ones count: revoking the last key must
        not open the API)."""
        with self._sessions() as session:
            return bool(session.scalar(select(exists().select_from(ApiKeyRow))))

    def key(self, key_id: str) -> StoredKey | None:
        with self._sessions() as session:
            row = session.get(ApiKeyRow, key_id)
            return None if row is None else StoredKey(api_key(row), row.secret_sha256)

    def all_keys(self) -> list[ApiKey]:
        """Every workspace's keys, oldest first (operators only: the CLI)."""
        with self._sessions() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
            return [api_key(row) for row in rows]

    def touch_key(self, key_id: str, at: datetime, resolution: timedelta) -> None:
        """Record that the key was used at `at`, unless it already was within `resolution`
        of it: concurrent API processes then write at most once per resolution."""
        with self._sessions.begin() as session:
            session.execute(
                sql_update(ApiKeyRow)
                .where(
                    ApiKeyRow.id == key_id,
                    or_(
                        ApiKeyRow.last_used_at.is_(None),
                        ApiKeyRow.last_used_at < at - resolution,
                    ),
                )
                .values(last_used_at=at)
                .execution_options(synchronize_session=False)
            )


def workspace_record(row: WorkspaceRow) -> Workspace:
    return same_fields(Workspace, row, id=WorkspaceId(row.id))

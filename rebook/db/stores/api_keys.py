"""ApiKeyStore: a workspace's API keys (their hashes; secrets are never stored). Scoped to
one workspace: another workspace's key does not exist here. Authentication finds a key by
id before it knows the workspace, through WorkspaceStore.key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import ApiKey, Scope
from rebook.core.shapes import same_fields
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import ApiKeyRow


class ApiKeyStore:
    def __init__(self, sessions: sessionmaker[Session], workspace_id: WorkspaceId) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id

    def create(self, key: ApiKey, secret_sha256: str) -> ApiKey:
        """Store a new key of this workspace (key.workspace_id is ignored: the scope wins)."""
        with self._sessions.begin() as session:
            row = ApiKeyRow(
                id=key.id,
                workspace_id=self._workspace_id,
                name=key.name,
                scopes=" ".join(sorted(key.scopes)),
                secret_sha256=secret_sha256,
                created_at=key.created_at,
            )
            session.add(row)
            session.flush()
            return api_key(row)

    def all(self) -> list[ApiKey]:
        """Oldest first, revoked ones included."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ApiKeyRow)
                .where(ApiKeyRow.workspace_id == self._workspace_id)
                .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
            )
            return [api_key(row) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        """Revoke the key from `at` on; idempotent (the first revocation time is kept).
        None when the workspace has no such key."""
        with self._sessions.begin() as session:
            row = session.get(ApiKeyRow, key_id, with_for_update=True)
            if row is None or row.workspace_id != self._workspace_id:
                return None
            if row.revoked_at is None:
                row.revoked_at = at
            return api_key(row)


def api_key(row: ApiKeyRow) -> ApiKey:
    return same_fields(
        ApiKey,
        row,
        workspace_id=WorkspaceId(row.workspace_id),
        scopes=frozenset(Scope(scope) for scope in row.scopes.split()),
    )

"""Workspaces and API keys a test needs before what it tests, made the way `rebook
workspace create` and `rebook key create` make them (the same stores and key format)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import ALL_SCOPES, ApiKey, Scope, format_key, hash_secret
from rebook.core.workspaces import Workspace, WorkspaceId
from rebook.db.stores import ApiKeyStore, WorkspaceStore
from rebook.services.api_keys import new_key_id, new_secret
from tests.support.factories import workspace


def add_workspace(
    sessions: sessionmaker[Session], slug: str = "acme", **changes: object
) -> Workspace:
    return WorkspaceStore(sessions).create(workspace(slug, **changes))


def issue_key(
    sessions: sessionmaker[Session],
    workspace_id: WorkspaceId,
    *scopes: Scope,
    name: str = "test key",
) -> str:
    """A new key of the workspace (every scope unless given), as its full text."""
    secret = new_secret()
    key = ApiKey(
        id=new_key_id(),
        workspace_id=workspace_id,
        name=name,
        scopes=frozenset(scopes) or ALL_SCOPES,
        created_at=datetime.now(UTC),
    )
    ApiKeyStore(sessions, workspace_id).create(key, hash_secret(secret))
    return format_key(key.id, secret)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_id_of(key: str) -> str:
    return key.split("_", 2)[1]

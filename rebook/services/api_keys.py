"""A workspace's API keys: created (the secret shown once), listed, revoked."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from rebook.core.api_keys import ApiKey, Scope, format_key, hash_secret
from rebook.core.workspaces import WorkspaceId
from rebook.db.stores import ApiKeyStore
from rebook.services.blocking import in_thread
from rebook.services.errors import InvalidField, NotFound


def new_key_id() -> str:
    return secrets.token_hex(6)


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class ApiKeyService:
    def __init__(
        self,
        store: ApiKeyStore,
        workspace_id: WorkspaceId,
        *,
        on_create: Callable[[], None] = lambda: None,
        on_revoke: Callable[[str], None] = lambda _key_id: None,
    ) -> None:
        self._store = store
        self._workspace_id = workspace_id
        self._on_create = on_create
        self._on_revoke = on_revoke

    async def create(self, name: str, scopes: Iterable[Scope]) -> tuple[ApiKey, str]:
        """A new key of the workspace and its full text (`rbk_<id>_<secret>`), which is not
        stored and cannot be shown again. Raises InvalidField without any scope."""
        granted = frozenset(scopes)
        if not granted:
            raise InvalidField(("scopes",), "give the key at least one scope", [])
        secret = new_secret()
        key = ApiKey(
            id=new_key_id(),
            workspace_id=self._workspace_id,
            name=name,
            scopes=granted,
            created_at=datetime.now(UTC),
        )
        stored = await in_thread(self._store.create, key, hash_secret(secret))
        self._on_create()
        return stored, format_key(stored.id, secret)

    async def all(self) -> list[ApiKey]:
        return await in_thread(self._store.all)

    async def revoke(self, key_id: str) -> ApiKey:
        """Idempotent. Raises NotFound for a key that is not the workspace's."""
        revoked = await in_thread(self._store.revoke, key_id, datetime.now(UTC))
        if revoked is None:
            raise NotFound(f"key {key_id} not found")
        self._on_revoke(key_id)
        return revoked

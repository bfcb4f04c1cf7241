"""Who is calling: the API key presented with a request, turned into a Principal (its
workspace and scopes), or refused.

Keys come from two places: `rebook key create` (stored as SHA-256 hashes, bound to a
workspace and scopes, revocable) and the API_KEYS setting (the default workspace, every
scope). With neither, the API is open and every request acts on the default workspace.
Lookups are cached briefly in the process, so a request costs no database read for its
key; a revocation made elsewhere takes effect within KEY_CACHE_TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from rebook.core.api_keys import ALL_SCOPES, Scope, parse_key, secret_matches
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, WorkspaceId
from rebook.db.stores import StoredKey, WorkspaceStore
from rebook.services.blocking import in_thread
from rebook.services.errors import Unauthenticated
from rebook.services.ttl_cache import TtlCache

KEY_CACHE_TTL: Final = timedelta(seconds=10)
# last_used_at is kept to this resolution: at most one write a minute per key and process.
LAST_USED_RESOLUTION: Final = timedelta(minutes=1)
# API_KEYS keys have no row; this prefix marks their ids in rate limits and the audit log.
ENV_KEY_PREFIX: Final = "env-"

_MISSING = "missing Authorization header: expected 'Bearer <api key>'"
_INVALID = "invalid API key in the Authorization header"


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    workspace_id: WorkspaceId
    key_id: str | None  # None when the API is open (no keys configured)
    scopes: frozenset[Scope]


OPEN_PRINCIPAL: Final = Principal(DEFAULT_WORKSPACE_ID, None, ALL_SCOPES)


def env_key_id(key: str) -> str:
    """A stable id for an API_KEYS key that reveals nothing about it."""
    return ENV_KEY_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


class Authenticator:
    def __init__(
        self,
        workspaces: WorkspaceStore,
        env_keys: frozenset[str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._workspaces = workspaces
        self._env_keys = env_keys
        ttl = KEY_CACHE_TTL.total_seconds()
        self._keys: TtlCache[str, StoredKey | None] = TtlCache(ttl, clock=clock)
        self._any_keys: TtlCache[str, bool] = TtlCache(ttl, clock=clock)
        self._touched: TtlCache[str, bool] = TtlCache(
            LAST_USED_RESOLUTION.total_seconds(), clock=clock
        )

    async def authenticate(self, presented: str | None) -> Principal:
        """The principal of a request carrying `presented` (the bearer token, None when
        absent). Raises Unauthenticated for a missing, malformed, unknown or revoked key
        once any key exists."""
        if not self._env_keys and not await self._keys_exist():
            return OPEN_PRINCIPAL
        if not presented:
            raise Unauthenticated(_MISSING)
        # Every configured key is compared, in constant time, so timing reveals nothing.
        if any(hmac.compare_digest(presented, key) for key in self._env_keys):
            return Principal(DEFAULT_WORKSPACE_ID, env_key_id(presented), ALL_SCOPES)
        parsed = parse_key(presented)
        if parsed is None:
            raise Unauthenticated(_INVALID)
        key_id, secret = parsed
        stored = await self._stored(key_id)
        if stored is None or not secret_matches(secret, stored.secret_sha256):
            raise Unauthenticated(_INVALID)
        if stored.key.revoked:
            raise Unauthenticated("the API key in the Authorization header was revoked")
        await self._touch(key_id)
        return Principal(stored.key.workspace_id, key_id, stored.key.scopes)

    def forget(self, key_id: str) -> None:
        """Drop the cached key (it was revoked in this process): effective at once here."""
        self._keys.invalidate(key_id)

    def keys_created(self) -> None:
        """A key was created in this process: authentication is required from now on."""
        self._any_keys.invalidate("")

    async def _keys_exist(self) -> bool:
        found, cached = self._any_keys.get("")
        if found:
            return bool(cached)
        return self._any_keys.put("", await in_thread(self._workspaces.any_keys))

    async def _stored(self, key_id: str) -> StoredKey | None:
        found, cached = self._keys.get(key_id)
        if found:
            return cached
        return self._keys.put(key_id, await in_thread(self._workspaces.key, key_id))

    async def _touch(self, key_id: str) -> None:
        found, _ = self._touched.get(key_id)
        if found:
            return
        self._touched.put(key_id, True)
        await in_thread(self._workspaces.touch_key, key_id, datetime.now(UTC), LAST_USED_RESOLUTION)

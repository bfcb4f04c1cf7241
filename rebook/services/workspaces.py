"""Workspaces as use cases: creating and finding them (operators), reading and changing a
workspace's settings (its admins), and what the API needs of a workspace on every request
(its limits, follow-up policy and default timezone, cached briefly)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from rebook.core.contracts import FollowUpPolicy
from rebook.core.rate_limits import Limit, RouteClass
from rebook.core.workspaces import (
    ProviderCredentials,
    SendGridCredentials,
    TwilioCredentials,
    Workspace,
    WorkspaceId,
    WorkspaceSettings,
    slug_problem,
    timezone_problem,
)
from rebook.credentials import CredentialCipher, decrypt_credentials
from rebook.db.stores import (
    WorkspaceExists,
    WorkspaceNotFound,
    WorkspaceSettingsStore,
    WorkspaceStore,
)
from rebook.services.blocking import in_thread
from rebook.services.errors import Conflict, InvalidField, NotFound
from rebook.services.ttl_cache import TtlCache

CONTEXT_CACHE_TTL: Final = timedelta(seconds=10)


def new_workspace_id() -> str:
    return "ws_" + secrets.token_hex(8)


@dataclass(frozen=True)
class WorkspaceContext:
    """What serving a request of a workspace needs to know about it."""

    workspace: Workspace
    settings: WorkspaceSettings


@dataclass(frozen=True)
class Defaults:
    """The deployment's values a workspace falls back to (from Settings, in entrypoints)."""

    policy: FollowUpPolicy
    write_per_minute: int
    read_per_minute: int


def policy_for(settings: WorkspaceSettings, base: FollowUpPolicy) -> FollowUpPolicy:
    """The follow-up policy a new appointment of the workspace starts with: the
    deployment's, with the workspace's quiet hours where it sets them."""
    return replace(
        base,
        quiet_hours_start_h=_either(settings.quiet_hours_start_h, base.quiet_hours_start_h),
        quiet_hours_end_h=_either(settings.quiet_hours_end_h, base.quiet_hours_end_h),
    )


def _either(own: int | None, fallback: int) -> int:
    return fallback if own is None else own


class WorkspaceDirectory:
    """Per-request knowledge of workspaces, cached for CONTEXT_CACHE_TTL in this process
    (a change made here is seen at once; one made elsewhere within the TTL)."""

    def __init__(
        self,
        settings_store: Callable[[WorkspaceId], WorkspaceSettingsStore],
        cipher: CredentialCipher | None,
        defaults: Defaults,
    ) -> None:
        self._settings_store = settings_store
        self._cipher = cipher
        self._defaults = defaults
        ttl = CONTEXT_CACHE_TTL.total_seconds()
        self._contexts: TtlCache[str, WorkspaceContext | None] = TtlCache(ttl)
        self._credentials: TtlCache[str, ProviderCredentials] = TtlCache(ttl)

    async def context(self, workspace_id: WorkspaceId) -> WorkspaceContext:
        """Raises NotFound for an unknown workspace."""
        found, cached = self._contexts.get(workspace_id)
        if not found:
            cached = self._contexts.put(workspace_id, await in_thread(self._load, workspace_id))
        if cached is None:
            raise NotFound(f"workspace {workspace_id} not found")
        return cached

    async def credentials(self, workspace_id: WorkspaceId) -> ProviderCredentials:
        """The workspace's own provider accounts (to check their webhook signatures).
        Raises CredentialsUnreadable when they were stored under a key no longer
        configured."""
        found, cached = self._credentials.get(workspace_id)
        if found and cached is not None:
            return cached
        tokens = await in_thread(self._settings_store(workspace_id).credentials)
        return self._credentials.put(workspace_id, decrypt_credentials(tokens, self._cipher))

    def invalidate(self, workspace_id: WorkspaceId) -> None:
        self._contexts.invalidate(workspace_id)
        self._credentials.invalidate(workspace_id)

    async def limit(self, workspace_id: WorkspaceId, route_class: RouteClass) -> Limit:
        settings = (await self.context(workspace_id)).settings
        if route_class is RouteClass.WRITE:
            own, fallback = settings.rate_limit_write_per_minute, self._defaults.write_per_minute
        else:
            own, fallback = settings.rate_limit_read_per_minute, self._defaults.read_per_minute
        return Limit(_either(own, fallback))

    async def policy(self, workspace_id: WorkspaceId) -> FollowUpPolicy:
        return policy_for((await self.context(workspace_id)).settings, self._defaults.policy)

    def _load(self, workspace_id: WorkspaceId) -> WorkspaceContext | None:
        store = self._settings_store(workspace_id)
        try:
            return WorkspaceContext(store.workspace(), store.settings())
        except WorkspaceNotFound:
            return None


class WorkspaceAdmin:
    """Operators' use cases across workspaces (the CLI)."""

    def __init__(self, workspaces: WorkspaceStore) -> None:
        self._workspaces = workspaces

    async def create(self, slug: str, name: str, timezone: str) -> Workspace:
        """Raises InvalidField for a bad slug or timezone, Conflict when the slug is
        taken."""
        problem = slug_problem(slug)
        if problem:
            raise InvalidField(("slug",), problem, slug)
        problem = timezone_problem(timezone)
        if problem:
            raise InvalidField(("timezone",), problem, timezone)
        workspace = Workspace(
            id=WorkspaceId(new_workspace_id()),
            slug=slug,
            name=name,
            timezone=timezone,
            created_at=datetime.now(UTC),
        )
        try:
            return await in_thread(self._workspaces.create, workspace)
        except WorkspaceExists:
            raise Conflict(f"workspace {slug!r} exists already") from None

    async def all(self) -> list[Workspace]:
        return await in_thread(self._workspaces.all)

    async def by_slug(self, slug: str) -> Workspace:
        """Raises NotFound."""
        workspace = await in_thread(self._workspaces.by_slug, slug)
        if workspace is None:
            raise NotFound(f"workspace {slug!r} not found")
        return workspace


@dataclass(frozen=True)
class SettingsView:
    workspace: Workspace
    settings: WorkspaceSettings


# Provider name -> its credentials, or None to forget the workspace's own account.
CredentialChanges = Mapping[str, SendGridCredentials | TwilioCredentials | None]


class WorkspaceSettingsService:
    """A workspace's settings, as its admins (admin-scoped keys, the CLI) see and change
    them. Credentials are write-only: stored encrypted, shown as configured or not."""

    def __init__(
        self,
        store: WorkspaceSettingsStore,
        cipher: CredentialCipher | None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._on_change = on_change

    async def view(self) -> SettingsView:
        """Raises NotFound when the workspace is gone."""
        return await in_thread(self._view)

    async def update(
        self, values: Mapping[str, object], credentials: CredentialChanges
    ) -> SettingsView:
        """Change the given settings (None: inherit the deployment's again), workspace
        name and timezone, and credentials; leave everything else. Values are validated at
        the edge. Raises InvalidField when credentials are given but the deployment has no
        CREDENTIALS_KEY to encrypt them with."""
        tokens: dict[str, str | None] = {}
        for provider, given in credentials.items():
            if given is None:
                tokens[provider] = None
                continue
            if self._cipher is None:
                raise InvalidField(
                    ("body", "credentials", provider),
                    "this deployment cannot store credentials: set CREDENTIALS_KEY first",
                    None,  # never echo a secret back
                )
            tokens[provider] = self._cipher.encrypt(given)
        try:
            await in_thread(self._store.update, values, tokens)
        except WorkspaceNotFound as exc:
            raise NotFound(f"workspace {exc} not found") from None
        self._on_change()
        return await self.view()

    def _view(self) -> SettingsView:
        try:
            return SettingsView(self._store.workspace(), self._store.settings())
        except WorkspaceNotFound as exc:
            raise NotFound(f"workspace {exc} not found") from None


async def rotate_credentials(
    workspaces: WorkspaceStore,
    settings_store: Callable[[WorkspaceId], WorkspaceSettingsStore],
    cipher: CredentialCipher,
) -> int:
    """Re-encrypt every workspace's stored credentials under the cipher's first key;
    returns how many tokens were rewritten."""
    total = 0
    for workspace in await in_thread(workspaces.all):
        store = settings_store(workspace.id)
        total += await in_thread(store.reencrypt_credentials, cipher.rotate)
    return total

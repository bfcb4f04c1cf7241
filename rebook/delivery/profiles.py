"""Per-workspace delivery for the worker: each workspace's brand and senders, resolved from
the deployment's Settings and the workspace's own settings and provider accounts.

Resolved profiles are cached for PROFILE_CACHE_TTL, so a settings change reaches sends
within it; sender sets (and their provider clients) are cached by their SenderConfig, so a
credential set gets its own clients, built once and reused while it does not change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Final

from rebook.core.brand import Brand
from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender, DeliveryProfile
from rebook.core.workspaces import WorkspaceId, WorkspaceSettings
from rebook.credentials import CredentialCipher, decrypt_credentials
from rebook.db.stores import WorkspaceSettingsStore
from rebook.delivery.registry import SenderConfig, build_senders, sender_config
from rebook.services.ttl_cache import TtlCache
from rebook.settings import Settings

PROFILE_CACHE_TTL: Final = timedelta(seconds=30)
# Distinct credential sets kept with live clients; beyond it the oldest are rebuilt on use.
MAX_SENDER_SETS: Final = 1000


def brand_of(deployment: Brand, own: WorkspaceSettings) -> Brand:
    """The workspace's brand: its own values, the deployment's where it has none."""
    return Brand(
        name=own.brand_name or deployment.name,
        primary_color=own.brand_primary_color or deployment.primary_color,
        accent_color=own.brand_accent_color or deployment.accent_color,
        logo_url=own.brand_logo_url or deployment.logo_url,
        footer=own.brand_footer or deployment.footer,
        postal_address=deployment.postal_address,
        sender_name=own.sender_name or deployment.sender_name,
    )


class DeliveryProfiles:
    """Callable: workspace id -> its DeliveryProfile. Thread-safe (activities run on a
    thread pool). Raises CredentialsKeyMissing / CredentialsUnreadable when a workspace's
    credentials cannot be read: its messages then fail and are retried rather than sent
    from another account."""

    def __init__(
        self,
        settings: Settings,
        stores: Callable[[WorkspaceId], WorkspaceSettingsStore],
        cipher: CredentialCipher | None,
    ) -> None:
        self._settings = settings
        self._stores = stores
        self._cipher = cipher
        self._profiles: TtlCache[str, DeliveryProfile] = TtlCache(PROFILE_CACHE_TTL.total_seconds())
        self._sender_sets: TtlCache[SenderConfig, Mapping[Channel, ChannelSender]] = TtlCache(
            float("inf"), max_entries=MAX_SENDER_SETS
        )
        self._build_lock = threading.Lock()

    def __call__(self, workspace_id: WorkspaceId) -> DeliveryProfile:
        found, profile = self._profiles.get(workspace_id)
        if found and profile is not None:
            return profile
        store = self._stores(workspace_id)
        own = store.settings()
        credentials = decrypt_credentials(store.credentials(), self._cipher)
        config = sender_config(self._settings, own, credentials, workspace_id)
        profile = DeliveryProfile(brand_of(self._settings.brand(), own), self._senders(config))
        return self._profiles.put(workspace_id, profile)

    def _senders(self, config: SenderConfig) -> Mapping[Channel, ChannelSender]:
        with self._build_lock:
            found, senders = self._sender_sets.get(config)
            if found and senders is not None:
                return senders
            return self._sender_sets.put(config, build_senders(config))

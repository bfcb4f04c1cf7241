"""API keys: their format, their scopes and how they are hashed.

A key reads `rbk_<key id>_<secret>`. The key id names the key without revealing anything
(it is shown in listings and the audit log, and finds the stored hash in one lookup); the
secret is 32 random bytes shown once, at creation, and stored only as its SHA-256.

Pure module (hashing is deterministic; generating a secret is not, see
rebook.services.api_keys).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from rebook.core.workspaces import WorkspaceId

KEY_PREFIX: Final = "rbk"
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")


class Scope(StrEnum):
    APPOINTMENTS_WRITE = "appointments:write"  # book, report events, mark inbox messages read
    APPOINTMENTS_READ = "appointments:read"  # appointments, their messages, inboxes
    REPORTS_READ = "reports:read"  # the follow-up report
    ADMIN = "admin"  # the workspace's settings, keys and audit log; implies every scope


ALL_SCOPES: Final = frozenset(Scope)


def grants(scopes: frozenset[Scope], needed: Scope) -> bool:
    """Whether a key with `scopes` may do what `needed` guards (admin may do anything)."""
    return needed in scopes or Scope.ADMIN in scopes


def format_key(key_id: str, secret: str) -> str:
    return f"{KEY_PREFIX}_{key_id}_{secret}"


def parse_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None. The secret is URL-safe base64 and
    may itself contain underscores, so only the first two separate fields."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not _KEY_ID.fullmatch(parts[1]):
        return None
    return (parts[1], parts[2]) if parts[2] else None


def is_key_id(value: str) -> bool:
    return bool(_KEY_ID.fullmatch(value))


def hash_secret(secret: str) -> str:
    """SHA-256, hex. A fast unsalted hash is right here, unlike for passwords: the secret is
    256 random bits, so neither brute force nor precomputed tables can find it, and the
    check runs on every request."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison, so timing reveals nothing about the stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


@dataclass(frozen=True)
class ApiKey:
    """A stored key: everything but its secret, which is never stored."""

    id: str
    workspace_id: WorkspaceId
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

"""Message ids for senders that have no provider to hand one out."""

from __future__ import annotations

import hashlib


def local_message_id(prefix: str, idempotency_key: str) -> str:
    """Derived from the idempotency key, so a re-run of the same step yields the same id."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"{prefix}-{digest}"

"""Our idempotency key in a provider's callback URL, so every status callback names the
message it is about even before we know the provider's id for it (a send whose answer was
lost). SDK-free: the senders write it, the webhook route reads it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

IDEMPOTENCY_KEY_PARAM = "idempotency_key"


def with_idempotency_key(url: str, idempotency_key: str) -> str:
    """url with ?idempotency_key=... added (other query parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != IDEMPOTENCY_KEY_PARAM]
    query.append((IDEMPOTENCY_KEY_PARAM, idempotency_key))
    return urlunsplit(parts._replace(query=urlencode(query)))

"""Rate limits: a token bucket per API key and route class, and what the client is told
about it (the IETF RateLimit header fields draft, with Retry-After on a refusal). Pure: the
bucket itself lives in the database (rebook.db.stores.rate_limits) so every API process
shares it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

WINDOW_S = 60  # limits are configured per minute


class RouteClass(StrEnum):
    READ = "read"
    WRITE = "write"


def route_class(method: str) -> RouteClass:
    """GET and HEAD read; everything else changes something."""
    return RouteClass.READ if method.upper() in ("GET", "HEAD", "OPTIONS") else RouteClass.WRITE


@dataclass(frozen=True)
class Limit:
    """A bucket holding up to per_minute tokens, refilled continuously at per_minute a
    minute: a full minute's allowance may come as one burst, then it flows at the rate."""

    per_minute: int

    @property
    def capacity(self) -> float:
        return float(self.per_minute)

    @property
    def refill_per_s(self) -> float:
        return self.per_minute / WINDOW_S


@dataclass(frozen=True)
class Decision:
    """The bucket after a request: whether the request got a token, and what is left."""

    allowed: bool
    tokens: float  # left after this request


def headers(limit: Limit, decision: Decision) -> dict[str, str]:
    """RateLimit-Limit / -Remaining / -Reset (seconds until the bucket is full again) and
    -Policy; on a refusal also Retry-After (seconds until the next token)."""
    remaining = max(0, math.floor(decision.tokens))
    missing = max(0.0, limit.capacity - decision.tokens)
    values = {
        "RateLimit-Limit": str(limit.per_minute),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(math.ceil(missing / limit.refill_per_s)),
        "RateLimit-Policy": f"{limit.per_minute};w={WINDOW_S}",
    }
    if not decision.allowed:
        wait = max(0.0, 1.0 - decision.tokens) / limit.refill_per_s
        values["Retry-After"] = str(max(1, math.ceil(wait)))
    return values

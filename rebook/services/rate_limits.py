"""Rate limiting: each request of a key takes a token from the bucket of its route class
(rebook.core.rate_limits), held in the database so every API process shares it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from rebook.core.rate_limits import Decision, Limit, RouteClass, headers
from rebook.core.workspaces import WorkspaceId
from rebook.db.stores import RateLimitStore
from rebook.services.auth import Principal
from rebook.services.blocking import in_thread
from rebook.services.errors import RateLimited

LimitsOf = Callable[[WorkspaceId, RouteClass], Awaitable[Limit]]


class RateLimiter:
    def __init__(
        self,
        buckets: RateLimitStore,
        limits: LimitsOf,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._buckets = buckets
        self._limits = limits
        self._clock = clock

    async def take(self, principal: Principal, route_class: RouteClass) -> dict[str, str]:
        """Spend one of the principal's tokens for `route_class`; returns the RateLimit
        headers to answer with. Raises RateLimited (with those headers and Retry-After)
        when the bucket is empty. Requests without a key (the API is open) are not
        limited: there is no one to limit, and no headers."""
        if principal.key_id is None:
            return {}
        limit = await self._limits(principal.workspace_id, route_class)
        decision: Decision = await in_thread(
            self._buckets.take, principal.key_id, route_class, limit, self._clock()
        )
        answer = headers(limit, decision)
        if not decision.allowed:
            raise RateLimited(
                f"rate limit of {limit.per_minute} {route_class.value} requests a minute "
                f"exceeded; retry in {answer['Retry-After']} s",
                answer,
            )
        return answer

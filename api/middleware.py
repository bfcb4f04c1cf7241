"""ASGI middleware that acts on a request's outcome, whatever route or error produced it:

- RateLimitHeadersMiddleware adds the RateLimit-* headers get_principal computed to every
  answer (errors included; a 429 carries its own, with Retry-After);
- AuditMiddleware records each write an authenticated caller made (rebook.core.audit):
  workspace, key id, route, target and the status it ended with.

Both read what get_principal left in the request state (scope["state"]): `principal` and
`rate_limit_headers`. Requests that never authenticated (health, provider webhooks, a 401)
leave nothing there, so nothing is added or recorded for them.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rebook.core.audit import Actor, AuditEvent
from rebook.db.stores import AuditStore
from rebook.services.audit import AuditService
from rebook.services.auth import Principal

logger = logging.getLogger(__name__)

READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# A refused burst is not a write; recording each refusal would let a flood write anyway.
UNRECORDED_STATUSES: Final = frozenset({429})


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            headers = state.get("rate_limit_headers")
            if message["type"] == "http.response.start" and headers:
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers.items()
                    if name.lower().encode("latin-1") not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        outcome: dict[str, Any] = {"status": 500, "location": None}

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"location":
                        outcome["location"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            # After the answer went out: recording never delays the client.
            principal: Principal | None = state.get("principal")
            if principal is not None and outcome["status"] not in UNRECORDED_STATUSES:
                await _record(scope, principal, outcome["status"], outcome["location"])


async def _record(scope: Scope, principal: Principal, status: int, location: str | None) -> None:
    route = scope.get("route")
    template = getattr(route, "path", scope["path"])
    event = AuditEvent(
        actor=Actor.API,
        action=f"{scope['method']} {template}",
        status_code=status,
        key_id=principal.key_id,
        target_id=_target(scope, location),
    )
    sessions = scope["app"].state.sessions
    try:
        await AuditService(AuditStore(sessions, principal.workspace_id)).record(event)
    except Exception:
        # The write itself happened (or failed) already; losing its audit entry is logged
        # loudly rather than turned into an error the client can do nothing about.
        logger.exception("audit entry not recorded: %s", event)


def _target(scope: Scope, location: str | None) -> str | None:
    """What the write was about: what it created (its Location), else the innermost id in
    the path; None for a write to the workspace itself (its settings) or a refused create."""
    if location:
        return location.rstrip("/").rsplit("/", 1)[-1]
    params: dict[str, Any] = scope.get("path_params") or {}
    return str(list(params.values())[-1]) if params else None

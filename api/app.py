"""The FastAPI application factory. Settings are passed in (api.main loads them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Security
from temporalio.client import Client

from api.dependencies import get_principal
from api.errors import install_error_handlers
from api.middleware import AuditMiddleware, RateLimitHeadersMiddleware
from api.routers import (
    appointments,
    audit,
    communications,
    contacts,
    events,
    health,
    keys,
    reports,
    webhooks,
    workspace,
)
from api.schemas import ErrorOut
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.stores import RateLimitStore, WorkspaceSettingsStore, WorkspaceStore
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog
from rebook.services.auth import Authenticator
from rebook.services.errors import Unavailable
from rebook.services.rate_limits import RateLimiter
from rebook.services.workspaces import Defaults, WorkspaceDirectory
from rebook.settings import Settings
from rebook.temporal.gateway import TaskQueueWorkers, TemporalConnection

# Routers of the /v1 API proper: every route authenticates (get_principal), whatever its
# own dependencies; the isolation test walks them all.
KEYED_ROUTERS = (
    appointments.router,
    events.router,
    communications.router,
    contacts.router,
    reports.router,
    workspace.router,
    keys.router,
    audit.router,
)

# What every keyed route may answer before it runs (get_principal). Declared whether or
# not a key exists yet: one can be created at any time (POST /v1/keys, `rebook key
# create`), and from then on they apply. The key itself is the ApiKey security scheme,
# never a header parameter, so a client of an open API is not made to send one.
_KEYED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid API key (once any key exists)"},
    403: {"model": ErrorOut, "description": "The API key lacks the route's scope"},
    429: {"model": ErrorOut, "description": "The API key's rate limit; see Retry-After"},
}


def create_app(settings: Settings, *, temporal_client: Client | None = None) -> FastAPI:
    """Build the API.

    temporal_client: an already connected client (tests, embedding). Without one the app
    connects to settings.temporal_address at startup; if Temporal is down then, the app
    still starts and each request that needs Temporal retries the connection (503 meanwhile).

    app.state: settings, engine, sessions (a sessionmaker the stores are built on),
    temporal (a TemporalConnection), workers (TaskQueueWorkers, for health), auth
    (Authenticator), limiter (RateLimiter), directory (WorkspaceDirectory), cipher
    (CredentialCipher or None) and playbooks (the catalog a playbook named by a booking
    must be in; read on first use).
    The database schema is not created here: run rebook.db.migrate first.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Down now is not fatal: /healthz reports it and requests reconnect on demand.
        with contextlib.suppress(Unavailable):
            await app.state.temporal.client()
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(
        title="Rebook API",
        version="1.0.0",
        description=(
            "Booking platforms create appointments and report what happened to them; "
            "Rebook runs reminders and no-show follow-ups until the contact rebooks. "
            "Each API key acts on one workspace (one business) with its scopes: 401 means "
            "no valid key, 403 a key without the scope, 404 a row that is not in the key's "
            "workspace (or nowhere), 429 the key's rate limit (see Retry-After)."
        ),
        lifespan=lifespan,
    )
    engine = create_engine_for(settings.database_url)
    sessions = session_factory(engine)
    cipher = settings.credential_cipher()
    directory = WorkspaceDirectory(
        lambda workspace_id: WorkspaceSettingsStore(sessions, workspace_id),
        cipher,
        Defaults(
            policy=settings.follow_up_policy(),
            write_per_minute=settings.rate_limit_write_per_minute,
            read_per_minute=settings.rate_limit_read_per_minute,
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.cipher = cipher
    app.state.directory = directory
    app.state.auth = Authenticator(WorkspaceStore(sessions), settings.api_key_set)
    app.state.limiter = RateLimiter(RateLimitStore(sessions), directory.limit)
    app.state.temporal = TemporalConnection(
        settings.temporal_address, settings.temporal_namespace, temporal_client
    )
    app.state.workers = TaskQueueWorkers(app.state.temporal, settings.task_queue)
    app.state.playbooks = DiskPlaybookCatalog.with_defaults(settings.playbook_dir)
    install_error_handlers(app)
    # Added last runs first: the audit sees the final status, headers included.
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(AuditMiddleware)
    for router in KEYED_ROUTERS:
        app.include_router(router, dependencies=[Security(get_principal)], responses=_KEYED)
    app.include_router(health.router)  # open: load balancers and probes carry no key
    # No API key either: providers sign their webhooks instead (api/webhook_signatures.py),
    # and they are not rate-limited (providers retry; dropping their events loses data).
    app.include_router(webhooks.router)
    return app

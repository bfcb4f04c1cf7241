"""The FastAPI application factory. Settings are passed in (api.main loads them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from temporalio.client import Client

from api.dependencies import require_api_key
from api.errors import install_error_handlers
from api.routers import (
    appointments,
    communications,
    contacts,
    events,
    health,
    reports,
    webhooks,
)
from api.schemas import ErrorOut
from rebook.db.engine import create_engine_for, session_factory
from rebook.services.errors import Unavailable
from rebook.settings import Settings
from rebook.temporal.gateway import AppointmentWorkflows, TemporalConnection

_UNAUTHORIZED = {"model": ErrorOut, "description": "Missing or invalid API key"}


def create_app(settings: Settings, *, temporal_client: Client | None = None) -> FastAPI:
    """Build the API.

    temporal_client: an already connected client (tests, embedding). Without one the app
    connects to settings.temporal_address at startup; if Temporal is down then, the app
    still starts and each request that needs Temporal retries the connection (503 meanwhile).

    app.state: settings, engine, sessions (a sessionmaker the stores are built on),
    temporal (a TemporalConnection) and workflows (the AppointmentWorkflows gateway).
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
            "Rebook runs reminders and no-show follow-ups until the contact rebooks."
        ),
        lifespan=lifespan,
    )
    engine = create_engine_for(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.temporal = TemporalConnection(
        settings.temporal_address, settings.temporal_namespace, temporal_client
    )
    app.state.workflows = AppointmentWorkflows(
        app.state.temporal, settings.task_queue, settings.follow_up_policy()
    )
    install_error_handlers(app)
    # With API_KEYS unset the API is open: its schema then asks for no Authorization
    # header either, so clients generated from it send none.
    guarded = bool(settings.api_key_set)
    for router in (
        appointments.router,
        events.router,
        communications.router,
        contacts.router,
        reports.router,
    ):
        app.include_router(
            router,
            dependencies=[Depends(require_api_key)] if guarded else [],
            responses={401: _UNAUTHORIZED} if guarded else {},
        )
    app.include_router(health.router)  # open: load balancers and probes carry no key
    # No API key either: providers sign their webhooks instead (api/webhook_signatures.py).
    app.include_router(webhooks.router)
    return app

"""Request-scoped dependencies, all built from what create_app put on app.state:

- app.state.settings: Settings
- app.state.session_factory: sessionmaker[Session]
- app.state.temporal: TemporalConnection
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.errors import Unauthorized
from api.repository import ApiRepository
from rebook.settings import Settings
from rebook.temporal.gateway import AppointmentWorkflows, TemporalConnection


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# auto_error=False: a missing key only matters once keys are configured, and then the
# answer should be our own 401 rather than FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key from API_KEYS")


def require_api_key(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Booking platforms authenticate with `Authorization: Bearer <key>` once API_KEYS is
    set; compared in constant time so the key cannot be guessed byte by byte."""
    keys = settings.api_key_set
    if not keys:
        return
    presented = credentials.credentials.strip() if credentials else ""
    if not any(hmac.compare_digest(presented, key) for key in keys):
        raise Unauthorized("missing or invalid Authorization header: expected 'Bearer <api key>'")


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def get_repository(session: Annotated[Session, Depends(get_session)]) -> ApiRepository:
    return ApiRepository(session)


def get_temporal_connection(request: Request) -> TemporalConnection:
    connection: TemporalConnection = request.app.state.temporal
    return connection


async def get_temporal_client(
    connection: Annotated[TemporalConnection, Depends(get_temporal_connection)],
) -> Client:
    """Raises TemporalUnavailable (503) when Temporal cannot be reached."""
    return await connection.client()


def get_workflows(
    client: Annotated[Client, Depends(get_temporal_client)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> AppointmentWorkflows:
    return AppointmentWorkflows(client, settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
RepositoryDep = Annotated[ApiRepository, Depends(get_repository)]
TemporalConnectionDep = Annotated[TemporalConnection, Depends(get_temporal_connection)]
TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
WorkflowsDep = Annotated[AppointmentWorkflows, Depends(get_workflows)]

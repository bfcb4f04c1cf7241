"""Request-scoped dependencies, all built from what create_app put on app.state:

- app.state.settings: Settings
- app.state.session_factory: sessionmaker[Session]
- app.state.temporal: TemporalConnection
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.repository import ApiRepository
from api.temporal_gateway import AppointmentWorkflows, TemporalConnection
from rebook.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


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

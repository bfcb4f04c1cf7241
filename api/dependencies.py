"""What routes receive: the settings, the API-key check and one use-case service each, as
Annotated `*Dep` aliases. Services are built per request from what create_app put on
app.state:

- app.state.settings: Settings
- app.state.sessions: sessionmaker[Session] (the stores are built on it)
- app.state.temporal: TemporalConnection
- app.state.workflows: AppointmentWorkflows

Every dependency is `async def`: none of them blocks, and FastAPI runs a plain `def`
dependency on the thread pool, a hop per dependency per request (issue 12).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.errors import Unauthorized
from rebook.db.stores import (
    AppointmentStore,
    CommunicationStore,
    DeliveryEventStore,
    ReportStore,
)
from rebook.services.appointments import AppointmentService
from rebook.services.delivery_reports import DeliveryReportService
from rebook.services.events import EventService
from rebook.services.health import HealthService
from rebook.services.inbox import InboxService
from rebook.services.reports import ReportService
from rebook.settings import Settings
from rebook.temporal.gateway import AppointmentWorkflows, TemporalConnection


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]

# auto_error=False: a missing key only matters once keys are configured, and then the
# answer should be our own 401 rather than FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key from API_KEYS")


async def require_api_key(
    settings: SettingsDep,
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


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _workflows(request: Request) -> AppointmentWorkflows:
    workflows: AppointmentWorkflows = request.app.state.workflows
    return workflows


def _temporal(request: Request) -> TemporalConnection:
    connection: TemporalConnection = request.app.state.temporal
    return connection


async def get_appointment_service(request: Request) -> AppointmentService:
    sessions = _sessions(request)
    return AppointmentService(
        AppointmentStore(sessions), CommunicationStore(sessions), _workflows(request)
    )


async def get_event_service(request: Request) -> EventService:
    return EventService(AppointmentStore(_sessions(request)), _workflows(request))


async def get_inbox_service(request: Request) -> InboxService:
    sessions = _sessions(request)
    return InboxService(AppointmentStore(sessions), CommunicationStore(sessions))


async def get_report_service(request: Request) -> ReportService:
    return ReportService(ReportStore(_sessions(request)))


async def get_delivery_report_service(request: Request) -> DeliveryReportService:
    return DeliveryReportService(DeliveryEventStore(_sessions(request)))


async def get_health_service(request: Request) -> HealthService:
    return HealthService(AppointmentStore(_sessions(request)), _temporal(request))


AppointmentsDep = Annotated[AppointmentService, Depends(get_appointment_service)]
EventsDep = Annotated[EventService, Depends(get_event_service)]
InboxDep = Annotated[InboxService, Depends(get_inbox_service)]
ReportsDep = Annotated[ReportService, Depends(get_report_service)]
DeliveryReportsDep = Annotated[DeliveryReportService, Depends(get_delivery_report_service)]
HealthDep = Annotated[HealthService, Depends(get_health_service)]

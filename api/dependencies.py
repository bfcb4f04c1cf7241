"""What routes receive: the settings, the caller (Principal) and one use-case service each,
as Annotated `*Dep` aliases. Services are built per request, scoped to the caller's
workspace, from what create_app put on app.state:

- app.state.settings: Settings
- app.state.sessions: sessionmaker[Session] (the stores are built on it)
- app.state.temporal: TemporalConnection; app.state.workers: TaskQueueWorkers (health)
- app.state.playbooks: PlaybookCatalog (every workspace's, for now)
- app.state.auth: Authenticator; app.state.limiter: RateLimiter
- app.state.directory: WorkspaceDirectory (each workspace's settings, cached briefly)
- app.state.cipher: CredentialCipher | None

Every /v1 route authenticates through get_principal (create_app adds it to each /v1 router,
and each service alias repeats it with the scope the route needs): 401 without a valid key,
429 past the key's rate limit, 403 without the scope. The principal's workspace scopes every
store, so another workspace's rows are simply not found (404).

Every dependency is `async def`: none of them blocks (the key lookup and the workspace
directory await their own I/O), and FastAPI runs a plain `def` dependency on the thread
pool, a hop per dependency per request (issue 12).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import Scope, grants
from rebook.core.rate_limits import route_class
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, WorkspaceId
from rebook.credentials import CredentialCipher
from rebook.db.stores import (
    ApiKeyStore,
    AppointmentStore,
    AuditStore,
    CommunicationStore,
    DeliveryEventStore,
    ReportStore,
    WorkspaceSettingsStore,
)
from rebook.playbooks.catalog import PlaybookCatalog
from rebook.services.api_keys import ApiKeyService
from rebook.services.appointments import AppointmentService
from rebook.services.audit import AuditService
from rebook.services.auth import Authenticator, Principal
from rebook.services.communications import CommunicationService
from rebook.services.delivery_reports import DeliveryReportService
from rebook.services.errors import Forbidden
from rebook.services.events import EventService
from rebook.services.health import HealthService
from rebook.services.inbox import InboxService
from rebook.services.rate_limits import RateLimiter
from rebook.services.reports import ReportService
from rebook.services.workspaces import WorkspaceDirectory, WorkspaceSettingsService
from rebook.settings import Settings
from rebook.temporal.gateway import AppointmentWorkflows, TaskQueueWorkers, TemporalConnection


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]

# auto_error=False: a missing key only matters once keys exist, and then the answer should
# be our own 401 rather than FastAPI's 403. It also keeps OpenAPI from marking the header
# required, which it is not while the API is open.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="rbk_<key id>_<secret>",
    description=(
        "An API key from `rebook key create` (or one of API_KEYS), as "
        "`Authorization: Bearer <key>`. Required once any key exists."
    ),
)


async def get_principal(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, authenticated and rate-limited once per request (dependencies asking
    for other scopes reuse it), then checked for the scopes the route declares.

    Raises Unauthenticated (401), RateLimited (429) and Forbidden (403), in that order: a
    refused scope still spends a token, so a key cannot hammer routes it may not use.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        auth: Authenticator = request.app.state.auth
        limiter: RateLimiter = request.app.state.limiter
        presented = credentials.credentials.strip() if credentials else None
        principal = await auth.authenticate(presented)
        # Read by api/middleware.py: the audit log and the RateLimit headers.
        request.state.principal = principal
        request.state.rate_limit_headers = await limiter.take(
            principal, route_class(request.method)
        )
    for needed in security_scopes.scopes:
        if not grants(principal.scopes, Scope(needed)):
            raise Forbidden(f"this API key does not have the {needed!r} scope")
    return principal


PrincipalDep = Annotated[Principal, Security(get_principal)]


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _directory(request: Request) -> WorkspaceDirectory:
    directory: WorkspaceDirectory = request.app.state.directory
    return directory


def _temporal(request: Request) -> TemporalConnection:
    connection: TemporalConnection = request.app.state.temporal
    return connection


def _playbooks(request: Request) -> PlaybookCatalog:
    playbooks: PlaybookCatalog = request.app.state.playbooks
    return playbooks


async def get_appointment_service(request: Request, principal: PrincipalDep) -> AppointmentService:
    workspace_id = principal.workspace_id
    sessions = _sessions(request)
    context = await _directory(request).context(workspace_id)
    return AppointmentService(
        context.workspace,
        AppointmentStore(sessions, workspace_id),
        CommunicationStore(sessions, workspace_id),
        await _workflows(request, workspace_id),
        playbooks=_playbooks(request),
    )


async def get_communication_service(
    request: Request, principal: PrincipalDep
) -> CommunicationService:
    return CommunicationService(CommunicationStore(_sessions(request), principal.workspace_id))


async def get_event_service(request: Request, principal: PrincipalDep) -> EventService:
    workspace_id = principal.workspace_id
    return EventService(
        AppointmentStore(_sessions(request), workspace_id),
        await _workflows(request, workspace_id),
    )


async def get_inbox_service(request: Request, principal: PrincipalDep) -> InboxService:
    sessions = _sessions(request)
    return InboxService(
        AppointmentStore(sessions, principal.workspace_id),
        CommunicationStore(sessions, principal.workspace_id),
    )


async def get_report_service(request: Request, principal: PrincipalDep) -> ReportService:
    return ReportService(ReportStore(_sessions(request), principal.workspace_id))


async def get_workspace_settings_service(
    request: Request, principal: PrincipalDep
) -> WorkspaceSettingsService:
    workspace_id = principal.workspace_id
    cipher: CredentialCipher | None = request.app.state.cipher
    directory = _directory(request)
    return WorkspaceSettingsService(
        WorkspaceSettingsStore(_sessions(request), workspace_id),
        cipher,
        on_change=lambda: directory.invalidate(workspace_id),
    )


async def get_api_key_service(request: Request, principal: PrincipalDep) -> ApiKeyService:
    auth: Authenticator = request.app.state.auth
    return ApiKeyService(
        ApiKeyStore(_sessions(request), principal.workspace_id),
        principal.workspace_id,
        on_create=auth.keys_created,
        on_revoke=auth.forget,
    )


async def get_audit_service(request: Request, principal: PrincipalDep) -> AuditService:
    return AuditService(AuditStore(_sessions(request), principal.workspace_id))


async def get_delivery_report_service(request: Request) -> DeliveryReportService:
    sessions = _sessions(request)
    return DeliveryReportService(lambda workspace_id: DeliveryEventStore(sessions, workspace_id))


async def get_health_service(request: Request) -> HealthService:
    # ping() reads no workspace's rows; the default scope only satisfies the constructor.
    workers: TaskQueueWorkers = request.app.state.workers
    return HealthService(
        AppointmentStore(_sessions(request), DEFAULT_WORKSPACE_ID), _temporal(request), workers
    )


async def _workflows(request: Request, workspace_id: WorkspaceId) -> AppointmentWorkflows:
    settings: Settings = request.app.state.settings
    return AppointmentWorkflows(
        _temporal(request),
        settings.task_queue,
        await _directory(request).policy(workspace_id),
        workspace_id,
    )


async def get_directory(request: Request) -> WorkspaceDirectory:
    return _directory(request)


def _scoped(scope: Scope) -> list[str]:
    return [scope.value]


AppointmentsWriterDep = Annotated[
    AppointmentService,
    Security(get_appointment_service, scopes=_scoped(Scope.APPOINTMENTS_WRITE)),
]
AppointmentsReaderDep = Annotated[
    AppointmentService,
    Security(get_appointment_service, scopes=_scoped(Scope.APPOINTMENTS_READ)),
]
CommunicationsDep = Annotated[
    CommunicationService,
    Security(get_communication_service, scopes=_scoped(Scope.APPOINTMENTS_READ)),
]
EventsDep = Annotated[
    EventService, Security(get_event_service, scopes=_scoped(Scope.APPOINTMENTS_WRITE))
]
InboxReaderDep = Annotated[
    InboxService, Security(get_inbox_service, scopes=_scoped(Scope.APPOINTMENTS_READ))
]
InboxWriterDep = Annotated[
    InboxService, Security(get_inbox_service, scopes=_scoped(Scope.APPOINTMENTS_WRITE))
]
ReportsDep = Annotated[
    ReportService, Security(get_report_service, scopes=_scoped(Scope.REPORTS_READ))
]
WorkspaceSettingsDep = Annotated[
    WorkspaceSettingsService,
    Security(get_workspace_settings_service, scopes=_scoped(Scope.ADMIN)),
]
ApiKeysDep = Annotated[ApiKeyService, Security(get_api_key_service, scopes=_scoped(Scope.ADMIN))]
AuditDep = Annotated[AuditService, Security(get_audit_service, scopes=_scoped(Scope.ADMIN))]
DirectoryDep = Annotated[WorkspaceDirectory, Depends(get_directory)]
DeliveryReportsDep = Annotated[DeliveryReportService, Depends(get_delivery_report_service)]
HealthDep = Annotated[HealthService, Depends(get_health_service)]

"""All SQL lives here: one store per aggregate, shared by the API (through rebook.services)
and the worker (through the ports in rebook.core.ports).

Every store is built from a sessionmaker and, except WorkspaceStore (the registry of
workspaces and the key lookup that come before a workspace is known) and RateLimitStore
(keyed by API key), from the workspace it serves: each query filters by that workspace and
each row it writes carries it, so no method can forget the scope. Each public method is one
short transaction that it opens and ends itself, and it returns frozen dataclasses
(rebook.core), never ORM rows or sessions. Methods are synchronous; async callers run them
on a worker thread.
"""

from rebook.db.stores.api_keys import ApiKeyStore
from rebook.db.stores.appointments import AppointmentNotFound, AppointmentStore
from rebook.db.stores.audit import AuditStore
from rebook.db.stores.communications import CommunicationNotFound, CommunicationStore
from rebook.db.stores.delivery_events import DeliveryEventStore
from rebook.db.stores.rate_limits import RateLimitStore
from rebook.db.stores.reports import ReportStore
from rebook.db.stores.workspace_settings import WorkspaceNotFound, WorkspaceSettingsStore
from rebook.db.stores.workspaces import StoredKey, WorkspaceExists, WorkspaceStore

__all__ = [
    "ApiKeyStore",
    "AppointmentNotFound",
    "AppointmentStore",
    "AuditStore",
    "CommunicationNotFound",
    "CommunicationStore",
    "DeliveryEventStore",
    "RateLimitStore",
    "ReportStore",
    "StoredKey",
    "WorkspaceExists",
    "WorkspaceNotFound",
    "WorkspaceSettingsStore",
    "WorkspaceStore",
]

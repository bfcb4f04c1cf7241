"""The audit log's vocabulary: who changed what in a workspace, and how it ended. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rebook.core.workspaces import WorkspaceId


class Actor(StrEnum):
    API = "api"  # a request with a key (or, with no keys configured, without one)
    CLI = "cli"  # an operator at the `rebook` command line


@dataclass(frozen=True)
class AuditEvent:
    """A write to record. key_id names the key used (never its secret); action is the route
    template ("POST /v1/appointments/{appointment_id}/events") or the CLI command ("key
    revoke"); status_code is the outcome, as HTTP status (the CLI uses the same codes)."""

    actor: Actor
    action: str
    status_code: int
    key_id: str | None = None
    target_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditEntry(AuditEvent):
    """A recorded write: the event, where and when. Ids grow with time within a database,
    so they order entries and serve as the paging cursor."""

    id: int
    workspace_id: WorkspaceId
    created_at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list; None matches everything."""

    key_id: str | None = None
    action: str | None = None
    target_id: str | None = None
    status_code: int | None = None
    since: datetime | None = None
    until: datetime | None = None

"""AuditStore: a workspace's audit log (rebook.core.audit). Scoped to one workspace.
Append-only: entries are recorded and listed, never changed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.audit import Actor, AuditEntry, AuditEvent, AuditFilter
from rebook.core.shapes import same_fields
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import AuditEntry as AuditRow
from rebook.db.models import utcnow


class AuditStore:
    def __init__(self, sessions: sessionmaker[Session], workspace_id: WorkspaceId) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id

    def record(self, event: AuditEvent) -> AuditEntry:
        with self._sessions.begin() as session:
            row = AuditRow(
                workspace_id=self._workspace_id,
                actor=event.actor.value,
                key_id=event.key_id,
                action=event.action,
                target_id=event.target_id,
                status_code=event.status_code,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return _entry(row)

    def page(self, where: AuditFilter, before_id: int | None, limit: int) -> list[AuditEntry]:
        """Up to `limit` entries matching `where`, newest first, older than entry
        `before_id` when given (the cursor of the previous page)."""
        query = select(AuditRow).where(AuditRow.workspace_id == self._workspace_id)
        if before_id is not None:
            query = query.where(AuditRow.id < before_id)
        if where.key_id is not None:
            query = query.where(AuditRow.key_id == where.key_id)
        if where.action is not None:
            query = query.where(AuditRow.action == where.action)
        if where.target_id is not None:
            query = query.where(AuditRow.target_id == where.target_id)
        if where.status_code is not None:
            query = query.where(AuditRow.status_code == where.status_code)
        if where.since is not None:
            query = query.where(AuditRow.created_at >= where.since)
        if where.until is not None:
            query = query.where(AuditRow.created_at < where.until)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(AuditRow.id.desc()).limit(limit))
            return [_entry(row) for row in rows]


def _entry(row: AuditRow) -> AuditEntry:
    return same_fields(
        AuditEntry, row, actor=Actor(row.actor), workspace_id=WorkspaceId(row.workspace_id)
    )

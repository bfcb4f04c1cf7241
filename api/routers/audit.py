"""GET /v1/audit: the workspace's audit log (admin scope), newest first, paged by cursor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.dependencies import AuditDep
from api.schemas import QueryDatetime, QueryText
from api.workspace_schemas import AuditEntryOut, AuditPageOut
from rebook.core.audit import AuditFilter

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("")
async def audit_log(
    audit: AuditDep,
    cursor: Annotated[
        QueryText | None, Query(max_length=32, description="next_cursor of a page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    key_id: Annotated[QueryText | None, Query(max_length=32)] = None,
    action: Annotated[
        QueryText | None, Query(max_length=200, description='e.g. "POST /v1/appointments"')
    ] = None,
    target_id: Annotated[QueryText | None, Query(max_length=200)] = None,
    status_code: Annotated[int | None, Query(ge=100, le=599)] = None,
    since: Annotated[
        QueryDatetime | None, Query(description="recorded from (ISO 8601 with a UTC offset)")
    ] = None,
    until: Annotated[
        QueryDatetime | None, Query(description="recorded before (ISO 8601 with a UTC offset)")
    ] = None,
) -> AuditPageOut:
    """Every write made with this workspace's keys (and its operators' CLI writes): who
    (key id), what (route and target), when, and how it ended (status code)."""
    where = AuditFilter(key_id, action, target_id, status_code, since, until)
    page = await audit.page(where, cursor, limit)
    return AuditPageOut(
        items=[AuditEntryOut.model_validate(e, from_attributes=True) for e in page.entries],
        next_cursor=page.next_cursor,
    )

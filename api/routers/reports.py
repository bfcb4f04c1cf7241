"""GET /v1/reports/follow-ups: are the follow-ups winning no-shows back, and which A/B arm
wins more of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.dependencies import ReportsDep
from api.schemas import FollowUpReportOut

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/follow-ups")
async def follow_up_report(
    reports: ReportsDep,
    since: Annotated[
        datetime | None, Query(description="appointments created from (default: 30 days ago)")
    ] = None,
    until: Annotated[datetime | None, Query(description="... until (default: now)")] = None,
    experiment: Annotated[
        str | None, Query(max_length=100, description="only this experiment's appointments")
    ] = None,
) -> FollowUpReportOut:
    """Outcomes of appointments created in [since, until): no-shows, how many were then
    rebooked, final statuses, per experiment variant; and messages per channel and status."""
    report = await reports.follow_ups(since, until, experiment)
    return FollowUpReportOut.model_validate(report, from_attributes=True)

"""GET /v1/reports/follow-ups: are the follow-ups winning no-shows back, and which A/B arm
wins more of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.dependencies import ReportsDep
from api.schemas import FollowUpReportOut, QueryDatetime, QueryText

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/follow-ups")
async def follow_up_report(
    reports: ReportsDep,
    since: Annotated[
        QueryDatetime | None,
        Query(
            description="appointments created from this ISO 8601 time with a UTC offset "
            "(default: 30 days before `until`); must be before `until`"
        ),
    ] = None,
    until: Annotated[
        QueryDatetime | None,
        Query(description="... until this ISO 8601 time with a UTC offset (default: now)"),
    ] = None,
    experiment: Annotated[
        QueryText | None, Query(max_length=100, description="only this experiment's appointments")
    ] = None,
) -> FollowUpReportOut:
    """Outcomes of appointments created in [since, until): no-shows, how many were then
    rebooked, final statuses, per experiment variant; and messages per channel and status."""
    report = await reports.follow_ups(since, until, experiment)
    return FollowUpReportOut.model_validate(report, from_attributes=True)

"""GET /v1/reports/follow-ups: are the follow-ups winning no-shows back, and which A/B arm
wins more of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.dependencies import RepositoryDep
from api.errors import invalid_field
from api.reports import OutcomeCounts
from api.schemas import (
    ChannelDeliveriesOut,
    FollowUpReportOut,
    OutcomesOut,
    VariantOutcomesOut,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])

DEFAULT_WINDOW = timedelta(days=30)


@router.get("/follow-ups")
async def follow_up_report(
    repository: RepositoryDep,
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
    end = _aware("until", until) or datetime.now(UTC)
    start = _aware("since", since) or end - DEFAULT_WINDOW
    if start >= end:
        raise invalid_field(("query", "since"), "since must be before until", since)
    report = await run_in_threadpool(repository.follow_up_report, start, end, experiment)
    return FollowUpReportOut(
        since=report.since,
        until=report.until,
        experiment=report.experiment,
        totals=_outcomes(report.totals),
        variants=[
            VariantOutcomesOut(
                experiment=v.experiment, variant=v.variant, outcomes=_outcomes(v.counts)
            )
            for v in report.variants
        ],
        deliveries=[
            ChannelDeliveriesOut.model_validate(d, from_attributes=True) for d in report.deliveries
        ],
    )


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise invalid_field(("query", name), "must include a UTC offset", value.isoformat())
    return value


def _outcomes(counts: OutcomeCounts) -> OutcomesOut:
    return OutcomesOut(
        appointments=counts.appointments,
        missed=counts.missed,
        rebooked_after_miss=counts.rebooked_after_miss,
        attended=counts.attended,
        cancelled=counts.cancelled,
        lost=counts.lost,
        expired=counts.expired,
        no_show_rate=_ratio(counts.missed, counts.appointments),
        rebook_rate=_ratio(counts.rebooked_after_miss, counts.missed),
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

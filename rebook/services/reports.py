"""The follow-up report over a window of booking dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rebook.core.reports import FollowUpReport
from rebook.db.stores import ReportStore
from rebook.services.blocking import in_thread
from rebook.services.errors import InvalidField

DEFAULT_WINDOW = timedelta(days=30)


class ReportService:
    def __init__(self, reports: ReportStore) -> None:
        self._reports = reports

    async def follow_ups(
        self, since: datetime | None, until: datetime | None, experiment: str | None
    ) -> FollowUpReport:
        """Outcomes of the appointments created in [since, until) (default: the 30 days up
        to now), optionally of one experiment only. Raises InvalidField for a time without
        a UTC offset or an empty window."""
        end = _aware("until", until) or datetime.now(UTC)
        start = _aware("since", since) or end - DEFAULT_WINDOW
        if start >= end:
            raise InvalidField(("query", "since"), "since must be before until", since)
        return await in_thread(self._reports.follow_up_report, start, end, experiment)


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidField(("query", name), "must include a UTC offset", value.isoformat())
    return value

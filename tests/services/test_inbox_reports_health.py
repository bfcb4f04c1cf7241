from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.delivery_status import DeliveryEvent
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.stores import (
    AppointmentStore,
    CommunicationStore,
    DeliveryEventStore,
    ReportStore,
)
from rebook.services.delivery_reports import DeliveryReportService
from rebook.services.errors import InvalidField, NotFound
from rebook.services.health import HealthService
from rebook.services.inbox import InboxService
from rebook.services.reports import DEFAULT_WINDOW, ReportService
from rebook.temporal.gateway import TaskQueueWorkers, TemporalConnection
from tests.support.rows import add_contact


async def test_inbox_of_an_unknown_contact_is_not_found_a_known_one_may_be_empty(
    sessions: sessionmaker[Session],
) -> None:
    inbox = InboxService(
        AppointmentStore(sessions, DEFAULT_WORKSPACE_ID),
        CommunicationStore(sessions, DEFAULT_WORKSPACE_ID),
    )
    add_contact(sessions, "ct_known")

    with pytest.raises(NotFound):
        await inbox.messages("ct_nobody")
    with pytest.raises(NotFound):
        await inbox.mark_read("ct_known", "com_missing")
    assert await inbox.messages("ct_known") == []


async def test_report_window_defaults_to_the_last_30_days_and_must_be_aware_and_ordered(
    sessions: sessionmaker[Session],
) -> None:
    reports = ReportService(ReportStore(sessions, DEFAULT_WORKSPACE_ID))
    until = datetime(2026, 6, 1, tzinfo=UTC)

    report = await reports.follow_ups(None, until, None)
    with pytest.raises(InvalidField) as naive:
        await reports.follow_ups(datetime(2026, 1, 1), None, None)
    with pytest.raises(InvalidField) as backwards:
        await reports.follow_ups(until, until - timedelta(days=1), None)

    assert (report.since, report.until) == (until - DEFAULT_WINDOW, until)
    assert report.totals.appointments == 0
    assert (naive.value.loc, backwards.value.loc) == (("query", "since"), ("query", "since"))


async def test_delivery_reports_about_unknown_messages_or_kinds_are_dropped(
    sessions: sessionmaker[Session],
) -> None:
    deliveries = DeliveryReportService(lambda scope: DeliveryEventStore(sessions, scope))
    unknown = DeliveryEvent("sendgrid", "msg-unknown", datetime.now(UTC), "delivered")

    assert await deliveries.apply(DEFAULT_WORKSPACE_ID, [None, unknown]) == 0


async def test_health_reports_each_dependency(
    sessions: sessionmaker[Session],
    temporal_down: TemporalConnection,
) -> None:
    workers = TaskQueueWorkers(temporal_down, "services-test")
    health = await HealthService(
        AppointmentStore(sessions, DEFAULT_WORKSPACE_ID), temporal_down, workers
    ).check()

    assert (health.database, health.temporal, health.worker) == ("ok", "error", "unknown")
    assert health.status == "degraded"

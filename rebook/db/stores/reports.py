"""ReportStore: read-only SQL over the tables the API and the activities write, for the
follow-up report (rebook.core.reports). Scoped to one workspace: the report counts its
appointments and their messages only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from rebook.core.domain import AppointmentStatus, Channel, CommunicationStatus, EventType
from rebook.core.reports import ChannelDeliveries, FollowUpReport, OutcomeCounts, VariantOutcome
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import Appointment, AppointmentEventRow, Communication


class ReportStore:
    def __init__(self, sessions: sessionmaker[Session], workspace_id: WorkspaceId) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id

    def follow_up_report(
        self, since: datetime, until: datetime, experiment: str | None
    ) -> FollowUpReport:
        """Appointments created in [since, until), optionally only one experiment's."""
        in_window = _in_window(self._workspace_id, since, until, experiment)
        totals = OutcomeCounts()
        variants: list[VariantOutcome] = []
        grouped = select(
            Appointment.experiment_name, Appointment.experiment_variant, *_outcome_columns()
        ).where(*in_window)
        grouped = grouped.group_by(Appointment.experiment_name, Appointment.experiment_variant)
        with self._sessions() as session:
            for row in session.execute(grouped):
                counts = OutcomeCounts(*(int(value or 0) for value in row[2:]))
                totals = totals.plus(counts)
                if row.experiment_name is not None:
                    variants.append(
                        VariantOutcome(row.experiment_name, row.experiment_variant, counts)
                    )
            deliveries = _deliveries(session, in_window)
        variants.sort(key=lambda v: (v.experiment, v.variant))
        return FollowUpReport(
            since=since,
            until=until,
            experiment=experiment,
            totals=totals,
            variants=variants,
            deliveries=deliveries,
        )


def _in_window(
    workspace_id: WorkspaceId, since: datetime, until: datetime, experiment: str | None
) -> list[ColumnElement[bool]]:
    conditions = [
        Appointment.workspace_id == workspace_id,
        Appointment.created_at >= since,
        Appointment.created_at < until,
    ]
    if experiment is not None:
        conditions.append(Appointment.experiment_name == experiment)
    return conditions


def _outcome_columns() -> list[Any]:
    def count_where(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    return [
        func.count(Appointment.id),
        count_where(Appointment.no_show_count > 0),
        count_where(_rescheduled_after_a_miss()),
        *(
            count_where(Appointment.status == status.value)
            for status in (
                AppointmentStatus.ATTENDED,
                AppointmentStatus.CANCELLED,
                AppointmentStatus.LOST,
                AppointmentStatus.EXPIRED,
            )
        ),
    ]


def _rescheduled_after_a_miss() -> ColumnElement[bool]:
    missed = aliased(AppointmentEventRow)
    rescheduled = aliased(AppointmentEventRow)
    return (
        select(missed.id)
        .join(rescheduled, rescheduled.appointment_id == missed.appointment_id)
        .where(
            missed.appointment_id == Appointment.id,
            missed.type == EventType.MISSED.value,
            rescheduled.type == EventType.RESCHEDULED.value,
            rescheduled.received_at > missed.received_at,
        )
        .exists()
    )


def _deliveries(session: Session, in_window: list[ColumnElement[bool]]) -> list[ChannelDeliveries]:
    query = (
        select(
            Communication.channel,
            Communication.status,
            func.count(Communication.id),
            # COUNT(column) counts non-NULL values: the messages that reached each milestone.
            func.count(Communication.delivered_at),
            func.count(Communication.opened_at),
            func.count(Communication.clicked_at),
        )
        .join(Appointment, Appointment.id == Communication.appointment_id)
        .where(*in_window)
        .group_by(Communication.channel, Communication.status)
        .order_by(Communication.channel, Communication.status)
    )
    return [
        ChannelDeliveries(
            Channel(channel),
            CommunicationStatus(status),
            int(n),
            int(delivered),
            int(opened),
            int(clicked),
        )
        for channel, status, n, delivered, opened, clicked in session.execute(query)
    ]

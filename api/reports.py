"""Follow-up outcomes for operators: how many no-shows were won back, overall and per A/B
variant, and how messages fared per channel. The seed's "track key metrics" and "A/B test
everything" need exactly these numbers.

Read-only SQL over the tables the API and the activities already write; plain
dataclasses out, never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased

from rebook.core.domain import AppointmentStatus, EventType
from rebook.db.models import Appointment, AppointmentEventRow, Communication


@dataclass(frozen=True)
class OutcomeCounts:
    appointments: int = 0
    missed: int = 0  # appointments with at least one no-show
    rebooked_after_miss: int = 0  # ... that were then rescheduled: the win
    attended: int = 0
    cancelled: int = 0
    lost: int = 0
    expired: int = 0

    def plus(self, other: OutcomeCounts) -> OutcomeCounts:
        return OutcomeCounts(
            **{name: getattr(self, name) + getattr(other, name) for name in _COUNT_FIELDS}
        )


_COUNT_FIELDS = tuple(OutcomeCounts.__dataclass_fields__)


@dataclass(frozen=True)
class VariantOutcome:
    experiment: str
    variant: str
    counts: OutcomeCounts


@dataclass(frozen=True)
class ChannelDeliveries:
    channel: str
    status: str
    messages: int
    # Of those, how many the provider reported delivered / opened / clicked (webhooks).
    delivered: int = 0
    opened: int = 0
    clicked: int = 0


@dataclass(frozen=True)
class FollowUpReport:
    since: datetime
    until: datetime
    experiment: str | None
    totals: OutcomeCounts
    variants: list[VariantOutcome]
    deliveries: list[ChannelDeliveries]


def follow_up_report(
    session: Session, since: datetime, until: datetime, experiment: str | None
) -> FollowUpReport:
    """Appointments created in [since, until), optionally only one experiment's."""
    in_window = _in_window(since, until, experiment)
    totals = OutcomeCounts()
    variants: list[VariantOutcome] = []
    grouped = select(
        Appointment.experiment_name, Appointment.experiment_variant, *_outcome_columns()
    ).where(*in_window)
    grouped = grouped.group_by(Appointment.experiment_name, Appointment.experiment_variant)
    for row in session.execute(grouped):
        counts = OutcomeCounts(*(int(value or 0) for value in row[2:]))
        totals = totals.plus(counts)
        if row.experiment_name is not None:
            variants.append(VariantOutcome(row.experiment_name, row.experiment_variant, counts))
    variants.sort(key=lambda v: (v.experiment, v.variant))
    return FollowUpReport(
        since=since,
        until=until,
        experiment=experiment,
        totals=totals,
        variants=variants,
        deliveries=_deliveries(session, in_window),
    )


def _in_window(
    since: datetime, until: datetime, experiment: str | None
) -> list[ColumnElement[bool]]:
    conditions = [Appointment.created_at >= since, Appointment.created_at < until]
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
        ChannelDeliveries(channel, status, int(n), int(delivered), int(opened), int(clicked))
        for channel, status, n, delivered, opened, clicked in session.execute(query)
    ]

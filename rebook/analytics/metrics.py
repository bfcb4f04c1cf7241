"""What counts as a win after a no-show: each experiment metric defined once.

Pure module: no database, no clock (``now`` is always a parameter). Callers build one
``MissFacts`` per missed appointment from the ledgers and ask one function per metric.

Every metric is judged inside the same window after the miss (default 30 days) and only
from what was known at ``now``: an event stamped after ``now`` has not happened yet. That
makes ``outcome(metric, facts, at, window)`` the answer an operator would have seen at
``at``, which is what the daily looks of the sequential test replay.

A miss is *matured* once its whole window has passed. Until then a metric that has not
happened yet is ``Outcome.PENDING`` (not a failure: the contact still has time). The
statistics count matured misses only, successes included: counting early successes while
leaving out the still-open misses would inflate every rate and favour whichever arm wins
people back *sooner* rather than *more often*. ``is_matured`` is that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import numpy as np

DEFAULT_WINDOW = timedelta(days=30)


class Metric(StrEnum):
    """A yes/no outcome per missed appointment; any of them can be an experiment's primary.

    Time-to-rebook is a duration, not a yes/no outcome, so it has its own function
    (``time_to_rebook``) and cannot be a primary metric.
    """

    REACHED = "reached"  # a follow-up was delivered
    ENGAGED = "engaged"  # a follow-up was opened, clicked or replied to
    REBOOKED = "rebooked"  # a new slot was booked after the miss
    RECOVERED = "recovered"  # a slot booked after the miss was attended: the primary metric
    CONVERTED = "converted"  # the platform reported a purchase, deal or next stage


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    PENDING = "pending"  # not happened yet, and the window is still open


@dataclass(frozen=True)
class MissFacts:
    """What the ledgers know about one missed appointment, all instants timezone-aware.

    ``rebooked_at`` is when a new slot was booked after the miss: this appointment
    rescheduled, or a new appointment of the same contact. Bot opens are excluded from
    ``first_engaged_at`` upstream, by the engagement tracking.

    Raises ValueError (naming the field) for a naive datetime, an attendance or slot
    without a rebooking, a conversion value without a conversion, or a negative value.
    """

    appointment_id: str
    contact_id: str
    arm: str | None  # None: the appointment is in no experiment arm
    missed_at: datetime
    first_delivered_at: datetime | None = None
    first_engaged_at: datetime | None = None
    rebooked_at: datetime | None = None
    rebooked_slot_at: datetime | None = None
    rebooked_attended_at: datetime | None = None
    converted_at: datetime | None = None
    conversion_value: Decimal | None = None

    def __post_init__(self) -> None:
        for name in _INSTANTS:
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.rebooked_at is None:
            for name in ("rebooked_slot_at", "rebooked_attended_at"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} needs rebooked_at: there is no rebooked slot")
        if self.conversion_value is not None:
            if self.converted_at is None:
                raise ValueError("conversion_value needs converted_at")
            if self.conversion_value < 0:
                raise ValueError("conversion_value must not be negative")


_INSTANTS = tuple(f.name for f in fields(MissFacts) if f.name.endswith("_at"))


def window_end(facts: MissFacts, window: timedelta = DEFAULT_WINDOW) -> datetime:
    """The last instant (inclusive) at which a success still counts for this miss."""
    _check_window(window)
    return facts.missed_at + window


def is_matured(facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW) -> bool:
    """Whether the miss's window has fully passed at ``now``, so its outcome is final."""
    return now >= window_end(facts, window)


def reached(facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Outcome:
    """A follow-up was delivered to the contact within the window."""
    return _happened_in_window(facts.first_delivered_at, facts, now, window)


def engaged(facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Outcome:
    """A follow-up was opened, clicked or replied to within the window."""
    return _happened_in_window(facts.first_engaged_at, facts, now, window)


def rebooked(facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Outcome:
    """A new slot was booked within the window; one booked before the miss does not count."""
    return _happened_in_window(facts.rebooked_at, facts, now, window)


def recovered(facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Outcome:
    """A slot booked after the miss was attended within the window: the primary metric.

    Booking again is not enough: a rebooked slot that is missed too, or attended only
    after the window, is not a recovery.
    """
    if rebooked(facts, now, window) is not Outcome.SUCCESS:
        return _not_yet(facts, now, window)
    return _happened_in_window(facts.rebooked_attended_at, facts, now, window)


def converted(facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Outcome:
    """The platform reported a conversion for the contact within the window."""
    return _happened_in_window(facts.converted_at, facts, now, window)


MetricFunction = Callable[[MissFacts, datetime, timedelta], Outcome]

METRIC_FUNCTIONS: dict[Metric, MetricFunction] = {
    Metric.REACHED: reached,
    Metric.ENGAGED: engaged,
    Metric.REBOOKED: rebooked,
    Metric.RECOVERED: recovered,
    Metric.CONVERTED: converted,
}


def outcome(
    metric: Metric, facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW
) -> Outcome:
    """The outcome of ``metric`` for one miss, as known at ``now``."""
    return METRIC_FUNCTIONS[metric](facts, now, window)


def time_to_rebook(
    facts: MissFacts, now: datetime, window: timedelta = DEFAULT_WINDOW
) -> timedelta | None:
    """How long after the miss the contact booked again; None if not rebooked (yet)."""
    if rebooked(facts, now, window) is not Outcome.SUCCESS:
        return None
    assert facts.rebooked_at is not None  # rebooked() succeeded, so it is set
    return facts.rebooked_at - facts.missed_at


@dataclass(frozen=True)
class DurationSummary:
    """The distribution of time-to-rebook over the misses that were rebooked."""

    count: int
    median: timedelta | None  # None when count is 0
    p75: timedelta | None


def summarise_durations(durations: Iterable[timedelta]) -> DurationSummary:
    """Median and 75th percentile (numpy's linear interpolation) of the durations."""
    seconds = np.array([duration.total_seconds() for duration in durations], dtype=float)
    if seconds.size == 0:
        return DurationSummary(count=0, median=None, p75=None)
    median, p75 = np.quantile(seconds, [0.5, 0.75])
    return DurationSummary(
        count=int(seconds.size),
        median=timedelta(seconds=float(median)),
        p75=timedelta(seconds=float(p75)),
    )


def _happened_in_window(
    at: datetime | None, facts: MissFacts, now: datetime, window: timedelta
) -> Outcome:
    # Inclusive at both ends: the miss instant itself and the window's last instant count.
    if at is not None and at <= now and facts.missed_at <= at <= window_end(facts, window):
        return Outcome.SUCCESS
    return _not_yet(facts, now, window)


def _not_yet(facts: MissFacts, now: datetime, window: timedelta) -> Outcome:
    return Outcome.FAILURE if is_matured(facts, now, window) else Outcome.PENDING


def _check_window(window: timedelta) -> None:
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, got {window}")

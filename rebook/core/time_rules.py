"""The sane window for the times platforms send, and when an outcome may be reported:
each rule once, for the API's validation and the event use case alike.

Pure module. Every comparison is between instants (aware datetimes compare by the moment
they name, whatever their UTC offsets).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from rebook.core.domain import EventType

# Platforms' clocks drift a little: a time this far "in the future" is still "now".
CLOCK_SKEW: Final = timedelta(minutes=5)
# How far ahead an appointment may be booked (or rescheduled). Beyond it is a typo or a
# placeholder date (9999-12-31), which would also overflow the sequence's arithmetic.
BOOKING_HORIZON: Final = timedelta(days=2 * 365)
# How long ago an event may say it happened: older is a bad clock or a bad field.
OLDEST_EVENT: Final = timedelta(days=366)

# Events that report the outcome of a slot: they cannot have happened before it started.
OUTCOME_EVENTS: Final = frozenset({EventType.MISSED, EventType.ATTENDED})


def booking_problem(starts_at: datetime, now: datetime) -> str | None:
    """Why starts_at cannot be booked (or rescheduled to) now; None when it can."""
    if starts_at <= now:
        return "must be in the future"
    if starts_at > now + BOOKING_HORIZON:
        return f"must be at most {BOOKING_HORIZON.days} days ahead"
    return None


def occurrence_problem(occurred_at: datetime, now: datetime) -> str | None:
    """Why occurred_at cannot be when something happened; None when it can."""
    if occurred_at > now + CLOCK_SKEW:
        return "must not be in the future"
    if occurred_at < now - OLDEST_EVENT:
        return f"must be within the last {OLDEST_EVENT.days} days"
    return None


def reported_before_start(
    event_type: EventType, happened_at: datetime, starts_at: datetime
) -> bool:
    """Whether an outcome (missed, attended) is reported as happening before the slot
    began, beyond clock skew: nobody can miss or attend what has not started."""
    return event_type in OUTCOME_EVENTS and happened_at < starts_at - CLOCK_SKEW

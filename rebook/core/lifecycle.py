"""How an appointment's state answers the events the booking platform sends.

Pure: `apply_event` mutates the SequenceState it is given and returns a Decision telling
the workflow what side effects to run. It is where duplicate, stale and out-of-order
events are made harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rebook.core.contracts import AppointmentEvent, FollowUpPolicy, Progress, SequenceState
from rebook.core.domain import AppointmentStatus, EventType
from rebook.core.shapes import same_fields

# Event ids remembered for de-duplication; bounded so state stays small across
# continue-as-new. Platforms retry within minutes, not after hundreds of later events.
SEEN_EVENT_IDS_KEPT = 200


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: str  # why, in words: shows up in the workflow log
    record_no_show: bool = False
    send_cancellation_notice: bool = False
    rearm: bool = False  # rescheduled: start the schedule afresh (continue-as-new)


def apply_event(
    state: SequenceState, event: AppointmentEvent, policy: FollowUpPolicy, now: datetime
) -> Decision:
    if event.event_id in state.seen_event_ids:
        return Decision(False, f"duplicate event {event.event_id}")
    state.seen_event_ids = [*state.seen_event_ids, event.event_id][-SEEN_EVENT_IDS_KEPT:]

    if state.status.is_final:
        return Decision(False, f"appointment already {state.status.value}")

    if _about_an_earlier_slot(state, event):
        return Decision(False, f"{event.type.value} refers to the slot before the last reschedule")

    if event.type is EventType.REPLIED:
        # Kept, not acted on: follow-ups whose stop_when lists `replied` check it when due.
        state.replied_at = event.occurred_at or event.received_at
        return Decision(True, "replied: follow-ups that stop on a reply stop")

    if event.type is EventType.ATTENDED:
        # Also accepted while following up a miss: platforms correct mistaken no-shows.
        state.status = AppointmentStatus.ATTENDED
        return Decision(True, "attended: reminders and follow-ups stop")

    if event.type is EventType.MISSED:
        if state.status is AppointmentStatus.MISSED:
            return Decision(False, "already following up this miss")
        state.status = AppointmentStatus.MISSED
        state.no_show_count += 1
        state.missed_at = event.received_at
        return Decision(True, "missed: follow-up sequence starts", record_no_show=True)

    if event.type is EventType.RESCHEDULED:
        new_starts_at = event.new_starts_at
        if new_starts_at is None:
            return Decision(False, "rescheduled without new_starts_at")
        if state.status is AppointmentStatus.SCHEDULED and new_starts_at == state.starts_at:
            return Decision(False, "already scheduled at that time")
        state.status = AppointmentStatus.SCHEDULED
        state.starts_at = new_starts_at
        state.reschedule_count += 1
        state.missed_at = None
        state.armed_at = now
        state.last_rescheduled_at = event.occurred_at or event.received_at
        state.flagged = state.flagged or state.reschedule_count > policy.reschedule_limit
        return Decision(True, f"rescheduled (#{state.reschedule_count})", rearm=True)

    state.status = AppointmentStatus.CANCELLED
    return Decision(
        True, "cancelled: notice goes out, sequence stops", send_cancellation_notice=True
    )


def reopened(progress: Progress, at: datetime) -> SequenceState:
    """The state a closed (lost or expired) appointment restarts from when the platform
    reschedules it: scheduled again at its last slot, its counts and flag kept, armed now.
    The reschedule itself is then applied as the new run's first event, by the same rule
    as for a running appointment (apply_event)."""
    return same_fields(SequenceState, progress, status=AppointmentStatus.SCHEDULED, armed_at=at)


def _about_an_earlier_slot(state: SequenceState, event: AppointmentEvent) -> bool:
    """An attended/missed report that happened before the latest reschedule is about the old
    slot, delivered late or out of order; acting on it would wreck the new schedule."""
    if event.type not in (EventType.ATTENDED, EventType.MISSED):
        return False
    if state.last_rescheduled_at is None or event.occurred_at is None:
        return False
    return event.occurred_at < state.last_rescheduled_at

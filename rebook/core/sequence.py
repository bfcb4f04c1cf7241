"""The defined sequence: which steps an appointment has, when each is due, and on which
channels, given where the appointment is in its life.

Pure and deterministic (no clocks, no I/O): the workflow executes what this plans, and the
unit tests read it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from rebook.core.channels import (
    order_starting_with,
    other_channel_order,
    preferred_order,
    short_message_channel,
)
from rebook.core.contracts import AppointmentDetails, FollowUpPolicy, Progress, SequenceState
from rebook.core.domain import AppointmentStatus, Channel, Recipient
from rebook.core.rules import zone_or_utc
from rebook.core.shapes import same_fields
from rebook.core.steps import Step, Template


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    due_at: datetime
    # Business identity of the step: step name + the time it is about. Stable across
    # retries, replays and continue-as-new, so it doubles as the idempotency key stem.
    key: str
    template: Template | None = None  # None: the step changes status, sends nothing
    channels: tuple[Channel, ...] = ()  # tried in order; later ones are fallbacks
    recipient: Recipient = Recipient.CONTACT


def stamp(moment: datetime) -> str:
    """Canonical UTC text of a moment, so +02:00 and Z spellings give the same key."""
    return moment.astimezone(UTC).isoformat()


def step_key(step: Step, about: datetime) -> str:
    return f"{step.value}@{stamp(about)}"


def plan(
    appointment: AppointmentDetails,
    state: SequenceState,
    policy: FollowUpPolicy,
    *,
    quiet_hours: bool = True,
) -> list[PlannedStep]:
    """Every step of the current phase, done or not, ordered by due time.

    quiet_hours=False reproduces the schedule of workflows started before quiet hours
    existed (the workflow decides with workflow.patched)."""
    if state.status is AppointmentStatus.SCHEDULED:
        steps = _scheduled_phase(appointment, state, policy)
    elif state.status is AppointmentStatus.MISSED:
        steps = _follow_up_phase(appointment, state, policy, quiet_hours)
    else:
        steps = []
    return sorted(steps, key=lambda s: s.due_at)


def pending(
    appointment: AppointmentDetails,
    state: SequenceState,
    policy: FollowUpPolicy,
    *,
    quiet_hours: bool = True,
) -> list[PlannedStep]:
    done = set(state.completed_steps)
    return [
        s for s in plan(appointment, state, policy, quiet_hours=quiet_hours) if s.key not in done
    ]


def progress_of(
    appointment: AppointmentDetails, state: SequenceState, upcoming: list[PlannedStep]
) -> Progress:
    """The appointment's Progress, given the steps still pending (the first is next)."""
    nxt = upcoming[0] if upcoming else None
    return same_fields(
        Progress,
        state,
        appointment_id=appointment.appointment_id,
        next_step=nxt.step.value if nxt else None,
        next_step_at=nxt.due_at if nxt else None,
    )


def outside_quiet_hours(moment: datetime, timezone_name: str, policy: FollowUpPolicy) -> datetime:
    """moment, or the end of the contact's quiet hours when it falls inside them."""
    start, end = policy.quiet_hours_start_h, policy.quiet_hours_end_h
    if start == end:
        return moment
    zone = zone_or_utc(timezone_name)
    local = moment.astimezone(zone)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return moment
    morning = datetime.combine(local.date(), time(end), tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), time(end), tzinfo=zone)
    return morning.astimezone(UTC)


def cancellation_notice(appointment: AppointmentDetails, now: datetime) -> PlannedStep:
    return PlannedStep(
        step=Step.CANCELLATION_NOTICE,
        due_at=now,
        key=step_key(Step.CANCELLATION_NOTICE, appointment.starts_at),
        template=Template.CANCELLATION_NOTICE,
        channels=tuple(preferred_order(appointment)),
    )


def _scheduled_phase(
    appointment: AppointmentDetails, state: SequenceState, policy: FollowUpPolicy
) -> list[PlannedStep]:
    starts_at = state.starts_at
    rescheduled = state.reschedule_count > 0
    steps = [
        PlannedStep(
            step=Step.CONFIRMATION,
            due_at=state.armed_at,
            key=step_key(Step.CONFIRMATION, starts_at),
            template=(
                Template.RESCHEDULE_CONFIRMATION if rescheduled else Template.BOOKING_CONFIRMATION
            ),
            channels=tuple(preferred_order(appointment)),
        )
    ]
    if state.flagged:
        steps.append(
            PlannedStep(
                step=Step.HOST_RESCHEDULE_ALERT,
                due_at=state.armed_at,
                key=step_key(Step.HOST_RESCHEDULE_ALERT, starts_at),
                template=Template.HOST_RESCHEDULE_ALERT,
                channels=(Channel.EMAIL,),
                recipient=Recipient.HOST,
            )
        )
    reminders = (
        (Step.REMINDER_24H, Template.REMINDER_24H, policy.reminder_email_before_s, Channel.EMAIL),
        (
            Step.REMINDER_1H,
            Template.REMINDER_1H,
            policy.reminder_sms_before_s,
            short_message_channel(appointment),
        ),
    )
    for step, template, before_s, channel in reminders:
        due = starts_at - timedelta(seconds=before_s)
        # A reminder whose moment had already passed when the schedule was armed is
        # skipped: the confirmation just sent covers it.
        if due < state.armed_at:
            continue
        steps.append(
            PlannedStep(
                step=step,
                due_at=due,
                key=step_key(step, due),
                template=template,
                channels=tuple(order_starting_with(appointment, channel)),
            )
        )
    deadline = starts_at + timedelta(
        minutes=appointment.duration_minutes, seconds=policy.outcome_timeout_s
    )
    steps.append(
        PlannedStep(
            step=Step.OUTCOME_DEADLINE,
            due_at=deadline,
            key=step_key(Step.OUTCOME_DEADLINE, deadline),
        )
    )
    return steps


def _follow_up_phase(
    appointment: AppointmentDetails,
    state: SequenceState,
    policy: FollowUpPolicy,
    quiet_hours: bool,
) -> list[PlannedStep]:
    anchor = state.missed_at or state.starts_at
    first_choice = preferred_order(appointment)
    lead = first_choice[0] if first_choice else Channel.EMAIL

    def at(offset_s: int) -> datetime:
        due = anchor + timedelta(seconds=offset_s)
        if quiet_hours and offset_s > 0:
            return outside_quiet_hours(due, appointment.contact.timezone, policy)
        return due

    follow_ups = (
        (Step.NO_SHOW_FOLLOWUP, Template.NO_SHOW_FOLLOWUP, 0, first_choice),
        (
            Step.NO_SHOW_NUDGE,
            Template.NO_SHOW_NUDGE,
            policy.nudge_after_s,
            other_channel_order(appointment, lead),
        ),
        (
            Step.VALUE_CONTENT,
            Template.VALUE_CONTENT,
            policy.value_content_after_s,
            order_starting_with(appointment, Channel.EMAIL),
        ),
        (
            Step.ALTERNATIVE_OFFER,
            Template.ALTERNATIVE_OFFER,
            policy.alternative_offer_after_s,
            order_starting_with(appointment, Channel.EMAIL),
        ),
    )
    steps = [
        PlannedStep(
            step=step,
            due_at=at(offset),
            key=step_key(step, at(offset)),
            template=template,
            channels=tuple(channels),
        )
        for step, template, offset, channels in follow_ups
    ]
    close = anchor + timedelta(seconds=policy.close_as_lost_after_s)  # sends nothing
    steps.append(
        PlannedStep(step=Step.CLOSE_AS_LOST, due_at=close, key=step_key(Step.CLOSE_AS_LOST, close))
    )
    return steps

"""The planner over a playbook: which steps an appointment has, when each is due, on which
channels, given where the appointment is in its life; and the send-time rules (stop
conditions, the frequency cap) as pure functions.

For the playbook rebook.core.playbook_legacy builds from a FollowUpPolicy it plans what
the fixed sequence before playbooks planned: the same step ids, due times and keys
(idempotency keys and committed histories depend on them), templates and channel orders.
Pure and deterministic (no clocks, no I/O): safe to call from workflows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from rebook.core.channels import (
    other_channel_order,
    preferred_order,
    same_family,
    short_message_channel,
)
from rebook.core.contracts import AppointmentDetails, Progress, SequenceState
from rebook.core.domain import AppointmentStatus, Channel, Recipient
from rebook.core.playbook import (
    ChannelChoice,
    ContentSelector,
    FrequencyCap,
    Playbook,
    PlaybookStep,
    QuietHours,
    StepAction,
    StopCondition,
)
from rebook.core.rules import zone_or_utc
from rebook.core.shapes import same_fields

# Step ids the planner uses for steps that send nothing; a playbook cannot reuse them.
OUTCOME_DEADLINE = "outcome_deadline"
CLOSE_AS_LOST = "close_as_lost"
RESERVED_STEP_IDS = frozenset({OUTCOME_DEADLINE, CLOSE_AS_LOST})

_CONCRETE = {
    ChannelChoice.EMAIL: Channel.EMAIL,
    ChannelChoice.SMS: Channel.SMS,
    ChannelChoice.WHATSAPP: Channel.WHATSAPP,
    ChannelChoice.IN_APP: Channel.IN_APP,
}


@dataclass(frozen=True)
class PlannedStep:
    step: str  # the playbook step id
    due_at: datetime
    # Business identity of the step: step id + the time it is about. Stable across
    # retries, replays and continue-as-new, so it doubles as the idempotency key stem.
    key: str
    template: str | None = None  # None: the step changes status, sends nothing
    channels: tuple[Channel, ...] = ()  # tried in order; later ones are fallbacks
    recipient: Recipient = Recipient.CONTACT
    action: StepAction = StepAction.SEND
    content: tuple[ContentSelector, ...] = ()
    stop_when: tuple[StopCondition, ...] = ()
    # Reminders and anticipation steps are pointless once the appointment has started.
    skip_once_started: bool = False
    # Sent because an event happened (booked, rescheduled, cancelled, limit exceeded): the
    # contact is waiting for it, so the frequency cap never defers it (it still counts).
    answers_event: bool = False


@dataclass(frozen=True)
class StopFacts:
    """What the send-time check knows about the contact since the miss."""

    rebooked: bool = False
    replied: bool = False
    opted_out: bool = False


def stamp(moment: datetime) -> str:
    """Canonical UTC text of a moment, so +02:00 and Z spellings give the same key."""
    return moment.astimezone(UTC).isoformat()


def step_key(step_id: str, about: datetime) -> str:
    return f"{step_id}@{stamp(about)}"


def plan(
    playbook: Playbook,
    appointment: AppointmentDetails,
    state: SequenceState,
    *,
    quiet_hours: bool = True,
) -> list[PlannedStep]:
    """Every step of the current phase, done or not, ordered by due time (ties keep the
    playbook's order).

    quiet_hours=False reproduces the schedule of workflows started before quiet hours
    existed (the workflow decides with workflow.patched)."""
    if state.status is AppointmentStatus.SCHEDULED:
        steps = _scheduled_phase(playbook, appointment, state)
    elif state.status is AppointmentStatus.MISSED:
        steps = _missed_phase(playbook, appointment, state, quiet_hours)
    elif state.status is AppointmentStatus.ATTENDED:
        steps = _attended_phase(playbook, appointment, state, quiet_hours)
    else:
        steps = []
    return sorted(steps, key=lambda s: s.due_at)


def pending(
    playbook: Playbook,
    appointment: AppointmentDetails,
    state: SequenceState,
    *,
    quiet_hours: bool = True,
) -> list[PlannedStep]:
    """The steps of the plan not done yet, by when they go out (a deferred step moves to
    the moment the frequency cap frees; ties keep the plan's order)."""
    done = set(state.completed_steps)
    steps = [
        s for s in plan(playbook, appointment, state, quiet_hours=quiet_hours) if s.key not in done
    ]
    return sorted(steps, key=lambda s: due_of(s, state))


def due_of(step: PlannedStep, state: SequenceState) -> datetime:
    """When the step goes out: its planned time, or later if the frequency cap deferred it."""
    deferred = state.deferred.get(step.key)
    return step.due_at if deferred is None else max(deferred, step.due_at)


def progress_of(
    appointment: AppointmentDetails, state: SequenceState, upcoming: Sequence[PlannedStep]
) -> Progress:
    """The appointment's Progress, given its pending steps (the first is next)."""
    nxt = upcoming[0] if upcoming else None
    return same_fields(
        Progress,
        state,
        appointment_id=appointment.appointment_id,
        next_step=nxt.step if nxt else None,
        next_step_at=due_of(nxt, state) if nxt else None,
    )


def cancellation_notice(
    playbook: Playbook, appointment: AppointmentDetails, now: datetime
) -> PlannedStep | None:
    """The notice sent when the appointment is cancelled, or None if the playbook has none."""
    notice = playbook.phases.cancelled.notice
    if notice is None:
        return None
    return _send(
        notice, appointment, now, step_key(notice.id, appointment.starts_at), answers_event=True
    )


def outside_quiet_hours(moment: datetime, timezone_name: str, quiet: QuietHours | None) -> datetime:
    """moment, or the end of the contact's quiet hours when it falls inside them."""
    if quiet is None or quiet.start_minute == quiet.end_minute:
        return moment
    zone = zone_or_utc(timezone_name)
    local = moment.astimezone(zone)
    minute = local.hour * 60 + local.minute
    start, end = quiet.start_minute, quiet.end_minute
    inside = (start <= minute or minute < end) if start > end else (start <= minute < end)
    if not inside:
        return moment
    wake = time(end // 60, end % 60)
    morning = datetime.combine(local.date(), wake, tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), wake, tzinfo=zone)
    return morning.astimezone(UTC)


def replied_since_miss(state: SequenceState) -> bool:
    """The fact `replied` of the stop conditions: a reply after the miss being followed up
    (a reply to a reminder before the miss does not stop the follow-ups)."""
    if state.replied_at is None:
        return False
    return state.missed_at is None or state.replied_at >= state.missed_at


def stop_reason(stop_when: Iterable[StopCondition], facts: StopFacts) -> StopCondition | None:
    """The first of a step's stop conditions that holds, or None: send it."""
    holds = {
        StopCondition.REBOOKED: facts.rebooked,
        StopCondition.REPLIED: facts.replied,
        StopCondition.OPTED_OUT: facts.opted_out,
    }
    return next((c for c in stop_when if holds[c]), None)


def frequency_cap_defers_until(
    cap: FrequencyCap | None, recent_sends: Iterable[datetime], now: datetime
) -> datetime | None:
    """When a message to this contact may go out under a playbook's frequency cap.

    recent_sends: when the contact's earlier messages went out (any appointment of the
    workspace; older ones are ignored). None: send now. Otherwise the moment the oldest
    message inside the rolling window leaves it, which is when the step is retried: a
    capped step is deferred, never dropped.
    """
    if cap is None:
        return None
    window = timedelta(seconds=cap.window_s)
    inside = sorted(t for t in recent_sends if now - window < t <= now)
    if len(inside) < cap.max_messages:
        return None
    # The window must lose enough messages to leave room for one more.
    return inside[len(inside) - cap.max_messages] + window


# --------------------------------------------------------------------------- phases


def _scheduled_phase(
    playbook: Playbook, appointment: AppointmentDetails, state: SequenceState
) -> list[PlannedStep]:
    phases = playbook.phases
    starts_at = state.starts_at
    rescheduled = state.reschedule_count > 0
    steps: list[PlannedStep] = []
    confirmation = phases.before.confirmation
    if rescheduled and phases.rescheduled.confirmation is not None:
        confirmation = phases.rescheduled.confirmation
    if confirmation is not None:
        key = step_key(confirmation.id, starts_at)
        steps.append(_send(confirmation, appointment, state.armed_at, key, answers_event=True))
    alert = phases.rescheduled.host_alert
    if state.flagged and alert is not None:
        key = step_key(alert.id, starts_at)
        steps.append(_send(alert, appointment, state.armed_at, key, answers_event=True))
    before_start = list(phases.before.reminders)
    if rescheduled:
        before_start.extend(phases.rescheduled.steps)
    previous = _lead(preferred_order(appointment))
    for step in before_start:
        due = starts_at - timedelta(seconds=step.offset_s)
        # A step whose moment had already passed when the schedule was armed is skipped:
        # the confirmation just sent covers it.
        if due < state.armed_at:
            continue
        planned = _send(
            step, appointment, due, step_key(step.id, due), previous, skip_once_started=True
        )
        previous = _lead(planned.channels) if planned.channels else previous
        steps.append(planned)
    deadline = starts_at + timedelta(
        minutes=appointment.duration_minutes,
        seconds=playbook.timing.outcome_deadline_after_end_s,
    )
    steps.append(_silent(OUTCOME_DEADLINE, deadline, StepAction.EXPIRE))
    return steps


def _missed_phase(
    playbook: Playbook, appointment: AppointmentDetails, state: SequenceState, quiet_hours: bool
) -> list[PlannedStep]:
    anchor = state.missed_at or state.starts_at
    steps = _after(playbook, playbook.phases.missed, appointment, state, anchor, quiet_hours)
    close = anchor + timedelta(seconds=playbook.timing.close_as_lost_after_miss_s)
    steps.append(_silent(CLOSE_AS_LOST, close, StepAction.CLOSE_AS_LOST))
    return steps


def _attended_phase(
    playbook: Playbook, appointment: AppointmentDetails, state: SequenceState, quiet_hours: bool
) -> list[PlannedStep]:
    ends_at = state.starts_at + timedelta(minutes=appointment.duration_minutes)
    return _after(playbook, playbook.phases.attended, appointment, state, ends_at, quiet_hours)


def _after(
    playbook: Playbook,
    phase: Sequence[PlaybookStep],
    appointment: AppointmentDetails,
    state: SequenceState,
    anchor: datetime,
    quiet_hours: bool,
) -> list[PlannedStep]:
    """Steps timed after an anchor; later ones (offset > 0) respect quiet hours."""
    segment = playbook.segment_for(state.contact_no_show_total)
    quiet = playbook.policy.quiet_hours if quiet_hours else None
    previous = _lead(preferred_order(appointment))
    steps: list[PlannedStep] = []
    for step in phase:
        if step.segment is not None and step.segment is not segment:
            continue
        due = anchor + timedelta(seconds=step.offset_s)
        if step.offset_s > 0:
            due = outside_quiet_hours(due, appointment.contact.timezone, quiet)
        planned = _send(step, appointment, due, step_key(step.id, due), previous)
        if planned.recipient is Recipient.CONTACT and planned.channels:
            previous = planned.channels[0]
        steps.append(planned)
    return steps


# --------------------------------------------------------------------------- steps


def _send(
    step: PlaybookStep,
    appointment: AppointmentDetails,
    due: datetime,
    key: str,
    previous_lead: Channel | None = None,
    *,
    skip_once_started: bool = False,
    answers_event: bool = False,
) -> PlannedStep:
    return PlannedStep(
        step=step.id,
        due_at=due,
        key=key,
        template=step.template,
        channels=resolve_channels(step, appointment, previous_lead),
        recipient=step.recipient,
        content=step.content,
        stop_when=step.stop_when,
        skip_once_started=skip_once_started,
        answers_event=answers_event,
    )


def _silent(step_id: str, due: datetime, action: StepAction) -> PlannedStep:
    return PlannedStep(step=step_id, due_at=due, key=step_key(step_id, due), action=action)


def possible_channels(step: PlaybookStep) -> tuple[Channel, ...]:
    """Every channel the step may go out on for some contact (its copy must cover them)."""
    if step.recipient is Recipient.HOST:
        return tuple(_CONCRETE[c] for c in step.channels if c in _CONCRETE)
    if step.fallback or any(
        c in (ChannelChoice.PREFERRED, ChannelChoice.OTHER) for c in step.channels
    ):
        return tuple(Channel)
    channels: list[Channel] = []
    for choice in step.channels:
        options = (
            [Channel.SMS, Channel.WHATSAPP]
            if choice is ChannelChoice.SMS_OR_WHATSAPP
            else [_CONCRETE[choice]]
        )
        channels.extend(c for c in options if c not in channels)
    return tuple(channels)


def resolve_channels(
    step: PlaybookStep, appointment: AppointmentDetails, previous_lead: Channel | None = None
) -> tuple[Channel, ...]:
    """The concrete channels to try for a step, in order, for this contact.

    previous_lead: the lead channel of the previous step in the phase, which `other`
    moves away from (the contact's preferred channel when None).
    """
    if step.recipient is Recipient.HOST:
        # Hosts are emailed only; reachability is checked (and recorded) at send time.
        return tuple(_CONCRETE[c] for c in step.channels if c in _CONCRETE)
    order = preferred_order(appointment)
    chosen: list[Channel] = []
    for choice in step.channels:
        for channel in _expand(choice, appointment, order, previous_lead):
            if channel in order and channel not in chosen:
                chosen.append(channel)
    if step.fallback:
        chosen.extend(c for c in order if c not in chosen)
    return tuple(chosen)


def _expand(
    choice: ChannelChoice,
    appointment: AppointmentDetails,
    order: list[Channel],
    previous_lead: Channel | None,
) -> list[Channel]:
    if choice in _CONCRETE:
        return [_CONCRETE[choice]]
    if choice is ChannelChoice.PREFERRED:
        return order[:1]
    if choice is ChannelChoice.SMS_OR_WHATSAPP:
        return [short_message_channel(appointment)]
    used = previous_lead or _lead(order)
    return [c for c in other_channel_order(appointment, used) if not same_family(c, used)]


def _lead(channels: Sequence[Channel]) -> Channel:
    # With nothing reachable, `other` has nothing to move away from; email is arbitrary.
    return channels[0] if channels else Channel.EMAIL

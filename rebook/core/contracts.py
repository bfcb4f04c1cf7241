"""Dataclasses that cross the Temporal boundary: workflow input/output, signals, queries
and activity arguments/results.

Pure module (stdlib + rebook.core.domain only): safe to import from workflow code. Keep every
field JSON-friendly (str, int, bool, datetime, enums, lists, nested dataclasses) so the
default Temporal data converter round-trips it and committed histories stay replayable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rebook.core.domain import (
    AppointmentKind,
    AppointmentStatus,
    BookedVia,
    Channel,
    CommunicationStatus,
    EventType,
    Recipient,
)

# --------------------------------------------------------------------------- appointment


@dataclass(frozen=True)
class ContactDetails:
    id: str
    name: str
    timezone: str  # IANA name, used to render times in the contact's local time
    email: str | None = None
    phone: str | None = None  # E.164
    whatsapp: str | None = None  # E.164
    preferred_channel: Channel | None = None


@dataclass(frozen=True)
class HostDetails:
    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class ExperimentAssignment:
    """An A/B experiment configured for this workflow and the arm it was assigned."""

    name: str
    variant: str


@dataclass(frozen=True)
class AppointmentDetails:
    appointment_id: str
    external_id: str
    starts_at: datetime  # timezone-aware, as booked (updated on reschedule)
    duration_minutes: int
    kind: AppointmentKind
    topic: str
    reschedule_url: str
    booked_via: BookedVia
    contact: ContactDetails
    host: HostDetails
    # Content offered after a miss (recording, case study, guide) and a lower-friction
    # alternative (webinar, ebook, community). Templates fall back to the reschedule link.
    content_url: str | None = None
    alternative_url: str | None = None
    experiment: ExperimentAssignment | None = None


@dataclass(frozen=True)
class FollowUpPolicy:
    """Timings of the sequence, in seconds so they serialise plainly."""

    reminder_email_before_s: int = 24 * 3600
    reminder_sms_before_s: int = 3600
    nudge_after_s: int = 4 * 3600
    value_content_after_s: int = 24 * 3600
    alternative_offer_after_s: int = 72 * 3600
    close_as_lost_after_s: int = 7 * 24 * 3600
    # How long after the appointment ends we wait for attended/missed before giving up.
    outcome_timeout_s: int = 3 * 24 * 3600
    reschedule_limit: int = 3
    # Later follow-ups (nudge, value content, alternative offer) never land in the
    # contact's local night: due between these hours, they wait for the morning. Equal
    # values switch it off. The first follow-up is immediate whatever the hour.
    quiet_hours_start_h: int = 21
    quiet_hours_end_h: int = 8

    def seconds(self, name: str) -> timedelta:
        return timedelta(seconds=int(getattr(self, name)))


# --------------------------------------------------------------------------- signals


@dataclass(frozen=True)
class AppointmentEvent:
    """Signal payload: something the booking platform told us about the appointment."""

    type: EventType
    event_id: str  # idempotency key from the platform, or one the API generated
    received_at: datetime  # when the API accepted it; anchors follow-up timing
    occurred_at: datetime | None = None  # when it happened, per the platform
    new_starts_at: datetime | None = None  # required for rescheduled
    reason: str | None = None


# --------------------------------------------------------------------------- workflow state


@dataclass
class SequenceState:
    """Everything the workflow must carry across continue-as-new."""

    status: AppointmentStatus
    starts_at: datetime
    armed_at: datetime  # when the current schedule was (re)armed; older reminders are skipped
    no_show_count: int = 0  # misses of this appointment
    contact_no_show_total: int = 0  # misses of this contact across appointments
    reschedule_count: int = 0
    flagged: bool = False  # reschedule limit exceeded
    missed_at: datetime | None = None  # anchor of the running follow-up sequence
    last_rescheduled_at: datetime | None = None  # to drop stale events about an old slot
    completed_steps: list[str] = field(default_factory=list)
    seen_event_ids: list[str] = field(default_factory=list)
    inbox: list[AppointmentEvent] = field(default_factory=list)  # received, not yet applied


@dataclass(frozen=True)
class AppointmentWorkflowInput:
    appointment: AppointmentDetails
    policy: FollowUpPolicy = field(default_factory=FollowUpPolicy)
    state: SequenceState | None = None  # set only when continuing as new


@dataclass(frozen=True)
class AppointmentOutcome:
    appointment_id: str
    status: AppointmentStatus
    no_show_count: int
    reschedule_count: int
    flagged: bool


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class ProgressRequest:
    include_upcoming: bool = True


@dataclass(frozen=True)
class PlannedStepView:
    step: str
    due_at: datetime
    channel: Channel | None  # first choice; None when the step sends nothing


@dataclass(frozen=True)
class AppointmentProgress:
    appointment_id: str
    status: AppointmentStatus
    starts_at: datetime
    no_show_count: int
    contact_no_show_total: int
    reschedule_count: int
    flagged: bool
    next_step: str | None
    next_step_at: datetime | None
    upcoming: list[PlannedStepView] = field(default_factory=list)


# --------------------------------------------------------------------------- activities


@dataclass(frozen=True)
class DeliveryRequest:
    """Send one step of the sequence on one channel.

    idempotency_key is built from business identity (appointment + step + scheduled time
    + channel) so retries and re-runs of the same step never send twice.
    """

    idempotency_key: str
    step: str
    template: str
    channel: Channel
    recipient: Recipient
    scheduled_for: datetime
    appointment: AppointmentDetails
    contact_no_show_total: int = 0
    reschedule_count: int = 0
    variant: str = "a"


@dataclass(frozen=True)
class DeliveryResult:
    communication_id: str
    status: CommunicationStatus
    channel: Channel
    provider: str
    provider_message_id: str | None = None
    duplicate: bool = False  # the key had been handled before; nothing was sent this time


@dataclass(frozen=True)
class NoShowRecord:
    appointment_id: str
    contact_id: str
    occurrence_key: str  # appointment + missed slot: recording it twice counts once
    missed_at: datetime


@dataclass(frozen=True)
class NoShowTally:
    contact_no_show_total: int


@dataclass(frozen=True)
class StatusUpdate:
    """Mirror of workflow progress into the database, for listings and closed workflows."""

    appointment_id: str
    status: AppointmentStatus
    starts_at: datetime
    no_show_count: int
    reschedule_count: int
    flagged: bool
    next_step: str | None = None
    next_step_at: datetime | None = None


@dataclass(frozen=True)
class Ack:
    ok: bool = True

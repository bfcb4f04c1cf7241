"""Dataclasses that cross the Temporal boundary: workflow input and result, the signal, the
query and activity arguments and results.

Pure module (stdlib + rebook.core only): safe to import from workflow code. Keep every
field JSON-friendly (str, int, bool, datetime, enums, lists, nested dataclasses) so the
default Temporal data converter round-trips it.

Compatibility: histories already recorded (tests/workflows/histories, and workflows running
in production) hold the JSON earlier code wrote for the workflow input (and everything
nested in it), the signal and activity inputs and results. Such a field may be dropped (the
converter ignores unknown keys) or added with a default, but never renamed or re-nested.
Query results and local-activity inputs are not replayed and may change shape.

No `from __future__ import annotations` here: the data converter calls
typing.get_type_hints on a dataclass every time it decodes one, and string annotations
are evaluated anew on each call; real annotation objects make that about half as costly
(issue 12). So a class may only refer to classes defined above it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from rebook.core.domain import (
    AppointmentKind,
    AppointmentStatus,
    BookedVia,
    Channel,
    CommunicationStatus,
    EventType,
    Recipient,
)
from rebook.core.playbook import ContentSelector, FrequencyCap, Playbook, PlaybookRef, StopCondition
from rebook.core.rules import CONTROL_VARIANT
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID

# --------------------------------------------------------------------------- appointment


@dataclass(frozen=True)
class ContactDetails:
    """The contact as everything between the HTTP edge (ContactIn/ContactOut) and the
    database (the ORM Contact) sees it: the workflow, the channel rules, the stores."""

    id: str
    name: str
    timezone: str  # IANA name, used to render times in the contact's local time
    email: str | None = None
    phone: str | None = None  # E.164
    whatsapp: str | None = None  # E.164
    preferred_channel: Channel | None = None
    # BCP 47 tag ("es", "pt-BR") of the language the contact reads; picks the playbook's
    # copy, which falls back to the playbook's default locale. None: that default.
    locale: str | None = None


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
    # Shown in confirmations and reminders when set, and kept across reschedules.
    location: str | None = None  # where to go, for meetings in person
    join_url: str | None = None  # the video call link
    instructions: str | None = None  # what to prepare or bring
    # What the contact said they want; with the topic, it steers the content a step picks.
    interest: str | None = None
    # The playbook the booking platform asked for by name; None: the selection rules pick
    # one by kind and booked_via (rebook.playbooks.catalog).
    playbook: str | None = None

    @property
    def variant(self) -> str:
        """The copy variant every message of this appointment uses: its experiment arm, or
        the control arm outside any experiment. Derived, so it is not serialised."""
        return self.experiment.variant if self.experiment else CONTROL_VARIANT


@dataclass(frozen=True)
class FollowUpPolicy:
    """Timings and limits of the fixed sequence that ran before playbooks, in seconds.

    Workflows started before playbooks carry only this in their input, and are planned
    with rebook.core.playbook_legacy.legacy_playbook(policy); new workflows take every
    timing and limit from their pinned Playbook instead."""

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
    replied_at: datetime | None = None  # the contact's latest reply (stop_when: replied)
    completed_steps: list[str] = field(default_factory=list)
    # Steps the frequency cap held back: step key -> when they may go out.
    deferred: dict[str, datetime] = field(default_factory=dict)
    seen_event_ids: list[str] = field(default_factory=list)
    inbox: list[AppointmentEvent] = field(default_factory=list)  # received, not yet applied


@dataclass(frozen=True)
class AppointmentWorkflowInput:
    appointment: AppointmentDetails
    policy: FollowUpPolicy = field(default_factory=FollowUpPolicy)  # runs before playbooks
    state: SequenceState | None = None  # set only when continuing as new
    # The workspace the appointment belongs to (rebook.core.workspaces). Inputs recorded
    # before workspaces existed have none: those appointments are the default workspace's.
    workspace_id: str = DEFAULT_WORKSPACE_ID
    # The sequence this appointment runs, pinned when the workflow starts and carried
    # across continue-as-new so editing the playbook never changes it. None: resolve it
    # (new runs) or plan with legacy_playbook(policy) (runs recorded before playbooks).
    playbook: Playbook | None = None


@dataclass(frozen=True)
class PlaybookRequest:
    """Argument of the resolve_playbook activity: the playbook an appointment runs.

    name: the latest version of this playbook (a reschedule keeps the playbook it was on);
    None: the appointment's own `playbook`, else the selection rules."""

    appointment: AppointmentDetails
    name: str | None = None
    # Whose appointment it is: the workspace's own quiet hours replace the playbook's.
    workspace_id: str = DEFAULT_WORKSPACE_ID


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    """Where an appointment is in its life. One shape for every reader: the progress query
    answers it, the workflow returns the final one and mirrors each change into the
    database (record_status), and the API reads it back from either."""

    appointment_id: str
    status: AppointmentStatus
    starts_at: datetime  # the current slot (moves on reschedule)
    no_show_count: int = 0  # misses of this appointment
    contact_no_show_total: int = 0  # misses of this contact across appointments
    reschedule_count: int = 0
    flagged: bool = False  # reschedule limit exceeded
    next_step: str | None = None  # None once nothing more is planned
    next_step_at: datetime | None = None


@dataclass(frozen=True)
class ProgressRequest:
    """Argument of the progress query. Empty: it used to choose optional extras that no
    caller read. The query still accepts it so callers that send it keep working."""


# --------------------------------------------------------------------------- activities


@dataclass(frozen=True)
class DeliveryRequest:
    """Send one step of the sequence on one channel.

    idempotency_key is built from business identity (appointment + step + scheduled time
    + channel) so retries and re-runs of the same step never send twice.
    """

    idempotency_key: str
    step: str
    template: str  # a template of the playbook (the experiment arm may swap it)
    channel: Channel
    recipient: Recipient
    scheduled_for: datetime  # when it goes out: the step's due time, or later if deferred
    appointment: AppointmentDetails  # its variant picks the copy (AppointmentDetails.variant)
    contact_no_show_total: int = 0
    reschedule_count: int = 0
    # Whose message it is: its ledger, brand, senders and provider accounts.
    workspace_id: str = DEFAULT_WORKSPACE_ID
    # Whose copy to render: the pinned playbook's name and version. None (requests from
    # before playbooks): the default playbook's first version, which is that copy.
    playbook: PlaybookRef | None = None
    content: tuple[ContentSelector, ...] = ()  # the step's content library selectors


@dataclass(frozen=True)
class DeliveryResult:
    communication_id: str
    status: CommunicationStatus
    channel: Channel
    provider: str
    provider_message_id: str | None = None
    duplicate: bool = False  # the key had been handled before; nothing was sent this time


@dataclass(frozen=True)
class SendCheck:
    """Argument of the check_send activity: may this step go out now?

    Asked only for steps with stop conditions or under a frequency cap. `now` is the
    workflow's time, the moment the step would go out."""

    appointment: AppointmentDetails
    step: str
    key: str  # the step's key (its idempotency stem)
    template: str
    channel: Channel | None  # the step's lead channel, for the ledger row of a hold
    due_at: datetime  # when the plan has it due (before any deferral)
    now: datetime
    stop_when: tuple[StopCondition, ...] = ()
    replied: bool = False  # the workflow knows: the contact replied since the miss
    frequency_cap: FrequencyCap | None = None
    # Whose ledger to read and write: only the workspace's messages and appointments count.
    workspace_id: str = DEFAULT_WORKSPACE_ID


@dataclass(frozen=True)
class SendClearance:
    """What check_send decided: send (neither set), stop (the step is done, unsent) or
    defer until a moment (the step stays pending)."""

    stop: StopCondition | None = None
    defer_until: datetime | None = None


@dataclass(frozen=True)
class NoShowRecord:
    appointment_id: str
    contact_id: str
    occurrence_key: str  # appointment + missed slot: recording it twice counts once
    missed_at: datetime
    workspace_id: str = DEFAULT_WORKSPACE_ID


@dataclass(frozen=True)
class ProgressReport:
    """Argument of the record_status activity: the progress to mirror, and whose it is."""

    progress: Progress
    workspace_id: str = DEFAULT_WORKSPACE_ID


@dataclass(frozen=True)
class NoShowTally:
    contact_no_show_total: int


@dataclass(frozen=True)
class Ack:
    ok: bool = True

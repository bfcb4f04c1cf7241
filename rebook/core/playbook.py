"""A playbook: the sequence an appointment follows, as plain, frozen data.

It travels in the workflow input and across continue-as-new, so everything here is
stdlib-only and JSON-friendly for Temporal's default data converter: str, int, bool,
StrEnums, tuples and nested frozen dataclasses. The copy (templates per locale) is not
here: it stays with the stored playbook document and is loaded by the activity that
renders, keyed by `name` and `version`, so workflow histories stay small.

Offsets are whole seconds. What an offset is measured from depends on the phase:
- `before.reminders` and `rescheduled.steps`: seconds before the (new) start;
- `missed`: seconds after the miss was reported;
- `attended`: seconds after the scheduled end of the appointment;
- confirmations, the host alert and the cancellation notice go out when their event
  happens, so their offset is ignored (keep it 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rebook.core.domain import AppointmentKind, Recipient


class ChannelChoice(StrEnum):
    """One entry of a step's channel order.

    A concrete channel is used when the contact can be reached there. `preferred` is the
    channel the contact is most likely to act on ("meet them where they are": booked via
    WhatsApp, their stated preference, then the channel they booked through). `other` is
    every reachable channel of a different family (email / messaging / in-app) than the
    lead channel of the previous step in the phase, the nudge after an email. And
    `sms_or_whatsapp` is WhatsApp for a contact who lives on WhatsApp, else SMS.
    """

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    IN_APP = "in_app"
    PREFERRED = "preferred"
    OTHER = "other"
    SMS_OR_WHATSAPP = "sms_or_whatsapp"


class Segment(StrEnum):
    """A contact's history of misses: their first, or a repeat (see Policy)."""

    FIRST = "first"
    REPEAT = "repeat"


class StopCondition(StrEnum):
    """Facts that cancel a follow-up at send time (evaluated by `stop_reason`).

    rebooked: the contact has another appointment coming up (booked again since the miss,
    or already booked): asking them to rebook would be wrong. A reschedule of this very
    appointment ends the missed phase by itself.
    replied: the contact has written back since the miss (a `replied` event).
    opted_out: the contact has opted out of any channel: a STOP anywhere means stop.
    """

    REBOOKED = "rebooked"
    REPLIED = "replied"
    OPTED_OUT = "opted_out"


class ContentKind(StrEnum):
    RECORDING = "recording"
    VIDEO = "video"
    CASE_STUDY = "case_study"
    GUIDE = "guide"
    WEBINAR = "webinar"
    POST = "post"
    EBOOK = "ebook"
    COMMUNITY = "community"


class ContentSlot(StrEnum):
    """Which link a selector fills: `content` (links.content, e.g. a recording) or
    `alternative` (links.alternative, a lower-friction way in such as a webinar)."""

    CONTENT = "content"
    ALTERNATIVE = "alternative"


class StepAction(StrEnum):
    SEND = "send"
    EXPIRE = "expire"  # the outcome deadline passed: close as expired
    CLOSE_AS_LOST = "close_as_lost"  # follow-ups exhausted: close as lost


@dataclass(frozen=True)
class ContentSelector:
    """Picks a content library item for a step (see rebook.playbooks.content).

    Applies only to appointments of `for_kind` when set; matches items of any of `kinds`
    (any kind when empty) that are meant for the appointment's kind and, when `topics` is
    set, share one of them.
    """

    kinds: tuple[ContentKind, ...] = ()
    for_kind: AppointmentKind | None = None
    topics: tuple[str, ...] = ()
    slot: ContentSlot = ContentSlot.CONTENT


@dataclass(frozen=True)
class PlaybookStep:
    """One message of the sequence.

    `id` is the step's business identity: it is the stem of the step's key and of every
    idempotency key derived from it, so renaming it in a new version makes the step new.
    `channels` are tried in order; with `fallback` every other reachable channel follows
    (in the contact's preferred order) for permanent delivery failures. Host steps use
    exactly their listed channels: hosts are only ever emailed.
    """

    id: str
    template: str
    offset_s: int = 0
    channels: tuple[ChannelChoice, ...] = (ChannelChoice.PREFERRED,)
    fallback: bool = True
    recipient: Recipient = Recipient.CONTACT
    content: tuple[ContentSelector, ...] = ()
    segment: Segment | None = None  # None: every contact; else only that segment
    stop_when: tuple[StopCondition, ...] = ()


@dataclass(frozen=True)
class BeforePhase:
    """While the appointment is scheduled: a confirmation when booked, then reminders."""

    confirmation: PlaybookStep | None = None
    reminders: tuple[PlaybookStep, ...] = ()


@dataclass(frozen=True)
class RescheduledPhase:
    """After a reschedule: `confirmation` replaces before.confirmation (which is reused
    when it is None), `steps` are added before the new slot (anticipation content),
    before.reminders still apply to the new slot, and `host_alert` goes to the host when
    the reschedule limit is exceeded."""

    confirmation: PlaybookStep | None = None
    steps: tuple[PlaybookStep, ...] = ()
    host_alert: PlaybookStep | None = None


@dataclass(frozen=True)
class CancelledPhase:
    notice: PlaybookStep | None = None


@dataclass(frozen=True)
class Phases:
    before: BeforePhase = field(default_factory=BeforePhase)
    missed: tuple[PlaybookStep, ...] = ()
    rescheduled: RescheduledPhase = field(default_factory=RescheduledPhase)
    attended: tuple[PlaybookStep, ...] = ()
    cancelled: CancelledPhase = field(default_factory=CancelledPhase)


@dataclass(frozen=True)
class Timing:
    """When the sequence ends without a message: expired when no outcome was reported
    this long after the scheduled end; lost this long after a miss."""

    outcome_deadline_after_end_s: int = 3 * 24 * 3600
    close_as_lost_after_miss_s: int = 7 * 24 * 3600


@dataclass(frozen=True)
class QuietHours:
    """Contact-local minutes of the day [start, end) in which later follow-ups wait for
    `end`. start > end spans midnight (21:00 to 08:00)."""

    start_minute: int = 21 * 60
    end_minute: int = 8 * 60


@dataclass(frozen=True)
class FrequencyCap:
    """At most `max_messages` to one contact in any rolling `window_s` (across all of
    that contact's appointments); a step over the cap is deferred, never dropped."""

    max_messages: int
    window_s: int = 24 * 3600


@dataclass(frozen=True)
class Policy:
    quiet_hours: QuietHours | None = field(default_factory=QuietHours)
    frequency_cap: FrequencyCap | None = None
    reschedule_limit: int = 3  # reschedules beyond this flag the appointment
    repeat_no_show_from: int = 2  # the contact's Nth miss makes them a repeat no-show


@dataclass(frozen=True)
class PlaybookRef:
    """Which copy renders a message: the templates stored with this name and version."""

    name: str
    version: int


@dataclass(frozen=True)
class Playbook:
    name: str
    version: int
    phases: Phases = field(default_factory=Phases)
    timing: Timing = field(default_factory=Timing)
    policy: Policy = field(default_factory=Policy)
    default_locale: str = "en"

    @property
    def ref(self) -> PlaybookRef:
        return PlaybookRef(self.name, self.version)

    def segment_for(self, contact_no_show_total: int) -> Segment:
        if contact_no_show_total >= self.policy.repeat_no_show_from:
            return Segment.REPEAT
        return Segment.FIRST

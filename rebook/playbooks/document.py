"""The playbook document: its pydantic model (YAML on disk, JSON through the API) and
its conversion to the frozen dataclasses the planner (rebook.core.playbook) and the
renderer (rebook.playbooks.templates) use.

The model checks shape and single fields; rules that span fields (unique step ids,
ordered offsets, templates for every locale and channel, templates that render) live in
validation.py. Durations are written "30m", "4h", "1d 12h" (or whole seconds), clock times
"21:00".
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from rebook.core.domain import AppointmentKind, Recipient
from rebook.core.playbook import (
    BeforePhase,
    CancelledPhase,
    ChannelChoice,
    ContentKind,
    ContentSelector,
    ContentSlot,
    FrequencyCap,
    Phases,
    Playbook,
    PlaybookStep,
    Policy,
    QuietHours,
    RescheduledPhase,
    Segment,
    StopCondition,
    Timing,
)
from rebook.core.rules import DURATION_UNITS
from rebook.playbooks.content import ContentItem, ContentLibrary
from rebook.playbooks.templates import (
    DEFAULT_LAYOUTS,
    Case,
    Cta,
    EmailCopy,
    Fallbacks,
    InAppCopy,
    Lateness,
    Layouts,
    LinkName,
    LocaleStrings,
    MessageCopy,
    MessageTemplate,
    PlaybookTemplates,
    ShortCopy,
    TemplateSet,
)

# ---------------------------------------------------------------------------- field types

DURATION_PATTERN: Final = r"^\s*(\d+\s*[smhdw]\s*)+$"
_DURATION_PART: Final = re.compile(r"(\d+)\s*([smhdw])")


def parse_duration(value: object) -> int:
    """Seconds of "1d 12h", "90m", "30s", "2w", or of a whole number of seconds (the
    inverse of rebook.core.rules.format_duration)."""
    if isinstance(value, bool):
        raise PydanticCustomError("duration", "{value} is not a duration", {"value": value})
    if isinstance(value, int):
        if value < 0:
            raise PydanticCustomError("duration", "a duration cannot be negative", {})
        return value
    if isinstance(value, str) and re.match(DURATION_PATTERN, value):
        return sum(int(n) * DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(value))
    raise PydanticCustomError(
        "duration",
        '"{value}" is not a duration; write e.g. 30m, 4h, 1d or 1d 12h',
        {"value": value},
    )


Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN, "examples": ["30m", "4h", "1d"]},
                {"type": "integer", "minimum": 0, "description": "seconds"},
            ]
        }
    ),
]


def _clock(value: object) -> object:
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return value
    raise PydanticCustomError(
        "clock_time", '"{value}" is not a time of day; write e.g. 21:00', {"value": value}
    )


ClockTime = Annotated[
    str,
    BeforeValidator(_clock),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$", "examples": ["21:00"]}),
]


def _channel(value: object) -> object:
    if value not in {c.value for c in ChannelChoice}:
        raise PydanticCustomError(
            "unknown_channel",
            'unknown channel "{value}"; use one of email, sms, whatsapp, in_app, preferred, '
            "other, sms_or_whatsapp",
            {"value": value},
        )
    return value


ChannelToken = Annotated[ChannelChoice, BeforeValidator(_channel)]
StepId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
TemplateName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
LocaleTag = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")]
Text = Annotated[str, Field(min_length=1)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------- sequence


class ContentSelectorDoc(_Doc):
    """`{for_kind: demo, kind: [recording]}`: a recording, for demo appointments only."""

    kind: list[ContentKind] = Field(default_factory=list, description="any of these kinds")
    for_kind: AppointmentKind | None = Field(
        default=None, description="apply only to appointments of this kind"
    )
    topics: list[Text] = Field(default_factory=list, description="items sharing a topic")
    slot: ContentSlot = ContentSlot.CONTENT


class StepDoc(_Doc):
    id: StepId = Field(description="stable identity: part of every idempotency key")
    template: TemplateName
    channels: list[ChannelToken] = Field(
        default_factory=lambda: [ChannelChoice.PREFERRED], min_length=1
    )
    fallback: bool = Field(
        default=True, description="then every other reachable channel, for delivery failures"
    )
    recipient: Recipient = Recipient.CONTACT
    content: list[ContentSelectorDoc] = Field(
        default_factory=list, description="first selector that applies and matches wins"
    )
    description: str | None = None


class ConfirmationDoc(StepDoc):
    """Sent when its event happens (booked, rescheduled, cancelled, limit exceeded)."""


class ReminderDoc(StepDoc):
    before: Duration = Field(description="before the appointment starts")


class FollowUpDoc(StepDoc):
    after: Duration = Field(description="after the miss was reported")
    segment: Segment | None = Field(default=None, description="only first or repeat no-shows")
    stop_when: list[StopCondition] = Field(default_factory=list)


class AttendedStepDoc(StepDoc):
    after: Duration = Field(description="after the appointment's scheduled end")


class BeforeDoc(_Doc):
    confirmation: ConfirmationDoc | None = None
    reminders: list[ReminderDoc] = Field(default_factory=list)


class RescheduledDoc(_Doc):
    confirmation: ConfirmationDoc | None = Field(
        default=None, description="replaces before.confirmation after a reschedule"
    )
    steps: list[ReminderDoc] = Field(
        default_factory=list, description="added before the new slot; reminders still apply"
    )
    host_alert: ConfirmationDoc | None = Field(
        default=None, description="to the host when the reschedule limit is exceeded"
    )


class CancelledDoc(_Doc):
    notice: ConfirmationDoc | None = None


class PhasesDoc(_Doc):
    before: BeforeDoc = Field(default_factory=BeforeDoc)
    missed: list[FollowUpDoc] = Field(default_factory=list)
    rescheduled: RescheduledDoc = Field(default_factory=RescheduledDoc)
    attended: list[AttendedStepDoc] = Field(default_factory=list)
    cancelled: CancelledDoc = Field(default_factory=CancelledDoc)


class TimingDoc(_Doc):
    outcome_deadline_after_end: Duration = 3 * 86400
    close_as_lost_after_miss: Duration = 7 * 86400


class QuietHoursDoc(_Doc):
    start: ClockTime = "21:00"
    end: ClockTime = "08:00"


class FrequencyCapDoc(_Doc):
    max_messages: int = Field(ge=1)
    per: Duration = 86400


class PolicyDoc(_Doc):
    quiet_hours: QuietHoursDoc | None = Field(
        default_factory=QuietHoursDoc,
        description="contact-local hours in which later follow-ups wait; null: none",
    )
    frequency_cap: FrequencyCapDoc | None = None
    reschedule_limit: int = Field(default=3, ge=0)
    repeat_no_show_from: int = Field(
        default=2, ge=1, description="the contact's Nth miss makes them a repeat no-show"
    )


# ---------------------------------------------------------------------------- copy


class CtaDoc(_Doc):
    label: Text
    url: Text


class EmailCopyDoc(_Doc):
    subject: Text
    paragraphs: list[str] = Field(min_length=1)
    cta: CtaDoc
    greeting: str | None = None
    sign_off: str | None = None


class ShortCopyDoc(_Doc):
    headline: Text
    link: Text
    detail: str = ""


class InAppCopyDoc(_Doc):
    title: Text
    body: Text


class CopyDoc(_Doc):
    email: EmailCopyDoc | None = None
    short: ShortCopyDoc | None = Field(default=None, description="SMS and WhatsApp")
    sms: ShortCopyDoc | None = Field(default=None, description="SMS only, instead of short")
    whatsapp: ShortCopyDoc | None = Field(default=None, description="instead of short")
    in_app: InAppCopyDoc | None = None


class MessageTemplateDoc(CopyDoc):
    description: str | None = None
    link: LinkName = Field(default=LinkName.RESCHEDULE, description="the link the message is about")
    repeat: CopyDoc | None = Field(default=None, description="for repeat no-shows")
    without_content: CopyDoc | None = Field(
        default=None, description="when the step has no real content link"
    )
    without_alternative: CopyDoc | None = Field(
        default=None, description="when the step has no real alternative link"
    )


KindWords = dict[AppointmentKind, str]


class FallbacksDoc(_Doc):
    first_name: str
    host_first_name: str
    contact_name: str
    topic: str


class LatenessDoc(_Doc):
    today: Text
    yesterday: Text
    weekday: Text = Field(description='e.g. "on {{ weekday }}"')
    date: Text = Field(description='e.g. "on {{ date }}"')


class StringsDoc(_Doc):
    """Words every template of a locale shares. Locale files may each give some of them;
    once merged, a locale must have them all."""

    greeting: str | None = None
    sign_off: str | None = None
    sms_opt_out: str | None = None
    sent_by: str | None = None
    unsubscribe: str | None = None
    when_format: str | None = Field(default=None, description='babel pattern, "EEE d MMM y, HH:mm"')
    kind_nouns: KindWords | None = None
    content_nouns: KindWords | None = None
    content_kind_nouns: dict[ContentKind, str] | None = None
    value_lines: KindWords | None = None
    short_value_lines: KindWords | None = None
    fallbacks: FallbacksDoc | None = None
    lateness: LatenessDoc | None = None


class TemplateSetDoc(_Doc):
    strings: StringsDoc = Field(default_factory=StringsDoc)
    templates: dict[TemplateName, MessageTemplateDoc] = Field(default_factory=dict)


class TemplateSetFileDoc(TemplateSetDoc):
    """A locale file on disk: the templates (and strings) of one locale."""

    locale: LocaleTag


class LayoutsDoc(_Doc):
    email_html: str | None = None
    email_text: str | None = None
    sms: str | None = None
    whatsapp: str | None = None


class PlaybookDocument(_Doc):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    version: int = Field(default=1, ge=1, description="the API assigns it on every change")
    description: str | None = None
    default_locale: LocaleTag = "en"
    locale_files: list[Text] = Field(
        default_factory=list,
        description="on disk only: locale files, relative to this file, merged in order",
    )
    locales: dict[LocaleTag, TemplateSetDoc] = Field(default_factory=dict)
    variants: dict[
        Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")], dict[TemplateName, TemplateName]
    ] = Field(
        default_factory=dict,
        description="experiment arm -> {template: the template the arm uses instead}",
    )
    layouts: LayoutsDoc = Field(default_factory=LayoutsDoc)
    phases: PhasesDoc
    timing: TimingDoc = Field(default_factory=TimingDoc)
    policy: PolicyDoc = Field(default_factory=PolicyDoc)


# ---------------------------------------------------------------------------- conversion


def to_playbook(doc: PlaybookDocument) -> Playbook:
    phases = doc.phases
    return Playbook(
        name=doc.name,
        version=doc.version,
        default_locale=doc.default_locale,
        phases=Phases(
            before=BeforePhase(
                confirmation=_step(phases.before.confirmation),
                reminders=tuple(_offset_step(s, s.before) for s in phases.before.reminders),
            ),
            missed=tuple(_offset_step(s, s.after) for s in phases.missed),
            rescheduled=RescheduledPhase(
                confirmation=_step(phases.rescheduled.confirmation),
                steps=tuple(_offset_step(s, s.before) for s in phases.rescheduled.steps),
                host_alert=_step(phases.rescheduled.host_alert),
            ),
            attended=tuple(_offset_step(s, s.after) for s in phases.attended),
            cancelled=CancelledPhase(notice=_step(phases.cancelled.notice)),
        ),
        timing=Timing(
            outcome_deadline_after_end_s=doc.timing.outcome_deadline_after_end,
            close_as_lost_after_miss_s=doc.timing.close_as_lost_after_miss,
        ),
        policy=Policy(
            quiet_hours=_quiet_hours(doc.policy.quiet_hours),
            frequency_cap=(
                FrequencyCap(doc.policy.frequency_cap.max_messages, doc.policy.frequency_cap.per)
                if doc.policy.frequency_cap
                else None
            ),
            reschedule_limit=doc.policy.reschedule_limit,
            repeat_no_show_from=doc.policy.repeat_no_show_from,
        ),
    )


def _step(step: StepDoc | None) -> PlaybookStep | None:
    return None if step is None else to_step(step)


def to_step(step: StepDoc) -> PlaybookStep:
    """The step as the planner sees it, its offset read from `before`/`after`."""
    offset = step.before if isinstance(step, ReminderDoc) else getattr(step, "after", 0)
    return _offset_step(step, int(offset))


def _offset_step(step: StepDoc, offset_s: int) -> PlaybookStep:
    return PlaybookStep(
        id=step.id,
        template=step.template,
        offset_s=offset_s,
        channels=tuple(step.channels),
        fallback=step.fallback,
        recipient=step.recipient,
        content=content_selectors(step),
        segment=step.segment if isinstance(step, FollowUpDoc) else None,
        stop_when=tuple(step.stop_when) if isinstance(step, FollowUpDoc) else (),
    )


def content_selectors(step: StepDoc) -> tuple[ContentSelector, ...]:
    return tuple(
        ContentSelector(
            kinds=tuple(c.kind), for_kind=c.for_kind, topics=tuple(c.topics), slot=c.slot
        )
        for c in step.content
    )


def minute_of_day(clock: str) -> int:
    hours, minutes = clock.strip().split(":")
    return int(hours) * 60 + int(minutes)


def _quiet_hours(quiet: QuietHoursDoc | None) -> QuietHours | None:
    if quiet is None or minute_of_day(quiet.start) == minute_of_day(quiet.end):
        return None
    return QuietHours(minute_of_day(quiet.start), minute_of_day(quiet.end))


def to_templates(doc: PlaybookDocument) -> PlaybookTemplates:
    """The copy as frozen data. Call on a document that passed validation: it assumes
    every locale's strings are complete."""
    layouts = doc.layouts
    return PlaybookTemplates(
        default_locale=doc.default_locale,
        locales={
            locale: TemplateSet(
                locale=locale,
                strings=to_strings(template_set.strings),
                templates={name: _template(t) for name, t in template_set.templates.items()},
            )
            for locale, template_set in doc.locales.items()
        },
        variants={arm: dict(swaps) for arm, swaps in doc.variants.items()},
        layouts=Layouts(
            email_html=layouts.email_html or DEFAULT_LAYOUTS.email_html,
            email_text=layouts.email_text or DEFAULT_LAYOUTS.email_text,
            sms=layouts.sms or DEFAULT_LAYOUTS.sms,
            whatsapp=layouts.whatsapp or DEFAULT_LAYOUTS.whatsapp,
        ),
    )


def to_strings(s: StringsDoc) -> LocaleStrings:
    def need(value: Any) -> Any:
        if value is None:
            raise ValueError("incomplete locale strings: validate the document first")
        return value

    fallbacks = need(s.fallbacks)
    lateness = need(s.lateness)
    return LocaleStrings(
        greeting=need(s.greeting),
        sign_off=need(s.sign_off),
        sms_opt_out=need(s.sms_opt_out),
        sent_by=need(s.sent_by),
        unsubscribe=need(s.unsubscribe),
        when_format=need(s.when_format),
        kind_nouns=dict(need(s.kind_nouns)),
        content_nouns=dict(need(s.content_nouns)),
        content_kind_nouns=dict(need(s.content_kind_nouns)),
        value_lines=dict(need(s.value_lines)),
        short_value_lines=dict(need(s.short_value_lines)),
        fallbacks=Fallbacks(**fallbacks.model_dump()),
        lateness=Lateness(**lateness.model_dump()),
    )


def _template(doc: MessageTemplateDoc) -> MessageTemplate:
    cases = {
        Case.REPEAT: doc.repeat,
        Case.WITHOUT_CONTENT: doc.without_content,
        Case.WITHOUT_ALTERNATIVE: doc.without_alternative,
    }
    return MessageTemplate(
        copy=_copy(doc),
        cases={case: _copy(copy) for case, copy in cases.items() if copy is not None},
        link=doc.link,
    )


def _copy(doc: CopyDoc) -> MessageCopy:
    return MessageCopy(
        email=_email(doc.email),
        short=_short(doc.short),
        sms=_short(doc.sms),
        whatsapp=_short(doc.whatsapp),
        in_app=InAppCopy(doc.in_app.title, doc.in_app.body) if doc.in_app else None,
    )


def _email(doc: EmailCopyDoc | None) -> EmailCopy | None:
    if doc is None:
        return None
    return EmailCopy(
        subject=doc.subject,
        paragraphs=tuple(doc.paragraphs),
        cta=Cta(doc.cta.label, doc.cta.url),
        greeting=doc.greeting,
        sign_off=doc.sign_off,
    )


def _short(doc: ShortCopyDoc | None) -> ShortCopy | None:
    return None if doc is None else ShortCopy(doc.headline, doc.link, doc.detail)


# ---------------------------------------------------------------------------- content library


class ContentItemDoc(_Doc):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    title: Text
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    kind: ContentKind
    topics: list[Text] = Field(default_factory=list)
    appointment_kinds: list[AppointmentKind] = Field(
        default_factory=list, description="kinds the item suits; empty: every kind"
    )


class ContentLibraryDoc(_Doc):
    items: list[ContentItemDoc] = Field(default_factory=list)


def to_library(doc: ContentLibraryDoc) -> ContentLibrary:
    return ContentLibrary(
        tuple(
            ContentItem(
                id=item.id,
                title=item.title,
                url=item.url,
                kind=item.kind,
                topics=tuple(item.topics),
                appointment_kinds=tuple(item.appointment_kinds),
            )
            for item in doc.items
        )
    )

"""Preview a playbook: every step of every phase, for a sample or a real appointment, in
every locale and on every channel the step may use, with its planned send time in the
contact's zone and the length of each SMS. The HTML email bodies are complete documents
a browser can show. The result is plain dataclasses the API serialises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rebook.core.brand import Brand
from rebook.core.contracts import AppointmentDetails, SequenceState
from rebook.core.domain import AppointmentStatus, Channel
from rebook.core.playbook import ContentSlot, PlaybookStep
from rebook.core.playbook_plan import (
    PlannedStep,
    cancellation_notice,
    plan,
    possible_channels,
)
from rebook.core.rules import zone_or_utc
from rebook.playbooks import dates
from rebook.playbooks.content import EMPTY_LIBRARY, ContentChoice, ContentLibrary
from rebook.playbooks.rendering import PlaybookRenderer, TemplateRenderError
from rebook.playbooks.samples import sample_appointment, sample_extras, sample_links
from rebook.playbooks.sms import SmsLength
from rebook.playbooks.validation import SAMPLE_BRAND, LoadedPlaybook
from rebook.playbooks.variables import AppointmentExtras, ContactLinks, RenderRequest

# How long before the appointment the preview books it: every reminder is then planned.
DEFAULT_LEAD_TIME = timedelta(days=7)
MISSED_AFTER_START = timedelta(minutes=15)


@dataclass(frozen=True)
class RenderPreview:
    locale: str
    channel: Channel
    # Where the channel comes in the step's order for this contact; None when the contact
    # cannot be reached on it (the copy is shown all the same).
    planned_position: int | None
    due_text: str  # the send time as the contact reads it, in this locale
    subject: str = ""
    body: str = ""
    html_body: str | None = None
    sms: SmsLength | None = None
    error: str | None = None  # a template that fails for this appointment


@dataclass(frozen=True)
class ContentPreview:
    slot: ContentSlot
    url: str
    source: str
    title: str | None


@dataclass(frozen=True)
class StepPreview:
    step: str
    template: str | None
    action: str
    recipient: str
    due_at: datetime  # UTC
    due_at_local: datetime  # the same moment in the contact's zone
    channels: tuple[Channel, ...]  # the planned order for this contact
    content: tuple[ContentPreview, ...] = ()
    renders: tuple[RenderPreview, ...] = ()


@dataclass(frozen=True)
class ScenarioPreview:
    name: str
    description: str
    steps: tuple[StepPreview, ...]


@dataclass(frozen=True)
class PlaybookPreview:
    playbook: str
    version: int
    appointment_id: str
    contact_timezone: str
    locales: tuple[str, ...]
    scenarios: tuple[ScenarioPreview, ...]


def preview_playbook(
    loaded: LoadedPlaybook,
    *,
    appointment: AppointmentDetails | None = None,
    extras: AppointmentExtras | None = None,
    links: ContactLinks | None = None,
    brand: Brand = SAMPLE_BRAND,
    library: ContentLibrary = EMPTY_LIBRARY,
    booked_at: datetime | None = None,
    locales: Sequence[str] | None = None,
) -> PlaybookPreview:
    """Render every step of every phase (see the module docstring).

    Without an appointment, the sample appointment (every optional detail present) is
    used. booked_at defaults to a week before the start, so every reminder shows.
    """
    appointment = appointment or sample_appointment()
    extras = extras or (sample_extras() if appointment.appointment_id == "apt_sample" else None)
    links = links or (sample_links() if appointment.appointment_id == "apt_sample" else None)
    booked_at = booked_at or appointment.starts_at - DEFAULT_LEAD_TIME
    wanted = tuple(locales) if locales else tuple(loaded.templates.locales)
    renderer = PlaybookRenderer(loaded.templates, brand, library)
    preview = _Preview(
        loaded,
        renderer,
        appointment,
        extras or AppointmentExtras(),
        links or ContactLinks(),
        wanted,
    )
    return PlaybookPreview(
        playbook=loaded.playbook.name,
        version=loaded.playbook.version,
        appointment_id=appointment.appointment_id,
        contact_timezone=appointment.contact.timezone,
        locales=wanted,
        scenarios=tuple(preview.scenarios(booked_at)),
    )


@dataclass(frozen=True)
class _Preview:
    loaded: LoadedPlaybook
    renderer: PlaybookRenderer
    appointment: AppointmentDetails
    extras: AppointmentExtras
    links: ContactLinks
    locales: tuple[str, ...]

    def scenarios(self, booked_at: datetime) -> list[ScenarioPreview]:
        playbook = self.loaded.playbook
        starts_at = self.appointment.starts_at
        missed_at = starts_at + MISSED_AFTER_START
        limit = playbook.policy.reschedule_limit
        repeat = playbook.policy.repeat_no_show_from
        scheduled = SequenceState(AppointmentStatus.SCHEDULED, starts_at, booked_at)
        cases = [
            ("booked", "Booked: confirmation and reminders", scheduled, 0),
            (
                "rescheduled",
                "Rescheduled to this slot: new confirmation, anticipation steps, reminders",
                replace(scheduled, reschedule_count=1),
                0,
            ),
            (
                "over_reschedule_limit",
                f"Rescheduled {limit + 1} times, over the limit: the host is alerted",
                replace(scheduled, reschedule_count=limit + 1, flagged=True),
                0,
            ),
            (
                "missed_first",
                "Missed, the contact's first no-show",
                replace(scheduled, status=AppointmentStatus.MISSED, missed_at=missed_at),
                1,
            ),
            (
                "missed_repeat",
                f"Missed, a repeat no-show (miss number {repeat})",
                replace(scheduled, status=AppointmentStatus.MISSED, missed_at=missed_at),
                repeat,
            ),
            (
                "attended",
                "Attended: thank-you and next steps",
                replace(scheduled, status=AppointmentStatus.ATTENDED),
                0,
            ),
        ]
        result = []
        for name, description, state, misses in cases:
            state = replace(state, contact_no_show_total=misses)
            steps = plan(playbook, self.appointment, state)
            result.append(
                ScenarioPreview(name, description, tuple(self._step(s, state) for s in steps))
            )
        notice = cancellation_notice(playbook, self.appointment, starts_at - timedelta(days=1))
        result.append(
            ScenarioPreview(
                "cancelled",
                "Cancelled the day before: the notice",
                (self._step(notice, scheduled),) if notice else (),
            )
        )
        return result

    def _step(self, planned: PlannedStep, state: SequenceState) -> StepPreview:
        zone = zone_or_utc(self.appointment.contact.timezone)
        step = StepPreview(
            step=planned.step,
            template=planned.template,
            action=planned.action.value,
            recipient=planned.recipient.value,
            due_at=planned.due_at,
            due_at_local=dates.in_zone(planned.due_at, zone),
            channels=planned.channels,
        )
        if planned.template is None:
            return step
        base = self._request(planned, Channel.EMAIL, state, self.locales[0])
        content = tuple(_content(self.renderer.choose(base, slot)) for slot in ContentSlot)
        renders = tuple(
            self._render(planned, channel, state, locale)
            for locale in self.locales
            for channel in self._channels(planned)
        )
        return replace(step, content=content, renders=renders)

    def _channels(self, planned: PlannedStep) -> tuple[Channel, ...]:
        definition = self._definition(planned.step)
        possible = possible_channels(definition) if definition else planned.channels
        return tuple(dict.fromkeys((*planned.channels, *possible)))

    def _definition(self, step_id: str) -> PlaybookStep | None:
        phases = self.loaded.playbook.phases
        steps = [
            phases.before.confirmation,
            *phases.before.reminders,
            *phases.missed,
            phases.rescheduled.confirmation,
            *phases.rescheduled.steps,
            phases.rescheduled.host_alert,
            *phases.attended,
            phases.cancelled.notice,
        ]
        return next((s for s in steps if s is not None and s.id == step_id), None)

    def _request(
        self, planned: PlannedStep, channel: Channel, state: SequenceState, locale: str
    ) -> RenderRequest:
        assert planned.template is not None
        return RenderRequest(
            template=planned.template,
            channel=channel,
            appointment=replace(self.appointment, starts_at=state.starts_at),
            scheduled_for=planned.due_at,
            recipient=planned.recipient,
            step=planned.step,
            segment=self.loaded.playbook.segment_for(state.contact_no_show_total),
            contact_no_show_total=state.contact_no_show_total,
            reschedule_count=state.reschedule_count,
            content=planned.content,
            extras=replace(self.extras, contact_locale=locale),
            links=self.links,
        )

    def _render(
        self, planned: PlannedStep, channel: Channel, state: SequenceState, locale: str
    ) -> RenderPreview:
        zone = zone_or_utc(self.appointment.contact.timezone)
        pattern = self.loaded.templates.locales[locale].strings.when_format
        position = planned.channels.index(channel) if channel in planned.channels else None
        preview = RenderPreview(
            locale=locale,
            channel=channel,
            planned_position=position,
            due_text=dates.format_when(planned.due_at, zone, locale, pattern),
        )
        try:
            message = self.renderer.render(self._request(planned, channel, state, locale))
        except TemplateRenderError as err:
            return replace(preview, error=str(err))
        return replace(
            preview,
            subject=message.subject,
            body=message.body,
            html_body=message.html_body,
            sms=message.sms,
        )


def _content(choice: ContentChoice) -> ContentPreview:
    return ContentPreview(
        slot=choice.slot,
        url=choice.url,
        source=choice.source.value,
        title=choice.item.title if choice.item else None,
    )

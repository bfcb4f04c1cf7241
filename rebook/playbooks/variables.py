"""The variable contract of playbook templates: what a template may use, built from the
appointment a message is about.

    contact      name, first_name, first_name_short (SMS-safe, 20 chars), locale,
                 timezone, no_show_total (misses across the contact's appointments)
    host         name, first_name
    appointment  id, kind (demo|consultation|webinar|other), kind_noun ("demo"), topic,
                 topic_short (48 chars), interest?, when ("Tue 1 Dec 2026, 16:00 CET"),
                 when_utc, date ("Tuesday, December 1, 2026"), time ("4:00 PM CET"),
                 weekday, duration ("30 minutes"), duration_minutes, location?,
                 join_url?, instructions?, reschedule_count, lateness ("earlier today",
                 "yesterday", "on Tuesday", "on March 3": when the appointment was, seen
                 from the moment the message is sent)
    brand        name, sender_name (the name when unset), primary_colour (header and
                 button), accent_colour (the band above the header), logo_url? (http(s)
                 only), footer?, postal_address?: the workspace's rebook.core.brand.Brand
    links        reschedule, self_service (the reschedule link when there is none),
                 content, alternative (the chosen content, see content.py), unsubscribe?,
                 join?
    content      available (real content, not the reschedule page), url, title?, kind?,
                 noun ("recording"), source (library|appointment|reschedule)
    alternative  the same, for the lower-friction alternative (webinar, ebook, community)
    segment      "first" or "repeat" (repeat no-show)
    value_line, short_value_line   what the appointment was worth, by kind (strings)
    step, channel, recipient, locale

Fields marked ? may be absent. An absent value is falsy (`{% if appointment.location %}`)
and `| default(...)` replaces it, but printing it unguarded is an error, and validation
renders every template for an appointment that has none of them, so an unguarded use
fails validation rather than a send. Times are formatted with babel for the template's
locale in the contact's zone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from rebook.core.brand import Brand
from rebook.core.contracts import AppointmentDetails, DeliveryRequest
from rebook.core.domain import Channel, Recipient
from rebook.core.playbook import ContentSelector, Segment
from rebook.core.rules import zone_or_utc
from rebook.playbooks import dates
from rebook.playbooks.content import ContentChoice
from rebook.playbooks.templates import LocaleStrings, NotSet, clip, safe_url

# Short channels have a hard length budget; user-supplied text is clipped to fit.
SHORT_TOPIC_CHARS: Final = 48
SHORT_NAME_CHARS: Final = 20


@dataclass(frozen=True)
class AppointmentExtras:
    """The optional details a message may show, as the renderer reads them: from the
    appointment and its contact (`of`), or made up for samples and previews."""

    location: str | None = None
    join_url: str | None = None
    instructions: str | None = None  # pre-appointment instructions
    interest: str | None = None  # what the contact said they want; steers content choice
    contact_locale: str | None = None  # e.g. "es" or "pt-BR"; picks the template locale

    @classmethod
    def of(cls, appointment: AppointmentDetails) -> AppointmentExtras:
        return cls(
            location=appointment.location,
            join_url=appointment.join_url,
            instructions=appointment.instructions,
            interest=appointment.interest,
            contact_locale=appointment.contact.locale,
        )


@dataclass(frozen=True)
class ContactLinks:
    self_service: str | None = None  # the contact's manage-my-booking page
    unsubscribe: str | None = None  # one-click unsubscribe for this contact and channel


@dataclass(frozen=True)
class RenderRequest:
    """One message to render: a template on a channel for an appointment."""

    template: str
    channel: Channel
    appointment: AppointmentDetails
    scheduled_for: datetime  # when the message goes out (anchors `lateness`)
    recipient: Recipient = Recipient.CONTACT
    step: str = ""
    variant: str = "a"
    segment: Segment = Segment.FIRST
    contact_no_show_total: int = 0
    reschedule_count: int = 0
    content: tuple[ContentSelector, ...] = ()
    extras: AppointmentExtras = field(default_factory=AppointmentExtras)
    links: ContactLinks = field(default_factory=ContactLinks)

    @classmethod
    def from_delivery(
        cls,
        request: DeliveryRequest,
        *,
        repeat_no_show_from: int = 2,
        content: tuple[ContentSelector, ...] | None = None,
        extras: AppointmentExtras | None = None,
        links: ContactLinks | None = None,
    ) -> RenderRequest:
        """The message a workflow step asked for. content, extras and links default to
        what the request and its appointment carry."""
        repeat = request.contact_no_show_total >= repeat_no_show_from
        return cls(
            template=request.template,
            channel=request.channel,
            appointment=request.appointment,
            scheduled_for=request.scheduled_for,
            recipient=request.recipient,
            step=request.step,
            variant=request.appointment.variant,
            segment=Segment.REPEAT if repeat else Segment.FIRST,
            contact_no_show_total=request.contact_no_show_total,
            reschedule_count=request.reschedule_count,
            content=request.content if content is None else content,
            extras=extras or AppointmentExtras.of(request.appointment),
            links=links or ContactLinks(),
        )


@dataclass(frozen=True)
class ContactVariables:
    name: str
    first_name: str
    first_name_short: str
    locale: str | None
    timezone: str
    no_show_total: int


@dataclass(frozen=True)
class HostVariables:
    name: str
    first_name: str


@dataclass(frozen=True)
class AppointmentVariables:
    id: str
    kind: str
    kind_noun: str
    topic: str
    topic_short: str
    interest: str | None
    when: str
    when_utc: str
    date: str
    time: str
    weekday: str
    duration: str
    duration_minutes: int
    location: str | None
    join_url: str | None
    instructions: str | None
    reschedule_count: int
    lateness: str


@dataclass(frozen=True)
class BrandVariables:
    name: str
    sender_name: str
    primary_colour: str
    accent_colour: str
    logo_url: str | None
    footer: str | None
    postal_address: str | None


@dataclass(frozen=True)
class LinkVariables:
    reschedule: str
    self_service: str
    content: str
    alternative: str
    unsubscribe: str | None
    join: str | None


@dataclass(frozen=True)
class ContentVariables:
    available: bool
    url: str
    title: str | None
    kind: str | None
    noun: str | None
    source: str


@dataclass(frozen=True)
class TemplateVariables:
    contact: ContactVariables
    host: HostVariables
    appointment: AppointmentVariables
    brand: BrandVariables
    links: LinkVariables
    content: ContentVariables
    alternative: ContentVariables
    segment: str
    value_line: str
    short_value_line: str
    step: str
    channel: str
    recipient: str
    locale: str


def build_variables(
    request: RenderRequest,
    locale: str,
    strings: LocaleStrings,
    brand: Brand,
    content: ContentChoice,
    alternative: ContentChoice,
) -> TemplateVariables:
    """Every variable but the value lines, which are templates over these (the renderer
    fills them in with `with_value_lines`)."""
    appointment = request.appointment
    contact = appointment.contact
    extras = request.extras
    zone = zone_or_utc(contact.timezone)
    fallbacks = strings.fallbacks
    first_name = first_name_of(contact.name) or fallbacks.first_name
    topic = appointment.topic.strip() or fallbacks.topic
    starts_at = appointment.starts_at
    return TemplateVariables(
        contact=ContactVariables(
            name=contact.name.strip() or fallbacks.contact_name,
            first_name=first_name,
            first_name_short=clip(first_name, SHORT_NAME_CHARS),
            locale=extras.contact_locale,
            timezone=contact.timezone,
            no_show_total=request.contact_no_show_total,
        ),
        host=HostVariables(
            name=appointment.host.name.strip() or brand.name,
            first_name=first_name_of(appointment.host.name) or fallbacks.host_first_name,
        ),
        appointment=AppointmentVariables(
            id=appointment.appointment_id,
            kind=appointment.kind.value,
            kind_noun=strings.kind_nouns[appointment.kind],
            topic=topic,
            topic_short=clip(topic, SHORT_TOPIC_CHARS),
            interest=extras.interest or None,
            when=dates.format_when(starts_at, zone, locale, strings.when_format),
            when_utc=dates.format_when(starts_at, zone_or_utc("UTC"), locale, strings.when_format),
            date=dates.long_date(starts_at, zone, locale),
            time=dates.short_time(starts_at, zone, locale),
            weekday=dates.weekday(starts_at, zone, locale),
            duration=dates.minutes(appointment.duration_minutes, locale),
            duration_minutes=appointment.duration_minutes,
            location=extras.location or None,
            join_url=extras.join_url or None,
            instructions=extras.instructions or None,
            reschedule_count=request.reschedule_count,
            lateness="",  # filled by the renderer: it is a template of the locale
        ),
        brand=BrandVariables(
            name=brand.name,
            sender_name=brand.sender_name or brand.name,
            primary_colour=brand.primary_color,
            accent_colour=brand.accent_color,
            # A logo that is not plain http(s) is left out rather than shown broken.
            logo_url=_safe_or_none(brand.logo_url),
            footer=_text_or_none(brand.footer),
            postal_address=_text_or_none(brand.postal_address),
        ),
        links=LinkVariables(
            reschedule=appointment.reschedule_url,
            self_service=request.links.self_service or appointment.reschedule_url,
            content=content.url,
            alternative=alternative.url,
            unsubscribe=request.links.unsubscribe,
            join=extras.join_url or None,
        ),
        content=_content_variables(content, strings, appointment),
        alternative=_content_variables(alternative, strings, None),
        segment=request.segment.value,
        value_line="",
        short_value_line="",
        step=request.step or request.template,
        channel=request.channel.value,
        recipient=request.recipient.value,
        locale=locale,
    )


def _content_variables(
    choice: ContentChoice, strings: LocaleStrings, appointment: AppointmentDetails | None
) -> ContentVariables:
    item = choice.item
    if item is not None:
        noun: str | None = strings.content_kind_nouns[item.kind]
    else:
        # The appointment's own content is what its kind usually gets (a recording after
        # a demo...); an alternative has no such noun.
        noun = strings.content_nouns[appointment.kind] if appointment else None
    return ContentVariables(
        available=choice.available,
        url=choice.url,
        title=item.title if item else None,
        kind=item.kind.value if item else None,
        noun=noun,
        source=choice.source.value,
    )


def to_context(variables: TemplateVariables) -> dict[str, Any]:
    """The Jinja context: nested dicts, absent values as NotSet (see module docstring)."""
    return {
        f.name: _value(getattr(variables, f.name), f.name) for f in dataclasses.fields(variables)
    }


def _value(value: object, path: str) -> object:
    if value is None:
        return NotSet(
            hint=f"{path} is not set for this message; guard it with {{% if {path} %}}",
            name=path,
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _value(getattr(value, f.name), f"{path}.{f.name}")
            for f in dataclasses.fields(value)
        }
    return value


def _safe_or_none(url: str | None) -> str | None:
    return url if url and safe_url(url) != "#" else None


def _text_or_none(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def first_name_of(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else ""

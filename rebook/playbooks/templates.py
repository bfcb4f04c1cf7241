"""The copy of a playbook: message templates per locale, as frozen data, and the sandboxed
Jinja2 environments they render in.

Every string here is a Jinja2 template over the variable contract (variables.py). A
template has one copy per channel family (email, short for SMS and WhatsApp, in-app),
optional per-channel short copy (`sms`, `whatsapp`), and optional cases that replace
whole channel parts: `repeat` for repeat no-shows, `without_content` when the step has no
real content link, `without_alternative` when it has no real alternative link (earlier
cases win; parts a case leaves out come from the base copy).

Rendering is sandboxed (ImmutableSandboxedEnvironment: no Python internals, no mutation)
with StrictUndefined (a missing variable is an error, never an empty string). HTML parts
autoescape every variable; the copy's own text is trusted, as before.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Final
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, Template
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from rebook.core.domain import AppointmentKind, Channel
from rebook.core.playbook import ContentKind

# ---------------------------------------------------------------------------- copy


class LinkName(StrEnum):
    """The link a message is about (WhatsApp pre-approved templates get it as {{5}})."""

    RESCHEDULE = "reschedule"
    CONTENT = "content"
    ALTERNATIVE = "alternative"


@dataclass(frozen=True)
class Cta:
    label: str
    url: str


@dataclass(frozen=True)
class EmailCopy:
    subject: str
    paragraphs: tuple[str, ...]
    cta: Cta
    greeting: str | None = None  # None: the locale's strings.greeting
    sign_off: str | None = None  # None: the locale's strings.sign_off


@dataclass(frozen=True)
class ShortCopy:
    """SMS and WhatsApp: the headline and the link come first, detail only if room."""

    headline: str
    link: str
    detail: str = ""


@dataclass(frozen=True)
class InAppCopy:
    title: str
    body: str


@dataclass(frozen=True)
class MessageCopy:
    email: EmailCopy | None = None
    short: ShortCopy | None = None
    sms: ShortCopy | None = None  # SMS-only copy; else `short`
    whatsapp: ShortCopy | None = None  # WhatsApp-only copy; else `short`
    in_app: InAppCopy | None = None

    def part(self, channel: Channel) -> tuple[EmailCopy | ShortCopy | InAppCopy | None, str]:
        """The copy this channel uses, and its field name (for error paths)."""
        if channel is Channel.EMAIL:
            return self.email, "email"
        if channel is Channel.IN_APP:
            return self.in_app, "in_app"
        own = self.sms if channel is Channel.SMS else self.whatsapp
        if own is not None:
            return own, channel.value
        return self.short, "short"


class Case(StrEnum):
    REPEAT = "repeat"
    WITHOUT_CONTENT = "without_content"
    WITHOUT_ALTERNATIVE = "without_alternative"


@dataclass(frozen=True)
class MessageTemplate:
    copy: MessageCopy
    cases: Mapping[Case, MessageCopy] = field(default_factory=dict)
    link: LinkName = LinkName.RESCHEDULE

    def part_for(
        self, channel: Channel, active: tuple[Case, ...]
    ) -> tuple[EmailCopy | ShortCopy | InAppCopy | None, str]:
        """The copy for `channel` given the cases that hold (in precedence order), with
        its path below the template ("repeat.email", "short"...)."""
        for case in active:
            override = self.cases.get(case)
            if override is None:
                continue
            part, name = override.part(channel)
            if part is not None:
                return part, f"{case.value}.{name}"
        return self.copy.part(channel)


@dataclass(frozen=True)
class Fallbacks:
    """Words used when the appointment lacks a value (blank name, blank topic)."""

    first_name: str
    host_first_name: str
    contact_name: str
    topic: str


@dataclass(frozen=True)
class Lateness:
    """How long ago the appointment was, in words. `weekday` and `date` are templates
    over `weekday` / `date` (babel-formatted in the locale)."""

    today: str
    yesterday: str
    weekday: str
    date: str


@dataclass(frozen=True)
class LocaleStrings:
    greeting: str
    sign_off: str
    sms_opt_out: str
    sent_by: str
    unsubscribe: str
    when_format: str  # babel pattern; the zone's abbreviation is appended
    kind_nouns: Mapping[AppointmentKind, str]
    content_nouns: Mapping[AppointmentKind, str]  # when the content is the appointment's
    content_kind_nouns: Mapping[ContentKind, str]  # when it is a library item
    value_lines: Mapping[AppointmentKind, str]
    short_value_lines: Mapping[AppointmentKind, str]
    fallbacks: Fallbacks
    lateness: Lateness


@dataclass(frozen=True)
class TemplateSet:
    locale: str
    strings: LocaleStrings
    templates: Mapping[str, MessageTemplate]


@dataclass(frozen=True)
class Layouts:
    """Channel framing shared by every locale: the branded HTML email, the plain-text
    email, the SMS (sender prefix, opt-out line) and the WhatsApp message."""

    email_html: str
    email_text: str
    sms: str
    whatsapp: str


def _layout_file(name: str) -> str:
    return (resources.files("rebook.playbooks") / "layouts" / name).read_text(encoding="utf-8")


DEFAULT_LAYOUTS: Final = Layouts(
    email_html=_layout_file("email.html.j2"),
    email_text=_layout_file("email.txt.j2"),
    sms=_layout_file("sms.txt.j2"),
    whatsapp=_layout_file("whatsapp.txt.j2"),
)

FALLBACK_LOCALE: Final = "en"


@dataclass(frozen=True)
class PlaybookTemplates:
    """All the copy of one playbook version."""

    default_locale: str
    locales: Mapping[str, TemplateSet]
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    layouts: Layouts = DEFAULT_LAYOUTS

    def locale_for(self, wanted: str | None) -> str:
        """The contact's locale when the playbook has it (exactly, else its language),
        then the playbook's default, then English."""
        by_key = {normalise_locale(key): key for key in self.locales}
        if wanted:
            tag = normalise_locale(wanted)
            for candidate in (tag, tag.split("-")[0]):
                if candidate in by_key:
                    return by_key[candidate]
        if self.default_locale in self.locales:
            return self.default_locale
        if FALLBACK_LOCALE in self.locales:
            return FALLBACK_LOCALE
        raise LookupError("the playbook has no templates")

    def template_name(self, template: str, variant: str) -> str:
        """The template an experiment arm uses instead of `template` (itself if none)."""
        return self.variants.get(variant, {}).get(template, template)


def normalise_locale(tag: str) -> str:
    return tag.strip().replace("_", "-").lower()


# ---------------------------------------------------------------------------- Jinja

# Bounds on what one template may build, so a hostile or careless template cannot take a
# worker down: string/list repetition and powers are checked before they are computed.
MAX_REPEATED_LENGTH: Final = 10_000
MAX_EXPONENT: Final = 64


class NotSet(StrictUndefined):
    """An optional variable the appointment does not have (no location, no unsubscribe
    link...). Falsy, so `{% if appointment.location %}` guards it, and `| default(...)`
    replaces it; printing it unguarded fails like any undefined variable."""

    def __bool__(self) -> bool:  # type: ignore[override]
        return False


def safe_url(url: object) -> str:
    """The URL, or "#" when it is not plain http(s): a crafted "javascript:" link (say a
    bad content_url from the platform) must never become a clickable button."""
    text = str(url).strip()
    return text if urlsplit(text).scheme.lower() in ("http", "https") else "#"


def nl2br(value: object) -> Markup:
    return Markup(escape(value)).replace("\n", Markup("<br>\n"))


def upper_first(value: object) -> str:
    text = str(value)
    return text[:1].upper() + text[1:]


def clip(value: object, limit: int) -> str:
    """Shorten to at most `limit` characters, marking the cut with "...".

    Three dots rather than "…": that character is outside the GSM-7 SMS alphabet and
    would switch the whole SMS to UCS-2, cutting its length budget by more than half.
    """
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent above {MAX_EXPONENT}")
            return operator.pow(left, right)
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if sized and len(seq) * times > MAX_REPEATED_LENGTH:
                raise SecurityError(f"repetition longer than {MAX_REPEATED_LENGTH}")
        return operator.mul(left, right)


def _environment(*, html: bool) -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=html,
        keep_trailing_newline=False,
    )
    # range() and lipsum() build big values from small templates; copy needs neither.
    for unsafe in ("range", "lipsum"):
        env.globals.pop(unsafe, None)
    env.filters.update(safe_url=safe_url, nl2br=nl2br, upper_first=upper_first, clip=clip)
    return env


TEXT_ENVIRONMENT: Final = _environment(html=False)
HTML_ENVIRONMENT: Final = _environment(html=True)


@lru_cache(maxsize=4096)
def compile_template(source: str, *, html: bool) -> Template:
    """The compiled template (cached: copy is data shared by every message).

    Raises jinja2.TemplateSyntaxError."""
    return (HTML_ENVIRONMENT if html else TEXT_ENVIRONMENT).from_string(source)

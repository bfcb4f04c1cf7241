"""Validate a playbook document: its shape (pydantic), the rules that span fields, and
every template rendered against sample appointments, so that a missing variable, a
syntax error or a missing channel copy fails here, not when a message is due.

Every problem is reported, each with the exact path of the field in the document
(`phases.missed[2].channels[0]: unknown channel "fax"`), so an editor or the API's 422
can point at it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from babel import Locale, UnknownLocaleError
from pydantic import ValidationError

from rebook.core.brand import Brand
from rebook.core.domain import AppointmentKind, Channel, Recipient
from rebook.core.playbook import ChannelChoice, ContentKind, Playbook, Segment
from rebook.core.playbook_plan import RESERVED_STEP_IDS, possible_channels
from rebook.core.rules import format_duration, zone_or_utc
from rebook.playbooks import dates
from rebook.playbooks.content import EMPTY_LIBRARY, ContentLibrary, best_match
from rebook.playbooks.document import (
    MessageTemplateDoc,
    PlaybookDocument,
    StepDoc,
    StringsDoc,
    content_selectors,
    to_playbook,
    to_step,
    to_templates,
)
from rebook.playbooks.rendering import PlaybookRenderer, TemplateRenderError
from rebook.playbooks.samples import (
    SAMPLE_STARTS_AT,
    sample_appointment,
    sample_extras,
    sample_links,
    sample_send_times,
)
from rebook.playbooks.templates import PlaybookTemplates
from rebook.playbooks.variables import RenderRequest

# Offsets beyond this are surely a typo (a "24d" reminder meant as "24h").
MAX_OFFSET_S: Final = 365 * 86400
# An SMS longer than this many segments costs more than it earns: warned about.
SMS_SEGMENTS_WARNED: Final = 3
SAMPLE_BRAND: Final = Brand(name="Acme Scheduling", postal_address="1 Market St, San Francisco")

_PART_OF: Final = {
    Channel.EMAIL: "email",
    Channel.SMS: "short",
    Channel.WHATSAPP: "short",
    Channel.IN_APP: "in_app",
}


@dataclass(frozen=True)
class PlaybookIssue:
    path: str  # e.g. "phases.missed[2].channels[0]"; "" for the document as a whole
    message: str
    file: str | None = None  # set when the document was read from disk
    line: int | None = None

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else ""
        return f"{self.path or '(document)'}: {self.message}{where}"


class PlaybookInvalid(ValueError):
    def __init__(self, issues: Sequence[PlaybookIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True)
class LoadedPlaybook:
    """A valid playbook: the document (to store and serve), the sequence (to plan) and
    the copy (to render)."""

    document: PlaybookDocument
    playbook: Playbook
    templates: PlaybookTemplates
    warnings: tuple[PlaybookIssue, ...] = field(default=())


def validate_playbook(
    data: Mapping[str, Any], *, library: ContentLibrary = EMPTY_LIBRARY, from_disk: bool = False
) -> LoadedPlaybook:
    """Validate a playbook document (parsed JSON or YAML, locale files already merged).

    Raises PlaybookInvalid with every problem found. Warnings (a content selector that
    the given library cannot satisfy, an SMS over three segments) do not fail it.
    """
    try:
        doc = PlaybookDocument.model_validate(data)
    except ValidationError as err:
        raise PlaybookInvalid(pydantic_issues(err)) from None
    issues = list(structure_issues(doc, from_disk=from_disk))
    if issues:
        raise PlaybookInvalid(issues)
    templates = to_templates(doc)
    warnings: list[PlaybookIssue] = list(content_warnings(doc, library))
    render_problems, render_warnings = render_issues(doc, templates, library)
    if render_problems:
        raise PlaybookInvalid(render_problems)
    warnings.extend(render_warnings)
    return LoadedPlaybook(doc, to_playbook(doc), templates, tuple(warnings))


# ---------------------------------------------------------------------------- shape


def format_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else str(part)
    return path


def pydantic_issues(err: ValidationError) -> list[PlaybookIssue]:
    issues = []
    for error in err.errors(include_url=False):
        loc = error["loc"]
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f'unknown field "{loc[-1]}"'
        elif kind == "missing":
            message = "required"
        elif kind == "enum":
            expected = error.get("ctx", {}).get("expected", "")
            message = f'"{error["input"]}" is not allowed; expected {expected}'
        elif "[key]" in loc:
            message = f'"{loc[-2]}" is not an allowed key: {error["msg"]}'
            loc = loc[:-1]
        else:
            message = error["msg"]
        issues.append(PlaybookIssue(format_path(loc), message))
    return issues


# ---------------------------------------------------------------------------- structure


def steps_of(doc: PlaybookDocument) -> Iterator[tuple[str, StepDoc]]:
    """Every step with its path, in document order."""
    phases = doc.phases
    if phases.before.confirmation:
        yield "phases.before.confirmation", phases.before.confirmation
    for i, reminder in enumerate(phases.before.reminders):
        yield f"phases.before.reminders[{i}]", reminder
    for i, follow_up in enumerate(phases.missed):
        yield f"phases.missed[{i}]", follow_up
    if phases.rescheduled.confirmation:
        yield "phases.rescheduled.confirmation", phases.rescheduled.confirmation
    for i, anticipation in enumerate(phases.rescheduled.steps):
        yield f"phases.rescheduled.steps[{i}]", anticipation
    if phases.rescheduled.host_alert:
        yield "phases.rescheduled.host_alert", phases.rescheduled.host_alert
    for i, after_attended in enumerate(phases.attended):
        yield f"phases.attended[{i}]", after_attended
    if phases.cancelled.notice:
        yield "phases.cancelled.notice", phases.cancelled.notice


def structure_issues(doc: PlaybookDocument, *, from_disk: bool = False) -> Iterator[PlaybookIssue]:
    if doc.locale_files and not from_disk:
        yield PlaybookIssue(
            "locale_files",
            "only a playbook file read from disk may name files; send locales inline",
        )
    yield from _id_issues(doc)
    yield from _offset_issues(doc)
    yield from _channel_issues(doc)
    yield from _locale_issues(doc)
    yield from _template_issues(doc)


def _id_issues(doc: PlaybookDocument) -> Iterator[PlaybookIssue]:
    seen: dict[str, str] = {}
    before = doc.phases.before.confirmation
    for path, step in steps_of(doc):
        if step.id in RESERVED_STEP_IDS:
            yield PlaybookIssue(
                f"{path}.id", f'"{step.id}" is reserved for a step that sends nothing'
            )
            continue
        shares_confirmation = (
            path == "phases.rescheduled.confirmation"
            and before is not None
            and step.id == before.id
        )
        if step.id in seen and not shares_confirmation:
            yield PlaybookIssue(
                f"{path}.id", f'step id "{step.id}" is already used by {seen[step.id]}'
            )
        seen.setdefault(step.id, path)


def _offset_issues(doc: PlaybookDocument) -> Iterator[PlaybookIssue]:
    timing = doc.timing
    for name, value in (
        ("outcome_deadline_after_end", timing.outcome_deadline_after_end),
        ("close_as_lost_after_miss", timing.close_as_lost_after_miss),
    ):
        if value <= 0:
            yield PlaybookIssue(f"timing.{name}", "must be longer than 0")
    ordered = (
        ("phases.before.reminders", doc.phases.before.reminders, "before"),
        ("phases.rescheduled.steps", doc.phases.rescheduled.steps, "before"),
        ("phases.missed", doc.phases.missed, "after"),
        ("phases.attended", doc.phases.attended, "after"),
    )
    for base, steps, key in ordered:
        previous: int | None = None
        for i, step in enumerate(steps):
            offset: int = getattr(step, key)
            path = f"{base}[{i}].{key}"
            if key == "before" and offset <= 0:
                yield PlaybookIssue(
                    path, "must be longer than 0: the step goes out before the start"
                )
            elif offset > MAX_OFFSET_S:
                yield PlaybookIssue(path, f"{format_duration(offset)} is more than a year")
            elif previous is not None and (
                offset > previous if key == "before" else offset < previous
            ):
                yield PlaybookIssue(
                    path,
                    f"steps must be listed in the order they go out: {format_duration(offset)} "
                    f"{key} comes before {base}[{i - 1}] ({format_duration(previous)} {key})",
                )
            previous = offset
    for i, follow_up in enumerate(doc.phases.missed):
        if follow_up.after >= timing.close_as_lost_after_miss:
            yield PlaybookIssue(
                f"phases.missed[{i}].after",
                f"{format_duration(follow_up.after)} is not before timing.close_as_lost_after_miss "
                f"({format_duration(timing.close_as_lost_after_miss)}): it would never be sent",
            )


def _channel_issues(doc: PlaybookDocument) -> Iterator[PlaybookIssue]:
    for path, step in steps_of(doc):
        for i, choice in enumerate(step.channels):
            at = f"{path}.channels[{i}]"
            if choice in step.channels[:i]:
                yield PlaybookIssue(at, f'"{choice.value}" is listed twice')
            elif step.recipient is Recipient.HOST and choice is not ChannelChoice.EMAIL:
                yield PlaybookIssue(
                    at, f'hosts are emailed only: "{choice.value}" cannot reach one'
                )


def _locale_issues(doc: PlaybookDocument) -> Iterator[PlaybookIssue]:
    if not doc.locales:
        yield PlaybookIssue("locales", "a playbook needs the templates of at least one locale")
        return
    if doc.default_locale not in doc.locales:
        yield PlaybookIssue(
            "default_locale",
            f'"{doc.default_locale}" has no templates (locales: {", ".join(doc.locales)})',
        )
    for locale, template_set in doc.locales.items():
        try:
            Locale.parse(dates.babel_locale(locale))
        except (UnknownLocaleError, ValueError):
            yield PlaybookIssue(f"locales.{locale}", f'unknown locale "{locale}"')
            continue
        yield from _strings_issues(f"locales.{locale}.strings", template_set.strings, locale)


def _strings_issues(path: str, strings: StringsDoc, locale: str) -> Iterator[PlaybookIssue]:
    for name in StringsDoc.model_fields:
        value = getattr(strings, name)
        if value is None:
            yield PlaybookIssue(f"{path}.{name}", "missing: every locale needs it")
        elif isinstance(value, dict):
            keys: Sequence[AppointmentKind | ContentKind] = (
                list(ContentKind) if name == "content_kind_nouns" else list(AppointmentKind)
            )
            for key in keys:
                if key not in value:
                    yield PlaybookIssue(f"{path}.{name}.{key.value}", "missing")
    if strings.when_format is not None:
        try:
            dates.format_when(SAMPLE_STARTS_AT, zone_or_utc("UTC"), locale, strings.when_format)
        except Exception as err:  # babel raises several types for a bad pattern
            yield PlaybookIssue(f"{path}.when_format", f"not a babel date pattern: {err}")


def template_uses(doc: PlaybookDocument) -> dict[str, tuple[set[Channel], Recipient, str]]:
    """template name -> (channels it may be sent on, recipient, path of a step using it),
    including the templates experiment arms use instead."""
    uses: dict[str, tuple[set[Channel], Recipient, str]] = {}
    for path, step in steps_of(doc):
        channels = set(possible_channels(to_step(step)))
        known, _, first_path = uses.get(step.template, (set(), step.recipient, path))
        uses[step.template] = (known | channels, step.recipient, first_path)
    for arm, swaps in doc.variants.items():
        for base, replacement in swaps.items():
            if base in uses:
                channels, recipient, _ = uses[base]
                known, _, _ = uses.get(replacement, (set(), recipient, ""))
                uses[replacement] = (known | channels, recipient, f"variants.{arm}.{base}")
    return uses


def _template_issues(doc: PlaybookDocument) -> Iterator[PlaybookIssue]:
    used_by_steps = {step.template for _, step in steps_of(doc)}
    for arm, swaps in doc.variants.items():
        for base in swaps:
            if base not in used_by_steps:
                yield PlaybookIssue(f"variants.{arm}.{base}", f'no step uses template "{base}"')
    uses = template_uses(doc)
    for locale, template_set in doc.locales.items():
        for name, (channels, _, user) in uses.items():
            template = template_set.templates.get(name)
            if template is None:
                at = f"{user}.template" if user.startswith("phases") else user
                yield PlaybookIssue(at, f'no template "{name}" in locale "{locale}"')
                continue
            for channel in sorted(channels):
                if not _has_part(template, channel):
                    yield PlaybookIssue(
                        f"locales.{locale}.templates.{name}",
                        f"no {_PART_OF[channel]} copy, but {user} may send it by {channel.value}",
                    )


def _has_part(template: MessageTemplateDoc, channel: Channel) -> bool:
    if channel is Channel.EMAIL:
        return template.email is not None
    if channel is Channel.IN_APP:
        return template.in_app is not None
    own = template.sms if channel is Channel.SMS else template.whatsapp
    return own is not None or template.short is not None


# ---------------------------------------------------------------------------- content


def content_warnings(doc: PlaybookDocument, library: ContentLibrary) -> Iterator[PlaybookIssue]:
    """Selectors the given library cannot satisfy for any appointment kind they apply to:
    such steps always use the fallback (the appointment's own link, then rebooking)."""
    if not library.items:
        return
    for path, step in steps_of(doc):
        for i, selector in enumerate(content_selectors(step)):
            kinds = [selector.for_kind] if selector.for_kind else list(AppointmentKind)
            if not any(best_match(selector, library, kind, "") for kind in kinds):
                yield PlaybookIssue(
                    f"{path}.content[{i}]",
                    "no item of the content library matches: the fallback link is used",
                )


# ---------------------------------------------------------------------------- rendering


def render_issues(
    doc: PlaybookDocument, templates: PlaybookTemplates, library: ContentLibrary
) -> tuple[list[PlaybookIssue], list[PlaybookIssue]]:
    """Render every template a step (or arm) may send, on every channel it may go out on,
    in every locale, for sample appointments covering both segments, content found or not,
    alternative found or not, and every optional detail present or absent."""
    renderer = PlaybookRenderer(templates, SAMPLE_BRAND, library)
    problems: dict[str, PlaybookIssue] = {}
    longest: dict[str, int] = {}  # SMS segments, by template
    combos = list(itertools.product(Segment, (True, False), (True, False)))
    kinds = list(AppointmentKind)
    send_times = sample_send_times()
    for locale in templates.locales:
        for name, (channels, recipient, _) in template_uses(doc).items():
            for channel in sorted(channels):
                for i, (segment, with_links, full) in enumerate(combos):
                    appointment = sample_appointment(kinds[i % len(kinds)], full=with_links)
                    request = RenderRequest(
                        template=name,
                        channel=channel,
                        appointment=appointment,
                        scheduled_for=send_times[i % len(send_times)],
                        recipient=recipient,
                        segment=segment,
                        contact_no_show_total=2 if segment is Segment.REPEAT else 1,
                        reschedule_count=4,
                        extras=sample_extras(full=full, locale=locale),
                        links=sample_links(full=full),
                    )
                    try:
                        message = renderer.render(request)
                    except TemplateRenderError as err:
                        problems.setdefault(str(err), PlaybookIssue(err.path, err.message))
                        continue
                    if message.sms and message.sms.segments > SMS_SEGMENTS_WARNED:
                        at = f"locales.{locale}.templates.{message.template}"
                        longest[at] = max(longest.get(at, 0), message.sms.segments)
    warnings = [
        PlaybookIssue(at, f"the SMS runs to {segments} segments for a long sample appointment")
        for at, segments in longest.items()
    ]
    return list(problems.values()), warnings

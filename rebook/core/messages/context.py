"""Build the values a template is filled with from a DeliveryRequest.

Everything here is raw, unescaped text; the renderer escapes it for HTML. Keeping the
context a flat str->str mapping lets plain str.format_map do the filling and makes a
missing placeholder fail loudly (KeyError) instead of sending "{topic}" to a customer.
"""

from __future__ import annotations

from typing import Final

from rebook.core.contracts import DeliveryRequest
from rebook.core.messages.lateness import missed_when
from rebook.core.messages.timefmt import format_local, format_utc
from rebook.core.messages.value_lines import (
    CONTENT_NOUNS,
    KIND_NOUNS,
    SHORT_VALUE_LINES,
    VALUE_LINES,
)
from rebook.core.rules import zone_or_utc
from rebook.core.steps import Template

RenderContext = dict[str, str]

# Misses of this contact, across appointments, from which the message gets firmer.
REPEAT_NO_SHOW_THRESHOLD: Final = 2

# Segments pick a different copy of the same template; "default" always exists.
DEFAULT_SEGMENT: Final = "default"
REPEAT_SEGMENT: Final = "repeat"  # a repeat no-show: ask for commitment
FALLBACK_SEGMENT: Final = "fallback"  # the link the copy is about is missing

_NO_SHOW_TEMPLATES: Final = frozenset({Template.NO_SHOW_FOLLOWUP, Template.NO_SHOW_NUDGE})

# Short channels have a hard length budget; user-supplied text is clipped to fit.
_SHORT_TOPIC_CHARS: Final = 48
_SHORT_NAME_CHARS: Final = 20


def message_segment(request: DeliveryRequest) -> str:
    """Which copy of the template this request needs, before A/B variants are applied."""
    template = request.template
    appointment = request.appointment
    if template in _NO_SHOW_TEMPLATES and request.contact_no_show_total >= (
        REPEAT_NO_SHOW_THRESHOLD
    ):
        return REPEAT_SEGMENT
    if template == Template.VALUE_CONTENT and not appointment.content_url:
        return FALLBACK_SEGMENT
    if template == Template.ALTERNATIVE_OFFER and not appointment.alternative_url:
        return FALLBACK_SEGMENT
    if template == Template.RESCHEDULE_CONFIRMATION and not appointment.content_url:
        return FALLBACK_SEGMENT
    return DEFAULT_SEGMENT


def build_context(request: DeliveryRequest, brand_name: str) -> RenderContext:
    appointment = request.appointment
    contact = appointment.contact
    zone = zone_or_utc(contact.timezone)
    first_name = first_name_of(contact.name) or "there"
    context: RenderContext = {
        "brand": brand_name,
        "first_name": first_name,
        "first_name_short": clip(first_name, _SHORT_NAME_CHARS),
        "contact_name": contact.name.strip() or "Your contact",
        "host_name": appointment.host.name.strip() or brand_name,
        "host_first_name": first_name_of(appointment.host.name) or "there",
        "topic": appointment.topic.strip() or "your goals",
        "topic_short": clip(appointment.topic.strip() or "your goals", _SHORT_TOPIC_CHARS),
        "kind_noun": KIND_NOUNS[appointment.kind],
        "content_noun": CONTENT_NOUNS[appointment.kind],
        "when": format_local(appointment.starts_at, zone),
        "when_utc": format_utc(appointment.starts_at),
        # Seen from when the step is due (the miss was reported then, for the follow-up).
        "missed_when": missed_when(appointment.starts_at, request.scheduled_for, zone),
        "duration": f"{appointment.duration_minutes} minutes",
        "reschedule_url": appointment.reschedule_url,
        # Absent links fall back to the reschedule page so a placeholder is never empty;
        # the FALLBACK segment copy does not pretend there is content behind it.
        "content_url": appointment.content_url or appointment.reschedule_url,
        "alternative_url": appointment.alternative_url or appointment.reschedule_url,
        "reschedule_count": str(request.reschedule_count),
        "no_show_total": str(request.contact_no_show_total),
    }
    context["value_line"] = VALUE_LINES[appointment.kind].format_map(context)
    context["short_value_line"] = SHORT_VALUE_LINES[appointment.kind].format_map(context)
    return context


def first_name_of(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else ""


def clip(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, marking the cut with "...".

    Three dots rather than "…": that character is outside the GSM-7 SMS alphabet and
    would switch the whole SMS to UCS-2, cutting its length budget by more than half.
    """
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."

"""The content library and the choice of content for a step.

A workspace keeps items (a recorded demo, a case study, a guide, a webinar...) tagged with
topics and the appointment kinds they suit. A step names what it wants with selectors
(`{for_kind: demo, kinds: [recording]}`); the first selector that applies to the
appointment and matches an item wins, and among matching items the one sharing most
topics with the appointment's topic and interest is chosen (ties: library order).

Documented fallback, when no selector yields an item: the appointment's own link for the
slot (content_url for `content`, alternative_url for `alternative`), then the reschedule
link. Templates see whether real content was found (`content.available`) so they never
promise a recording that is really the booking page.

Pure module: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rebook.core.contracts import AppointmentDetails
from rebook.core.domain import AppointmentKind
from rebook.core.playbook import ContentKind, ContentSelector, ContentSlot


@dataclass(frozen=True)
class ContentItem:
    id: str
    title: str
    url: str
    kind: ContentKind
    topics: tuple[str, ...] = ()
    # Appointment kinds the item suits; empty: every kind.
    appointment_kinds: tuple[AppointmentKind, ...] = ()


@dataclass(frozen=True)
class ContentLibrary:
    items: tuple[ContentItem, ...] = ()


EMPTY_LIBRARY = ContentLibrary()


class ContentSource(StrEnum):
    LIBRARY = "library"  # an item of the content library
    APPOINTMENT = "appointment"  # the appointment's own content_url / alternative_url
    RESCHEDULE = "reschedule"  # nothing found: the reschedule link stands in


@dataclass(frozen=True)
class ContentChoice:
    slot: ContentSlot
    url: str
    source: ContentSource
    item: ContentItem | None = None

    @property
    def available(self) -> bool:
        """True when the link leads to real content, not the reschedule page."""
        return self.source is not ContentSource.RESCHEDULE


def choose_content(
    selectors: Iterable[ContentSelector],
    library: ContentLibrary,
    appointment: AppointmentDetails,
    slot: ContentSlot,
    interest: str | None = None,
) -> ContentChoice:
    """The content for one slot of a step (see the module docstring for the rules)."""
    for selector in selectors:
        if selector.slot is not slot:
            continue
        if selector.for_kind is not None and selector.for_kind is not appointment.kind:
            continue
        item = best_match(selector, library, appointment.kind, appointment.topic, interest)
        if item is not None:
            return ContentChoice(slot, item.url, ContentSource.LIBRARY, item)
    own = appointment.content_url if slot is ContentSlot.CONTENT else appointment.alternative_url
    if own:
        return ContentChoice(slot, own, ContentSource.APPOINTMENT)
    return ContentChoice(slot, appointment.reschedule_url, ContentSource.RESCHEDULE)


def best_match(
    selector: ContentSelector,
    library: ContentLibrary,
    kind: AppointmentKind,
    topic: str,
    interest: str | None = None,
) -> ContentItem | None:
    candidates = [item for item in library.items if _matches(selector, item, kind)]
    if not candidates:
        return None
    words = _words(f"{topic} {interest or ''}")
    # max() keeps the first of equal scores: library order breaks ties.
    return max(candidates, key=lambda item: _overlap(item.topics, words))


def _matches(selector: ContentSelector, item: ContentItem, kind: AppointmentKind) -> bool:
    if selector.kinds and item.kind not in selector.kinds:
        return False
    if item.appointment_kinds and kind not in item.appointment_kinds:
        return False
    if selector.topics:
        wanted = {_normalise(t) for t in selector.topics}
        return any(_normalise(t) in wanted for t in item.topics)
    return True


def _overlap(topics: tuple[str, ...], words: str) -> int:
    """How many of the item's topics appear, as whole words, in the appointment's text."""
    return sum(1 for topic in topics if f" {_normalise(topic)} " in words)


def _normalise(text: str) -> str:
    return " ".join(re.split(r"[\W_]+", text.casefold())).strip()


def _words(text: str) -> str:
    return f" {_normalise(text)} "

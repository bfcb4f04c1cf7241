"""Content is picked by data: the first selector that applies and matches wins, the item
closest to the appointment's topic and interest is chosen, and without one the
appointment's own link, then the reschedule link, stand in."""

from __future__ import annotations

from rebook.core.domain import AppointmentKind
from rebook.core.playbook import ContentKind, ContentSelector, ContentSlot
from rebook.playbooks.content import (
    ContentItem,
    ContentLibrary,
    ContentSource,
    choose_content,
)
from tests.support.factories import appointment

DEMO_RECORDING = ContentItem(
    "rec",
    "Product tour",
    "https://x/rec",
    ContentKind.RECORDING,
    ("scheduling",),
    (AppointmentKind.DEMO,),
)
ONBOARDING_RECORDING = ContentItem(
    "rec-onb",
    "Onboarding tour",
    "https://x/onb",
    ContentKind.RECORDING,
    ("onboarding",),
    (AppointmentKind.DEMO,),
)
GUIDE = ContentItem(
    "guide",
    "No-show guide",
    "https://x/guide",
    ContentKind.GUIDE,
    ("no-shows",),
    (AppointmentKind.CONSULTATION,),
)
WEBINAR = ContentItem("web", "Monthly Q&A", "https://x/web", ContentKind.WEBINAR)
LIBRARY = ContentLibrary((DEMO_RECORDING, ONBOARDING_RECORDING, GUIDE, WEBINAR))

RECORDED_DEMO = ContentSelector(kinds=(ContentKind.RECORDING,), for_kind=AppointmentKind.DEMO)
GUIDE_FOR_CONSULTATION = ContentSelector(
    kinds=(ContentKind.GUIDE,), for_kind=AppointmentKind.CONSULTATION
)
ALTERNATIVE = ContentSelector(kinds=(ContentKind.WEBINAR,), slot=ContentSlot.ALTERNATIVE)
SELECTORS = (RECORDED_DEMO, GUIDE_FOR_CONSULTATION, ALTERNATIVE)


def test_the_recorded_demo_for_people_who_missed_a_demo() -> None:
    choice = choose_content(SELECTORS, LIBRARY, appointment(), ContentSlot.CONTENT)
    assert (choice.item, choice.source, choice.available) == (
        DEMO_RECORDING,
        ContentSource.LIBRARY,
        True,
    )


def test_a_guide_for_a_missed_consultation() -> None:
    consultation = appointment(kind=AppointmentKind.CONSULTATION)
    assert choose_content(SELECTORS, LIBRARY, consultation, ContentSlot.CONTENT).item == GUIDE


def test_topic_and_interest_choose_among_matching_items() -> None:
    about_onboarding = appointment(topic="Faster onboarding for new hires")
    assert (
        choose_content(SELECTORS, LIBRARY, about_onboarding, ContentSlot.CONTENT).item
        == ONBOARDING_RECORDING
    )
    by_interest = choose_content(
        SELECTORS, LIBRARY, appointment(topic="Intro"), ContentSlot.CONTENT, interest="onboarding"
    )
    assert by_interest.item == ONBOARDING_RECORDING


def test_selectors_fill_their_own_slot() -> None:
    choice = choose_content(SELECTORS, LIBRARY, appointment(), ContentSlot.ALTERNATIVE)
    assert choice.item == WEBINAR
    assert choice.url == "https://x/web"


def test_items_for_other_appointment_kinds_are_never_picked() -> None:
    webinar = appointment(kind=AppointmentKind.WEBINAR)
    anything = (ContentSelector(),)
    assert choose_content(anything, LIBRARY, webinar, ContentSlot.CONTENT).item == WEBINAR


def test_selector_topics_restrict_the_items() -> None:
    wanted = (ContentSelector(topics=("Onboarding",)),)
    assert choose_content(wanted, LIBRARY, appointment(), ContentSlot.CONTENT).item == (
        ONBOARDING_RECORDING
    )


def test_fallback_is_the_appointments_link_then_the_reschedule_link() -> None:
    other = appointment(kind=AppointmentKind.OTHER, content_url="https://own/content")
    own = choose_content(SELECTORS, LIBRARY, other, ContentSlot.CONTENT)
    assert (own.url, own.source, own.available) == (
        "https://own/content",
        ContentSource.APPOINTMENT,
        True,
    )
    bare = appointment(kind=AppointmentKind.OTHER)
    none = choose_content(SELECTORS, ContentLibrary(), bare, ContentSlot.ALTERNATIVE)
    assert (none.url, none.source, none.available) == (
        bare.reschedule_url,
        ContentSource.RESCHEDULE,
        False,
    )

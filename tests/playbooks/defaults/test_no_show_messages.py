"""After a miss: gentle first, firmer for repeats, always a way back in."""

from __future__ import annotations

import pytest

from rebook.core.domain import AppointmentKind, Channel
from rebook.core.steps import Template
from tests.support.factories import appointment
from tests.support.messages import BRAND, delivery, render

NO_SHOW_TEMPLATES = [
    Template.NO_SHOW_FOLLOWUP,
    Template.NO_SHOW_NUDGE,
    Template.VALUE_CONTENT,
    Template.ALTERNATIVE_OFFER,
]
FIRST_MISS = 1
REPEAT_MISS = 2


@pytest.mark.parametrize("template", NO_SHOW_TEMPLATES)
@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("variant", ["a", "b"])
@pytest.mark.parametrize("no_show_total", [FIRST_MISS, REPEAT_MISS])
def test_every_no_show_message_offers_the_reschedule_link(
    template: Template, channel: Channel, variant: str, no_show_total: int
) -> None:
    details = appointment(
        content_url="https://media.example.com/rec", alternative_url="https://example.com/web"
    )
    message = render(
        delivery(template, channel, details, variant=variant, contact_no_show_total=no_show_total)
    )

    if channel == Channel.IN_APP:
        # In-app notifications open the booking in the app; they carry no URL text.
        return
    assert details.reschedule_url in message.body
    if message.html_body is not None:
        assert details.reschedule_url in message.html_body


@pytest.mark.parametrize("channel", list(Channel))
def test_first_no_show_is_gentle(channel: Channel) -> None:
    message = render(delivery(Template.NO_SHOW_FOLLOWUP, channel, contact_no_show_total=FIRST_MISS))

    text = f"{message.subject} {message.body}".lower()
    assert "missed you" in text
    assert "confirm" not in text


@pytest.mark.parametrize("template", [Template.NO_SHOW_FOLLOWUP, Template.NO_SHOW_NUDGE])
@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("variant", ["a", "b"])
def test_repeat_no_show_differs_and_asks_for_commitment(
    template: Template, channel: Channel, variant: str
) -> None:
    first = render(delivery(template, channel, variant=variant, contact_no_show_total=FIRST_MISS))
    repeat = render(delivery(template, channel, variant=variant, contact_no_show_total=REPEAT_MISS))

    assert repeat != first
    assert "confirm" in f"{repeat.subject} {repeat.body}".lower()


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS, Channel.WHATSAPP])
def test_repeat_no_show_is_offered_a_less_time_sensitive_channel(channel: Channel) -> None:
    message = render(
        delivery(Template.NO_SHOW_FOLLOWUP, channel, contact_no_show_total=REPEAT_MISS)
    )

    assert "email" in message.body.lower()


def test_no_show_followup_is_not_accusatory() -> None:
    details = appointment(topic="Quarterly planning")
    message = render(delivery(Template.NO_SHOW_FOLLOWUP, Channel.EMAIL, details))

    text = f"{message.subject} {message.body}".lower()
    for blame in ("failed to", "didn't show", "did not show", "no-show", "wasted"):
        assert blame not in text


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (AppointmentKind.DEMO, "showing you how Acme can help with Cutting no-shows"),
        (AppointmentKind.CONSULTATION, "talk through Cutting no-shows"),
        (AppointmentKind.WEBINAR, "session on Cutting no-shows"),
        (AppointmentKind.OTHER, "conversation about Cutting no-shows"),
    ],
)
def test_followup_reminds_of_the_value_by_kind_and_topic(
    kind: AppointmentKind, expected: str
) -> None:
    message = render(delivery(Template.NO_SHOW_FOLLOWUP, Channel.EMAIL, appointment(kind=kind)))

    assert expected in message.body


@pytest.mark.parametrize(
    ("kind", "content_noun"),
    [
        (AppointmentKind.DEMO, "recording"),
        (AppointmentKind.WEBINAR, "recording"),
        (AppointmentKind.CONSULTATION, "guide"),
        (AppointmentKind.OTHER, "case study"),
    ],
)
def test_value_content_names_the_right_kind_of_content(
    kind: AppointmentKind, content_noun: str
) -> None:
    details = appointment(kind=kind, content_url="https://media.example.com/c")
    message = render(delivery(Template.VALUE_CONTENT, Channel.EMAIL, details))

    assert content_noun in message.subject
    assert "https://media.example.com/c" in message.body


@pytest.mark.parametrize("channel", list(Channel))
def test_value_content_without_content_falls_back_to_rebooking(channel: Channel) -> None:
    message = render(delivery(Template.VALUE_CONTENT, channel))

    text = f"{message.subject} {message.body}".lower()
    for promised in ("recording", "guide", "case study"):
        assert promised not in text


def test_alternative_offer_links_the_alternative() -> None:
    details = appointment(alternative_url="https://community.example.com/join")
    message = render(delivery(Template.ALTERNATIVE_OFFER, Channel.SMS, details))

    assert "https://community.example.com/join" in message.body


def test_alternative_offer_without_alternative_still_leaves_the_door_open() -> None:
    details = appointment(alternative_url=None)
    message = render(delivery(Template.ALTERNATIVE_OFFER, Channel.EMAIL, details))

    assert details.reschedule_url in message.body


def test_first_follow_up_has_value_line_on_every_channel_and_variant() -> None:
    """Every first follow-up carries the meeting's value (and, outside in-app, the
    reschedule link) whichever channel it goes out on and whichever A/B arm it is in."""
    details = appointment(kind=AppointmentKind.DEMO, topic="Cutting no-shows")
    for channel in Channel:
        for variant in ("a", "b"):
            for total in (1, 2):
                request = delivery(
                    Template.NO_SHOW_FOLLOWUP,
                    channel,
                    details,
                    contact_no_show_total=total,
                    variant=variant,
                )
                body = render(request).body
                assert f"how {BRAND.name} helps with Cutting no-shows" in body or (
                    f"how {BRAND.name} can help with Cutting no-shows" in body
                ), (channel, variant, total, body)
                if channel is not Channel.IN_APP:
                    assert details.reschedule_url in body

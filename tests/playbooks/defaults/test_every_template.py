"""Every template renders on every channel, in every variant and segment."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rebook.core.domain import AppointmentKind, Channel
from rebook.core.ports import RenderFailed
from rebook.core.steps import Template
from tests.support.factories import appointment
from tests.support.messages import BRAND, HOST_TEMPLATES, delivery, render

CONTACT_TEMPLATES = [t for t in Template if t not in HOST_TEMPLATES]
# Unfilled placeholders: the old "{topic}" spelling, and Jinja's own.
LEFTOVER_PLACEHOLDER = re.compile(r"\{[a-z_]*\}|\{\{|\{%")

# A realistic worst case for the short channels: long names, long topic, long URLs.
LONG = appointment(
    topic="Reducing onboarding drop-off across our three regional sales teams in EMEA",
    reschedule_url="https://book.example-scheduling.com/reschedule/ext-1234567890abcdef",
    content_url="https://media.example-scheduling.com/recordings/demo-1234567890abcdef",
    alternative_url="https://community.example-scheduling.com/webinars/upcoming-2026",
)


@pytest.mark.parametrize("template", list(Template))
@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("variant", ["a", "b"])
@pytest.mark.parametrize("no_show_total", [1, 3])
@pytest.mark.parametrize("with_links", [True, False])
def test_renders_without_leftover_placeholders(
    template: Template, channel: Channel, variant: str, no_show_total: int, with_links: bool
) -> None:
    details = LONG if with_links else appointment()
    message = render(
        delivery(
            template,
            channel,
            details,
            variant=variant,
            contact_no_show_total=no_show_total,
            reschedule_count=4,
        )
    )

    assert message.body.strip()
    for text in (message.subject, message.body, message.html_body or ""):
        assert not LEFTOVER_PLACEHOLDER.search(text), text


@pytest.mark.parametrize("template", list(Template))
def test_email_has_subject_text_and_html(template: Template) -> None:
    message = render(delivery(template, Channel.EMAIL))

    assert message.subject
    assert "\n\n" in message.body  # a full, multi-paragraph text part
    assert message.html_body is not None
    assert message.html_body.lstrip().startswith("<!DOCTYPE html>")
    assert BRAND.name in message.html_body


@pytest.mark.parametrize("template", list(Template))
def test_in_app_has_a_short_title_and_body(template: Template) -> None:
    message = render(delivery(template, Channel.IN_APP))

    assert 0 < len(message.subject) <= 80
    assert 0 < len(message.body) <= 200
    assert message.html_body is None


@pytest.mark.parametrize("template", list(Template))
@pytest.mark.parametrize("variant", ["a", "b"])
@pytest.mark.parametrize("kind", list(AppointmentKind))
def test_sms_is_short_branded_and_has_opt_out(
    template: Template, variant: str, kind: AppointmentKind
) -> None:
    details = appointment(
        kind=kind,
        topic=LONG.topic,
        reschedule_url=LONG.reschedule_url,
        content_url=LONG.content_url,
        alternative_url=LONG.alternative_url,
    )
    message = render(
        delivery(template, Channel.SMS, details, variant=variant, contact_no_show_total=3)
    )

    assert len(message.body) <= 320
    assert message.body.startswith(f"{BRAND.name}:")
    assert message.body.endswith("Reply STOP to opt out")
    assert message.html_body is None


@pytest.mark.parametrize("template", CONTACT_TEMPLATES)
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
def test_short_channels_lead_with_the_link(template: Template, channel: Channel) -> None:
    details = LONG
    body = render(delivery(template, channel, details)).body

    links = [details.reschedule_url, details.content_url, details.alternative_url]
    first_link_at = min(body.find(link) for link in links if link and link in body)
    assert 0 <= first_link_at <= 160


@pytest.mark.parametrize("channel", list(Channel))
def test_whatsapp_and_in_app_carry_no_sms_opt_out(channel: Channel) -> None:
    body = render(delivery(Template.REMINDER_1H, channel)).body

    assert ("Reply STOP" in body) == (channel == Channel.SMS)


@pytest.mark.parametrize("template", CONTACT_TEMPLATES)
def test_contact_messages_are_personalised(template: Template) -> None:
    message = render(delivery(template, Channel.EMAIL))

    assert message.body.startswith("Hi Ada,")
    assert "Grace Hopper" in message.body


def test_unknown_template_is_an_error_not_a_blank_message() -> None:
    # A request decoded from elsewhere could carry anything.
    request = replace(delivery(Template.REMINDER_1H), template="no_such_template")

    with pytest.raises(RenderFailed, match="no_such_template"):
        render(request)

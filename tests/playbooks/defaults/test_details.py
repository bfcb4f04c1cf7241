"""Times in the reader's zone, escaped HTML, and the specific content of some templates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from rebook.core.contracts import DeliveryRequest
from rebook.core.domain import Channel
from rebook.core.steps import Template
from tests.support.factories import appointment, contact
from tests.support.messages import delivery, render

DEC_1_15_UTC = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("channel", list(Channel))
def test_times_are_shown_in_the_contacts_timezone(channel: Channel) -> None:
    details = appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone="Europe/Berlin"))
    message = render(delivery(Template.REMINDER_24H, channel, details))

    assert "16:00 CET" in f"{message.subject} {message.body}"
    assert "15:00" not in message.body


def test_summer_time_uses_the_summer_abbreviation() -> None:
    details = appointment(
        starts_at=datetime(2026, 7, 1, 15, 0, tzinfo=UTC),
        contact=contact(timezone="America/New_York"),
    )
    message = render(delivery(Template.BOOKING_CONFIRMATION, Channel.SMS, details))

    assert "11:00 EDT" in message.body


def test_unknown_timezone_falls_back_to_labelled_utc() -> None:
    details = appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone="Mars/Olympus"))
    message = render(delivery(Template.REMINDER_1H, Channel.SMS, details))

    assert "15:00 UTC" in message.body


def test_html_escapes_user_supplied_values() -> None:
    details = appointment(
        topic="<script>alert(1)</script>", contact=contact(name='Eve "<b>" O\'Neil')
    )
    message = render(delivery(Template.NO_SHOW_FOLLOWUP, Channel.EMAIL, details))

    assert message.html_body is not None
    assert "<script>" not in message.html_body
    assert "&lt;script&gt;" in message.html_body
    assert "<b>" not in message.html_body
    # The plain-text part is not HTML and keeps the topic as written.
    assert "<script>alert(1)</script>" in message.body


def test_html_does_not_link_to_non_http_urls() -> None:
    details = appointment(reschedule_url="javascript:alert(1)")
    message = render(delivery(Template.NO_SHOW_FOLLOWUP, Channel.EMAIL, details))

    assert message.html_body is not None
    assert 'href="javascript:' not in message.html_body


def test_reschedule_confirmation_shows_new_time_and_prepares_the_contact() -> None:
    details = appointment(
        starts_at=DEC_1_15_UTC,
        contact=contact(timezone="Europe/Berlin"),
        content_url="https://blog.example.com/prepare",
    )
    message = render(delivery(Template.RESCHEDULE_CONFIRMATION, Channel.EMAIL, details))

    assert "16:00 CET" in message.subject
    assert "30 minutes" in message.body
    assert "Grace Hopper" in message.body
    assert "https://blog.example.com/prepare" in message.body
    assert "looking forward" in message.body


def test_cancellation_notice_offers_rebooking() -> None:
    details = appointment()
    message = render(delivery(Template.CANCELLATION_NOTICE, Channel.EMAIL, details))

    assert "cancelled" in message.subject
    assert details.reschedule_url in message.body


def test_host_alert_tells_the_host_who_how_often_and_when() -> None:
    details = appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone="Europe/Berlin"))
    message = render(
        delivery(Template.HOST_RESCHEDULE_ALERT, Channel.EMAIL, details, reschedule_count=4)
    )

    assert message.body.startswith("Hi Grace,")
    assert "Ada Lovelace" in message.subject
    assert "4 times" in message.body
    assert "limit" in message.body
    assert "16:00 CET" in message.body
    assert "15:00 UTC" in message.body


def whatsapp_template_variables(request: DeliveryRequest) -> Mapping[str, str]:
    variables = render(request).template_variables
    assert variables is not None
    return variables


def test_whatsapp_template_variables_follow_the_documented_contract() -> None:
    details = appointment(
        contact=contact(name="Ada Lovelace", timezone="Europe/Berlin"),
        content_url="https://example.com/recording",
        alternative_url="https://example.com/webinars",
    )
    follow_up = delivery(Template.NO_SHOW_FOLLOWUP, Channel.WHATSAPP, details)
    variables = whatsapp_template_variables(follow_up)
    assert sorted(variables) == ["1", "2", "3", "4", "5", "6"]
    assert variables["1"] == "Ada"
    assert variables["2"] == "demo"
    assert variables["5"] == details.reschedule_url
    assert variables["6"] == "Grace"
    assert variables["4"].endswith("CET")  # the contact's local time
    content = delivery(Template.VALUE_CONTENT, Channel.WHATSAPP, details)
    assert whatsapp_template_variables(content)["5"] == "https://example.com/recording"
    offer = delivery(Template.ALTERNATIVE_OFFER, Channel.WHATSAPP, details)
    assert whatsapp_template_variables(offer)["5"] == "https://example.com/webinars"


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS, Channel.IN_APP])
def test_only_whatsapp_gets_template_variables(channel: Channel) -> None:
    assert render(delivery(Template.NO_SHOW_FOLLOWUP, channel)).template_variables is None

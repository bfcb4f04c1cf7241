"""Locale choice, babel dates in the contact's zone, lateness, and the branded layout."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rebook.core.brand import Brand
from rebook.core.contracts import AppointmentDetails
from rebook.core.domain import Channel
from rebook.playbooks.rendering import MessageContent, PlaybookRenderer, UnknownTemplate
from rebook.playbooks.variables import AppointmentExtras, ContactLinks, RenderRequest
from tests.playbooks.support import shipped
from tests.support.factories import appointment, contact

DEC_1_15_UTC = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture(scope="module")
def renderer() -> PlaybookRenderer:
    return PlaybookRenderer(shipped("default").templates, Brand(name="Acme"))


def render(
    renderer: PlaybookRenderer,
    template: str,
    channel: Channel = Channel.EMAIL,
    details: AppointmentDetails | None = None,
    locale: str | None = None,
    sent: datetime | None = None,
    **extras: str,
) -> MessageContent:
    details = details or appointment(starts_at=DEC_1_15_UTC)
    return renderer.render(
        RenderRequest(
            template,
            channel,
            details,
            sent or details.starts_at,
            extras=AppointmentExtras(contact_locale=locale, **extras),
        )
    )


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("es_AR", "es"),
        ("ES", "es"),
        ("fr", "en"),  # not offered: the playbook's default
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_contacts_locale_picks_the_templates(
    renderer: PlaybookRenderer, wanted: str | None, chosen: str
) -> None:
    message = render(renderer, "reminder_24h", locale=wanted)
    assert message.locale == chosen
    assert message.subject.startswith("Mañana" if chosen == "es" else "Tomorrow")


def test_fallback_goes_to_the_playbooks_default_locale_before_english() -> None:
    templates = shipped("whatsapp_first").templates  # default_locale: es
    assert templates.locale_for("fr") == "es"
    assert templates.locale_for("en-GB") == "en"


@pytest.mark.parametrize(
    ("locale", "zone", "expected"),
    [
        ("en", "Europe/Berlin", "Tue 1 Dec 2026, 16:00 CET"),
        ("en", "America/New_York", "Tue 1 Dec 2026, 10:00 EST"),
        ("es", "Europe/Madrid", "martes 1 de diciembre, 16:00 CET"),
        ("es", "America/Mexico_City", "martes 1 de diciembre, 09:00 CST"),
    ],
)
def test_times_are_formatted_by_babel_for_the_locale_in_the_contacts_zone(
    renderer: PlaybookRenderer, locale: str, zone: str, expected: str
) -> None:
    details = appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone=zone))
    message = render(renderer, "booking_confirmation", Channel.SMS, details, locale)
    assert expected in message.body
    variables = renderer.variables(
        RenderRequest(
            "booking_confirmation",
            Channel.SMS,
            details,
            DEC_1_15_UTC,
            extras=AppointmentExtras(contact_locale=locale),
        )
    )
    assert variables.appointment.when == expected
    assert variables.appointment.duration == ("30 minutes" if locale == "en" else "30 minutos")


def test_long_date_and_time_follow_the_locale(renderer: PlaybookRenderer) -> None:
    details = appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone="Europe/Madrid"))
    english = renderer.variables(RenderRequest("reminder_1h", Channel.SMS, details, DEC_1_15_UTC))
    spanish = renderer.variables(
        RenderRequest(
            "reminder_1h",
            Channel.SMS,
            details,
            DEC_1_15_UTC,
            extras=AppointmentExtras(contact_locale="es"),
        )
    )
    assert (english.appointment.date, english.appointment.time) == (
        "Tuesday, December 1, 2026",
        "4:00\u202fPM CET",
    )
    assert (spanish.appointment.date, spanish.appointment.time) == (
        "martes, 1 de diciembre de 2026",
        "16:00 CET",
    )


@pytest.mark.parametrize(
    ("sent_after", "english", "spanish"),
    [
        (timedelta(hours=2), "earlier today", "hoy"),
        (timedelta(hours=20), "yesterday", "ayer"),  # 11:00 next day in Berlin
        (timedelta(days=3), "on Tuesday", "el martes"),
        (timedelta(days=9), "on December 1", "el 1 de diciembre"),
    ],
)
def test_lateness_says_when_the_appointment_was(
    renderer: PlaybookRenderer, sent_after: timedelta, english: str, spanish: str
) -> None:
    details = appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone="Europe/Berlin"))
    for locale, phrase in (("en", english), ("es", spanish)):
        variables = renderer.variables(
            RenderRequest(
                "no_show_followup",
                Channel.EMAIL,
                details,
                DEC_1_15_UTC + sent_after,
                extras=AppointmentExtras(contact_locale=locale),
            )
        )
        assert variables.appointment.lateness == phrase


def test_spanish_follow_up_uses_the_lateness_phrase(renderer: PlaybookRenderer) -> None:
    message = render(
        renderer,
        "no_show_followup",
        locale="es",
        sent=DEC_1_15_UTC + timedelta(hours=20),
        details=appointment(starts_at=DEC_1_15_UTC, contact=contact(timezone="Europe/Berlin")),
    )
    assert "No pudimos vernos ayer" in message.body


def test_confirmations_show_location_join_link_and_instructions_when_known(
    renderer: PlaybookRenderer,
) -> None:
    message = render(
        renderer,
        "booking_confirmation",
        location="Room 4, 1 Market St",
        join_url="https://meet.example.com/xyz",
        instructions="Bring your laptop.",
    )
    assert "Where: Room 4, 1 Market St" in message.body
    assert "Join: https://meet.example.com/xyz" in message.body
    assert "Before we meet: Bring your laptop." in message.body
    assert message.html_body is not None and "Bring your laptop." in message.html_body
    bare = render(renderer, "booking_confirmation")
    assert "Where:" not in bare.body and "Before we meet" not in bare.body


def test_branded_layout_shows_logo_colours_address_and_unsubscribe() -> None:
    brand = Brand(
        name="Acme",
        primary_color="#aa3300",
        accent_color="#0055aa",
        logo_url="https://cdn.example.com/logo.png",
        postal_address="1 Market St\nSan Francisco",
        sender_name="AcmeCo",
    )
    renderer = PlaybookRenderer(shipped("default").templates, brand)
    request = RenderRequest(
        "reminder_24h",
        Channel.EMAIL,
        appointment(),
        DEC_1_15_UTC,
        links=ContactLinks(unsubscribe="https://rebook.example.com/u/abc"),
    )
    message = renderer.render(request)
    assert message.html_body is not None
    assert '<img src="https://cdn.example.com/logo.png" alt="Acme"' in message.html_body
    assert "background:#aa3300" in message.html_body
    assert "border-top:4px solid #0055aa" in message.html_body
    assert "1 Market St<br>\nSan Francisco" in message.html_body
    assert 'href="https://rebook.example.com/u/abc"' in message.html_body
    assert "\nUnsubscribe: https://rebook.example.com/u/abc\n" in message.body
    assert message.body.endswith("\n--\n1 Market St\nSan Francisco\n")
    sms = renderer.render(replace(request, channel=Channel.SMS))
    assert sms.body.startswith("AcmeCo: ")
    assert sms.sms is not None and sms.sms.segments == 1


def test_experiment_arm_swaps_the_template(renderer: PlaybookRenderer) -> None:
    details = appointment()
    sent = details.starts_at
    control = renderer.render(RenderRequest("no_show_followup", Channel.EMAIL, details, sent))
    treatment = renderer.render(
        RenderRequest("no_show_followup", Channel.EMAIL, details, sent, variant="b")
    )
    assert control.template == "no_show_followup"
    assert treatment.template == "no_show_followup_b"
    assert "10 seconds" in treatment.subject


def test_unknown_template_is_an_error(renderer: PlaybookRenderer) -> None:
    with pytest.raises(UnknownTemplate):
        render(renderer, "no_such_template")

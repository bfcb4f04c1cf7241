"""What deliver_message renders: the pinned playbook version's copy, in the contact's
locale, with the appointment's own details, content chosen by topic and interest, and a
miss reported late never called "today"."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rebook.core.brand import Brand
from rebook.core.domain import AppointmentKind, Channel
from rebook.core.playbook import ContentKind, ContentSelector, PlaybookRef
from rebook.core.ports import RenderFailed
from rebook.core.steps import Template
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog
from rebook.playbooks.message_renderer import CatalogMessageRenderer
from tests.playbooks.support import DEFAULTS, VERSION_TWO_COPY, playbook_file, with_copy
from tests.support.factories import appointment, contact
from tests.support.messages import BRAND, delivery, render

TUESDAY_15_UTC = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def versions(tmp_path: Path) -> CatalogMessageRenderer:
    """A catalog holding `custom` versions 1 (the default copy) and 2 (a new reminder)."""
    playbook_file(tmp_path, "custom", 1, file_name="custom.v1.yaml")
    playbook_file(tmp_path, "custom", 2, edit=with_copy("en", "reminder_24h", VERSION_TWO_COPY))
    catalog = DiskPlaybookCatalog.with_defaults(tmp_path, rescan_after_s=0)
    catalog.load()
    return CatalogMessageRenderer(catalog)


def test_each_message_renders_with_its_pinned_version(versions: CatalogMessageRenderer) -> None:
    request = delivery(Template.REMINDER_24H)
    v1 = versions.render(replace(request, playbook=PlaybookRef("custom", 1)), BRAND)
    v2 = versions.render(replace(request, playbook=PlaybookRef("custom", 2)), BRAND)

    assert v1.subject.startswith("Tomorrow: your demo")
    assert v2.subject.startswith("Version two:")
    # One renderer per version (and brand), reused for every later message of that version.
    versions.render(replace(request, playbook=PlaybookRef("custom", 2)), BRAND)
    assert sorted(ref.version for ref, _ in versions._renderers) == [1, 2]


def test_each_workspace_brand_renders_with_the_same_pinned_copy(
    versions: CatalogMessageRenderer,
) -> None:
    request = replace(delivery(Template.REMINDER_24H), playbook=PlaybookRef("custom", 2))
    acme = Brand("Acme Dental", primary_color="#0a7d5a", footer="1 Main St")

    ours, theirs = versions.render(request, BRAND), versions.render(request, acme)

    assert ours.subject == theirs.subject and ours.subject.startswith("Version two:")
    assert theirs.html_body is not None and ours.html_body is not None
    assert "background:#0a7d5a" in theirs.html_body and "Acme Dental" in theirs.html_body
    assert "Acme Dental" not in ours.html_body and "1 Main St" not in ours.body
    assert theirs.body.endswith("--\n1 Main St\n")
    assert {brand.name for _, brand in versions._renderers} == {BRAND.name, "Acme Dental"}


def test_requests_from_before_playbooks_get_the_default_copy() -> None:
    request = delivery(Template.NO_SHOW_FOLLOWUP)
    assert request.playbook is None
    pinned = replace(request, playbook=PlaybookRef("default", 1))
    assert render(request) == render(pinned)


def test_a_version_gone_from_disk_renders_with_the_latest(
    versions: CatalogMessageRenderer, caplog: pytest.LogCaptureFixture
) -> None:
    request = replace(delivery(Template.REMINDER_24H), playbook=PlaybookRef("custom", 9))
    with caplog.at_level(logging.WARNING):
        message = versions.render(request, BRAND)
    assert message.subject.startswith("Version two:")
    assert "playbook custom version 9 is gone; rendering with version 2" in caplog.text


def test_an_unknown_playbook_or_template_cannot_render(versions: CatalogMessageRenderer) -> None:
    request = delivery(Template.REMINDER_24H)
    with pytest.raises(RenderFailed, match="'retired' is not in the catalog"):
        versions.render(replace(request, playbook=PlaybookRef("retired", 1)), BRAND)
    with pytest.raises(RenderFailed, match=r'custom v2: .*no template "thank_you"'):
        versions.render(
            replace(request, template="thank_you", playbook=PlaybookRef("custom", 2)), BRAND
        )


def test_the_appointment_details_show_in_confirmations_and_reminders() -> None:
    details = appointment(
        location="Acme HQ, 5th floor",
        join_url="https://meet.example.com/abc-defg",
        instructions="Bring last quarter's numbers.",
    )
    for template in (Template.BOOKING_CONFIRMATION, Template.REMINDER_24H):
        body = render(delivery(template, Channel.EMAIL, details)).body
        assert "Where: Acme HQ, 5th floor" in body, template
        assert "Join: https://meet.example.com/abc-defg" in body, template
        assert "Before we meet: Bring last quarter's numbers." in body, template
    reminder_1h = render(delivery(Template.REMINDER_1H, Channel.EMAIL, details)).body
    assert "Join: https://meet.example.com/abc-defg" in reminder_1h
    # Without them, no empty lines where they would be.
    plain = render(delivery(Template.BOOKING_CONFIRMATION, Channel.EMAIL, appointment())).body
    assert "Where:" not in plain and "Join:" not in plain and "Before we meet" not in plain


def test_the_contacts_locale_picks_the_copy() -> None:
    spanish = appointment(contact=contact(locale="es", timezone="Europe/Madrid"))
    portuguese = appointment(contact=contact(locale="pt-BR"))  # no such copy: the default
    es = render(delivery(Template.BOOKING_CONFIRMATION, Channel.EMAIL, spanish))
    en = render(delivery(Template.BOOKING_CONFIRMATION, Channel.EMAIL, portuguese))
    assert es.body.startswith("Hola, Ada:")
    assert en.body.startswith("Hi Ada,")


@pytest.mark.parametrize(
    ("reported_after", "english", "spanish"),
    [
        (
            timedelta(minutes=20),
            "We missed you earlier today at your demo",
            "No pudimos vernos hoy",
        ),
        (timedelta(days=1), "We missed you yesterday at your demo", "No pudimos vernos ayer"),
        (timedelta(days=2), "We missed you on Tuesday at your demo", "No pudimos vernos el martes"),
        (timedelta(days=9), "We missed you on December 1 at your demo", "el 1 de diciembre"),
    ],
)
def test_a_late_miss_report_never_reads_today(
    reported_after: timedelta, english: str, spanish: str
) -> None:
    details = appointment(starts_at=TUESDAY_15_UTC, contact=contact(timezone="Europe/London"))
    told_at = TUESDAY_15_UTC + reported_after
    for locale, expected in (("en", english), ("es", spanish)):
        localised = replace(details, contact=replace(details.contact, locale=locale))
        request = delivery(Template.NO_SHOW_FOLLOWUP, Channel.EMAIL, localised)
        body = render(replace(request, scheduled_for=told_at)).body
        assert expected in body, (locale, body)
        if reported_after >= timedelta(days=1):
            assert "today" not in body and " hoy" not in body


def test_the_interest_steers_content_from_the_library(tmp_path: Path) -> None:
    (tmp_path / "content_library.yaml").write_text(
        (DEFAULTS / "content_library.example.yaml").read_text()
    )
    catalog = DiskPlaybookCatalog.with_defaults(tmp_path, rescan_after_s=0)
    catalog.load()
    renderer = CatalogMessageRenderer(catalog)
    recordings = (ContentSelector(kinds=(ContentKind.RECORDING,), for_kind=AppointmentKind.DEMO),)
    # A topic no item matches: the interest alone decides between the recordings.
    request = replace(
        delivery(Template.VALUE_CONTENT, Channel.EMAIL, appointment(topic="Getting started")),
        playbook=PlaybookRef("default", 1),
        content=recordings,
    )

    general = renderer.render(request, BRAND)
    onboarding = renderer.render(
        replace(request, appointment=replace(request.appointment, interest="onboarding")), BRAND
    )

    assert "https://media.example.com/recordings/product-tour" in general.body
    assert "https://media.example.com/recordings/onboarding" in onboarding.body

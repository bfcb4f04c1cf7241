"""Every shipped playbook validates and previews; the default one is today's sequence."""

from __future__ import annotations

import pytest

from rebook.core.contracts import FollowUpPolicy
from rebook.core.domain import Channel
from rebook.core.playbook_legacy import legacy_playbook
from rebook.playbooks.loading import canonical_document, load_content_library
from rebook.playbooks.preview import preview_playbook
from rebook.playbooks.validation import validate_playbook
from tests.playbooks.support import DEFAULTS, shipped

SHIPPED = ["default", "demo", "whatsapp_first"]


def test_the_default_playbook_is_todays_sequence() -> None:
    assert shipped("default").playbook == legacy_playbook(FollowUpPolicy())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_playbook_validates_and_round_trips_through_json(name: str) -> None:
    loaded = shipped(name)
    # What the API stores (locales inline, no file references) validates as it is.
    again = validate_playbook(canonical_document(loaded))
    assert again.playbook == loaded.playbook
    assert again.templates == loaded.templates


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_playbook_previews_every_step_in_every_locale(name: str) -> None:
    loaded = shipped(name)
    library = load_content_library(DEFAULTS / "content_library.example.yaml")
    preview = preview_playbook(loaded, library=library)

    assert preview.locales == tuple(loaded.templates.locales)
    sent = [s for scenario in preview.scenarios for s in scenario.steps if s.template]
    assert sent
    for step in sent:
        assert step.due_at_local.utcoffset() is not None
        locales_rendered = {r.locale for r in step.renders}
        assert locales_rendered == set(preview.locales), step.step
        for render in step.renders:
            assert render.error is None, (step.step, render.locale, render.channel, render.error)
            assert render.body.strip()
            assert render.due_text
            if render.channel is Channel.EMAIL:
                assert render.subject
                assert render.html_body is not None
                assert render.html_body.startswith("<!DOCTYPE html>")
                assert render.html_body.rstrip().endswith("</body></html>")
            if render.channel is Channel.SMS:
                assert render.sms is not None
                assert render.sms.segments >= 1


def test_default_preview_shows_each_phase() -> None:
    preview = preview_playbook(shipped("default"))
    steps = {s.name: [step.step for step in s.steps] for s in preview.scenarios}

    assert steps["booked"] == ["confirmation", "reminder_24h", "reminder_1h", "outcome_deadline"]
    assert "host_reschedule_alert" in steps["over_reschedule_limit"]
    assert steps["missed_first"] == [
        "no_show_followup",
        "no_show_nudge",
        "value_content",
        "alternative_offer",
        "close_as_lost",
    ]
    assert steps["attended"] == []
    assert steps["cancelled"] == ["cancellation_notice"]


def test_demo_preview_picks_content_from_the_library() -> None:
    library = load_content_library(DEFAULTS / "content_library.example.yaml")
    preview = preview_playbook(shipped("demo"), library=library)
    by_scenario = {s.name: {step.step: step for step in s.steps} for s in preview.scenarios}

    recorded = by_scenario["missed_first"]["recorded_demo"]
    content = next(c for c in recorded.content if c.slot.value == "content")
    # The sample demo is about onboarding: the onboarding recording beats the general one.
    assert content.source == "library"
    assert content.url == "https://media.example.com/recordings/onboarding"
    english_email = next(r for r in recorded.renders if r.channel is Channel.EMAIL)
    assert "the onboarding walkthrough" in english_email.body

    assert "reading_list" in by_scenario["rescheduled"]
    assert "reading_list" not in by_scenario["booked"]
    assert list(by_scenario["attended"]) == ["thank_you"]
    # Three reminders before the slot.
    assert [s for s in by_scenario["booked"] if s.startswith("reminder")] == [
        "reminder_3d",
        "reminder_24h",
        "reminder_1h",
    ]


def test_whatsapp_first_follows_up_on_whatsapp_only() -> None:
    preview = preview_playbook(shipped("whatsapp_first"))
    missed = next(s for s in preview.scenarios if s.name == "missed_first")
    for step in missed.steps:
        if step.template:
            assert step.channels == (Channel.WHATSAPP,), step.step
            assert {r.channel for r in step.renders} == {Channel.WHATSAPP}

"""A/B variants: the treatment differs where an experiment runs, else falls back."""

from __future__ import annotations

import pytest

from rebook.core.domain import Channel
from rebook.core.steps import Template
from tests.support.factories import appointment
from tests.support.messages import delivery, render

EXPERIMENT_TEMPLATES = [
    Template.NO_SHOW_FOLLOWUP,
    Template.NO_SHOW_NUDGE,
    Template.VALUE_CONTENT,
    Template.ALTERNATIVE_OFFER,
]
DETAILS = appointment(
    content_url="https://media.example.com/rec", alternative_url="https://example.com/webinar"
)


@pytest.mark.parametrize("template", EXPERIMENT_TEMPLATES)
@pytest.mark.parametrize("channel", list(Channel))
def test_variant_b_differs_from_a_for_follow_ups(template: Template, channel: Channel) -> None:
    control = render(delivery(template, channel, DETAILS, variant="a"))
    treatment = render(delivery(template, channel, DETAILS, variant="b"))

    assert treatment.body != control.body
    if channel in (Channel.EMAIL, Channel.IN_APP):
        assert treatment.subject != control.subject


def test_no_show_variants_frame_the_subject_differently() -> None:
    control = render(delivery(Template.NO_SHOW_FOLLOWUP, variant="a"))
    treatment = render(delivery(Template.NO_SHOW_FOLLOWUP, variant="b"))

    assert control.subject == "We missed you, Ada"
    assert "10 seconds" in treatment.subject


@pytest.mark.parametrize("variant", ["b", "c", ""])
def test_templates_without_a_treatment_fall_back_to_control(variant: str) -> None:
    control = render(delivery(Template.REMINDER_24H, variant="a"))
    other = render(delivery(Template.REMINDER_24H, variant=variant))

    assert other == control

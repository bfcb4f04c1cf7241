"""A follow-up names the missed slot as the reader sees it when the message goes out
(rebook.core.rules.lateness, through the playbook's Jinja copy): "earlier today" only on
the day itself, never "today" for a miss reported late."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rebook.core.steps import Template
from tests.support.factories import appointment
from tests.support.messages import delivery, render

# Tuesday 3 March 2026, 15:00 in London.
STARTS_AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def _follow_up_body(starts_at: datetime, sent_after: timedelta, timezone: str) -> str:
    details = appointment(starts_at=starts_at)
    details = replace(details, contact=replace(details.contact, timezone=timezone))
    request = delivery(
        Template.NO_SHOW_FOLLOWUP, details=details, scheduled_for=starts_at + sent_after
    )
    return render(request).body


@pytest.mark.parametrize(
    ("sent_after", "phrase"),
    [
        (timedelta(minutes=20), "earlier today"),
        (timedelta(hours=8, minutes=59), "earlier today"),  # 23:59 the same evening
        (timedelta(hours=9, minutes=1), "yesterday"),  # 00:01 the next day
        (timedelta(days=3), "on Tuesday"),
        (timedelta(days=6), "on Tuesday"),
        # The day and month in the contact's locale's words (en: "March 3"), in any year.
        (timedelta(days=7), "on March 3"),
        (timedelta(days=400), "on March 3"),
    ],
)
def test_the_phrase_follows_calendar_days_in_the_readers_zone(
    sent_after: timedelta, phrase: str
) -> None:
    body = _follow_up_body(STARTS_AT, sent_after, "Europe/London")

    assert f"We missed you {phrase} at your" in body


def test_the_same_instants_read_differently_in_another_zone() -> None:
    # 14:50 UTC is 23:50 in Tokyo: 20 minutes later it is the next day there.
    tokyo_start = datetime(2026, 3, 3, 14, 50, tzinfo=UTC)
    later = timedelta(minutes=20)

    assert "We missed you yesterday" in _follow_up_body(tokyo_start, later, "Asia/Tokyo")
    assert "We missed you earlier today" in _follow_up_body(tokyo_start, later, "Europe/London")


@pytest.mark.parametrize("template", [Template.NO_SHOW_FOLLOWUP, Template.NO_SHOW_NUDGE])
@pytest.mark.parametrize("variant", ["a", "b"])
@pytest.mark.parametrize("no_show_total", [1, 2])
def test_a_miss_reported_days_late_never_says_today(
    template: Template, variant: str, no_show_total: int
) -> None:
    details = appointment(starts_at=STARTS_AT)
    late = delivery(
        template,
        details=details,
        variant=variant,
        contact_no_show_total=no_show_total,
        scheduled_for=STARTS_AT + timedelta(days=3),
    )
    on_time = delivery(
        template,
        details=details,
        variant=variant,
        contact_no_show_total=no_show_total,
        scheduled_for=STARTS_AT + timedelta(minutes=30),
    )

    late_text = render(late)
    on_time_text = render(on_time)

    for message in (late_text, on_time_text):
        assert "today's" not in f"{message.subject} {message.body}".lower()
    # Copy that names the slot names it by the same rule (the follow-up always does).
    assert ("on Tuesday" in late_text.body) == ("earlier today" in on_time_text.body)
    if template is Template.NO_SHOW_FOLLOWUP:
        assert "on Tuesday" in late_text.body

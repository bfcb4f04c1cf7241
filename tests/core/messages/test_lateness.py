"""A follow-up names the missed slot as the reader sees it when the message goes out:
"earlier today" only on the day itself, never "today" for a miss reported late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rebook.core.messages import render_message
from rebook.core.messages.lateness import missed_when
from rebook.core.steps import Template
from tests.support.factories import appointment
from tests.support.messages import BRAND, delivery

LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
# Tuesday 3 March 2026, 15:00 in London.
STARTS_AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent_after", "phrase"),
    [
        (timedelta(minutes=20), "earlier today"),
        (timedelta(hours=8, minutes=59), "earlier today"),  # 23:59 the same evening
        (timedelta(hours=9, minutes=1), "yesterday"),  # 00:01 the next day
        (timedelta(days=3), "on Tuesday"),
        (timedelta(days=6), "on Tuesday"),
        (timedelta(days=7), "on 3 March"),
        (timedelta(days=400), "on 3 March 2026"),
    ],
)
def test_the_phrase_follows_calendar_days_in_the_readers_zone(
    sent_after: timedelta, phrase: str
) -> None:
    assert missed_when(STARTS_AT, STARTS_AT + sent_after, LONDON) == phrase


def test_the_same_instants_read_differently_in_another_zone() -> None:
    # 15:00 in London is midnight in Tokyo: 20 minutes later it is the next day there.
    tokyo_start = datetime(2026, 3, 3, 14, 50, tzinfo=UTC)

    assert missed_when(tokyo_start, tokyo_start + timedelta(minutes=20), TOKYO) == "yesterday"
    assert missed_when(tokyo_start, tokyo_start + timedelta(minutes=20), LONDON) == (
        "earlier today"
    )


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

    late_text = render_message(late, BRAND)
    on_time_text = render_message(on_time, BRAND)

    for message in (late_text, on_time_text):
        assert "today's" not in f"{message.subject} {message.body}".lower()
    # Copy that names the slot names it by the same rule (the follow-up always does).
    assert ("on Tuesday" in late_text.body) == ("earlier today" in on_time_text.body)
    if template is Template.NO_SHOW_FOLLOWUP:
        assert "on Tuesday" in late_text.body

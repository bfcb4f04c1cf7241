from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from rebook.analytics.metrics import (
    DEFAULT_WINDOW,
    METRIC_FUNCTIONS,
    Metric,
    MissFacts,
    Outcome,
    converted,
    engaged,
    is_matured,
    outcome,
    reached,
    rebooked,
    recovered,
    summarise_durations,
    time_to_rebook,
)

MISSED = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
LATER = MISSED + timedelta(days=60)  # every window has ended
DAY = timedelta(days=1)


def miss(**changes: Any) -> MissFacts:
    base = MissFacts(appointment_id="apt-1", contact_id="c-1", arm="control", missed_at=MISSED)
    return replace(base, **changes)


def rebooked_miss(after: timedelta, attended_after: timedelta | None) -> MissFacts:
    return miss(
        rebooked_at=MISSED + after,
        rebooked_slot_at=MISSED + after + DAY,
        rebooked_attended_at=None if attended_after is None else MISSED + attended_after,
    )


def test_every_metric_has_one_definition():
    assert set(METRIC_FUNCTIONS) == set(Metric)


# ----------------------------------------------------------------------------- reached


def test_reached_when_a_follow_up_was_delivered_in_the_window():
    assert reached(miss(first_delivered_at=MISSED + timedelta(minutes=5)), LATER) is Outcome.SUCCESS


def test_not_reached_without_a_delivery():
    assert reached(miss(), LATER) is Outcome.FAILURE


def test_a_delivery_before_the_miss_is_not_a_follow_up():
    # e.g. the reminder delivered the day before: it reached the contact, but not after
    # the miss.
    assert reached(miss(first_delivered_at=MISSED - DAY), LATER) is Outcome.FAILURE


# ----------------------------------------------------------------------------- engaged


def test_engaged_when_opened_clicked_or_replied_in_the_window():
    assert engaged(miss(first_engaged_at=MISSED + timedelta(hours=3)), LATER) is Outcome.SUCCESS


def test_engagement_after_the_window_does_not_count():
    assert engaged(miss(first_engaged_at=MISSED + 31 * DAY), LATER) is Outcome.FAILURE


# ----------------------------------------------------------------------------- rebooked


def test_rebooked_when_a_new_slot_is_booked_after_the_miss():
    facts = rebooked_miss(after=2 * DAY, attended_after=None)
    assert rebooked(facts, LATER) is Outcome.SUCCESS


def test_a_slot_booked_before_the_miss_is_not_a_rebooking():
    facts = miss(rebooked_at=MISSED - 3 * DAY, rebooked_slot_at=MISSED + 4 * DAY)
    assert rebooked(facts, LATER) is Outcome.FAILURE


def test_rebooking_after_the_window_does_not_count():
    facts = rebooked_miss(after=40 * DAY, attended_after=None)
    assert rebooked(facts, LATER) is Outcome.FAILURE


# ----------------------------------------------------------------------------- recovered


def test_recovered_when_the_rebooked_slot_is_attended_in_the_window():
    facts = rebooked_miss(after=2 * DAY, attended_after=3 * DAY)
    assert recovered(facts, LATER) is Outcome.SUCCESS


def test_rebooked_but_the_new_slot_was_missed_too_is_not_recovered():
    facts = rebooked_miss(after=2 * DAY, attended_after=None)
    assert rebooked(facts, LATER) is Outcome.SUCCESS
    assert recovered(facts, LATER) is Outcome.FAILURE


def test_attended_after_the_window_is_not_recovered():
    facts = rebooked_miss(after=20 * DAY, attended_after=35 * DAY)
    assert rebooked(facts, LATER) is Outcome.SUCCESS
    assert recovered(facts, LATER) is Outcome.FAILURE


def test_attending_a_slot_booked_before_the_miss_is_not_a_recovery():
    # The contact already had another appointment: attending it is not a win of the
    # follow-up.
    facts = miss(
        rebooked_at=MISSED - 3 * DAY,
        rebooked_slot_at=MISSED + 4 * DAY,
        rebooked_attended_at=MISSED + 4 * DAY,
    )
    assert recovered(facts, LATER) is Outcome.FAILURE


def test_the_window_is_inclusive_at_both_ends():
    at_the_end = rebooked_miss(after=DAY, attended_after=DEFAULT_WINDOW)
    one_second_late = rebooked_miss(after=DAY, attended_after=DEFAULT_WINDOW + timedelta(seconds=1))
    at_the_miss = miss(first_delivered_at=MISSED)

    assert recovered(at_the_end, LATER) is Outcome.SUCCESS
    assert recovered(one_second_late, LATER) is Outcome.FAILURE
    assert reached(at_the_miss, LATER) is Outcome.SUCCESS


def test_the_window_is_configurable():
    facts = rebooked_miss(after=DAY, attended_after=10 * DAY)

    assert recovered(facts, LATER, window=14 * DAY) is Outcome.SUCCESS
    assert recovered(facts, LATER, window=7 * DAY) is Outcome.FAILURE


# --------------------------------------------------------------- not yet decidable


def test_an_unrecovered_miss_inside_its_window_is_pending_not_a_failure():
    facts = rebooked_miss(after=2 * DAY, attended_after=None)
    now = MISSED + 10 * DAY

    assert recovered(facts, now) is Outcome.PENDING
    assert not is_matured(facts, now)


def test_a_miss_matures_when_its_window_ends():
    facts = miss()

    assert recovered(facts, MISSED + DEFAULT_WINDOW - timedelta(seconds=1)) is Outcome.PENDING
    assert recovered(facts, MISSED + DEFAULT_WINDOW) is Outcome.FAILURE
    assert is_matured(facts, MISSED + DEFAULT_WINDOW)


def test_a_success_is_known_before_the_window_ends():
    facts = rebooked_miss(after=2 * DAY, attended_after=5 * DAY)
    assert recovered(facts, MISSED + 6 * DAY) is Outcome.SUCCESS


def test_events_after_now_have_not_happened_yet():
    # Looks replayed at an earlier instant must not see later events.
    facts = rebooked_miss(after=2 * DAY, attended_after=5 * DAY)

    assert recovered(facts, MISSED + 4 * DAY) is Outcome.PENDING
    assert rebooked(facts, MISSED + DAY) is Outcome.PENDING


# ----------------------------------------------------------------------------- converted


def test_converted_when_the_platform_reports_a_conversion_in_the_window():
    facts = miss(converted_at=MISSED + 12 * DAY, conversion_value=Decimal("120.00"))
    assert converted(facts, LATER) is Outcome.SUCCESS
    assert converted(miss(), LATER) is Outcome.FAILURE


def test_outcome_dispatches_on_the_metric():
    facts = rebooked_miss(after=2 * DAY, attended_after=None)

    assert outcome(Metric.REBOOKED, facts, LATER) is Outcome.SUCCESS
    assert outcome(Metric.RECOVERED, facts, LATER) is Outcome.FAILURE


# ----------------------------------------------------------------------------- time to rebook


def test_time_to_rebook_is_from_the_miss_to_the_new_booking():
    facts = rebooked_miss(after=timedelta(hours=30), attended_after=None)
    assert time_to_rebook(facts, LATER) == timedelta(hours=30)


def test_no_time_to_rebook_without_a_rebooking_after_the_miss():
    before = miss(rebooked_at=MISSED - DAY)
    assert time_to_rebook(miss(), LATER) is None
    assert time_to_rebook(before, LATER) is None


def test_time_to_rebook_summary_has_median_and_p75():
    hours = [timedelta(hours=h) for h in (1, 2, 3, 4, 100)]
    summary = summarise_durations(hours)

    assert summary.count == 5
    assert summary.median == timedelta(hours=3)
    assert summary.p75 == timedelta(hours=4)  # numpy linear: index 3 of 0..4


def test_time_to_rebook_summary_of_nothing_is_empty():
    summary = summarise_durations([])
    assert (summary.count, summary.median, summary.p75) == (0, None, None)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"missed_at": datetime(2025, 3, 3, 10, 0)}, "missed_at"),
        ({"first_engaged_at": datetime(2025, 3, 3, 12, 0)}, "first_engaged_at"),
        ({"rebooked_attended_at": MISSED + DAY}, "rebooked_attended_at"),
        ({"rebooked_slot_at": MISSED + DAY}, "rebooked_slot_at"),
        ({"conversion_value": Decimal(10)}, "conversion_value"),
        ({"converted_at": MISSED, "conversion_value": Decimal(-1)}, "conversion_value"),
    ],
)
def test_inconsistent_facts_are_refused_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        miss(**changes)


def test_a_window_must_be_positive():
    with pytest.raises(ValueError, match="window"):
        recovered(miss(), LATER, window=timedelta(0))

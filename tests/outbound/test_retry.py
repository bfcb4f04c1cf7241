from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.outbound.retry import (
    AttemptOutcome,
    DisableReason,
    EndpointHealth,
    RetrySchedule,
    classify_attempt,
    disable_reason,
    next_attempt_at,
    parse_retry_after,
    planned_attempts,
    record_attempt,
)

START = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
EXACT = RetrySchedule(jitter=0)


def hms(hours=0, minutes=0, seconds=0) -> timedelta:
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def test_the_nominal_schedule_spans_exactly_24_hours_in_8_attempts():
    offsets = [t - START for t in planned_attempts(EXACT, start=START, seed="msg_1")]

    assert offsets == [
        hms(),
        hms(seconds=5),
        hms(minutes=5, seconds=5),
        hms(minutes=35, seconds=5),
        hms(hours=2, minutes=35, seconds=5),
        hms(hours=7, minutes=35, seconds=5),
        hms(hours=17, minutes=35, seconds=5),
        hms(hours=24),
    ]


def test_after_the_attempt_at_the_horizon_the_message_is_failed():
    assert (
        next_attempt_at(
            EXACT,
            attempts_made=8,
            first_attempt_at=START,
            last_attempt_at=START + hms(hours=24),
            seed="msg_1",
        )
        is None
    )


@given(seed=st.text(max_size=30))
def test_jitter_keeps_each_delay_within_20_percent_and_the_whole_within_the_horizon(seed):
    schedule = RetrySchedule()
    times = planned_attempts(schedule, start=START, seed=seed)

    assert times[0] == START
    assert times[-1] == START + hms(hours=24)
    assert times == sorted(times)
    assert 7 <= len(times) <= 9
    # Every delay but the last (cut at the horizon) is its table entry +/- 20 %; past the
    # table the last entry (10 h) repeats.
    delays = [b - a for a, b in pairwise(times)]
    for number, delay in enumerate(delays[:-1], start=1):
        expected = schedule.delays[min(number, len(schedule.delays) - 1)]
        assert expected * 0.8 <= delay <= expected * 1.2


def test_jitter_is_fixed_by_the_seed():
    assert planned_attempts(RetrySchedule(), start=START, seed="msg_1") == planned_attempts(
        RetrySchedule(), start=START, seed="msg_1"
    )
    assert planned_attempts(RetrySchedule(), start=START, seed="msg_1") != planned_attempts(
        RetrySchedule(), start=START, seed="msg_2"
    )


def test_retry_after_lengthens_the_next_delay():
    after = next_attempt_at(
        EXACT,
        attempts_made=1,
        first_attempt_at=START,
        last_attempt_at=START,
        seed="m",
        retry_after=timedelta(minutes=2),
    )
    assert after == START + timedelta(minutes=2)


def test_a_short_retry_after_does_not_shorten_the_schedule():
    after = next_attempt_at(
        EXACT,
        attempts_made=3,
        first_attempt_at=START,
        last_attempt_at=START + hms(minutes=5, seconds=5),
        seed="m",
        retry_after=timedelta(seconds=1),
    )
    assert after == START + hms(minutes=35, seconds=5)


def test_retry_after_never_pushes_past_the_horizon():
    after = next_attempt_at(
        EXACT,
        attempts_made=1,
        first_attempt_at=START,
        last_attempt_at=START,
        seed="m",
        retry_after=timedelta(days=3),
    )
    assert after == START + hms(hours=24)


def test_the_schedule_is_asked_only_after_a_failed_attempt():
    with pytest.raises(ValueError):
        next_attempt_at(
            EXACT, attempts_made=0, first_attempt_at=START, last_attempt_at=START, seed="m"
        )


def test_a_receiver_down_for_an_hour_gets_the_message_on_the_first_attempt_after():
    back_up = START + hms(hours=1)
    times = planned_attempts(EXACT, start=START, seed="msg_1")

    delivered_at = next(t for t in times if t >= back_up)

    assert delivered_at - START == hms(hours=2, minutes=35, seconds=5)
    assert times.index(delivered_at) + 1 == 5  # the fifth attempt


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, AttemptOutcome.DELIVERED),
        (204, AttemptOutcome.DELIVERED),
        (299, AttemptOutcome.DELIVERED),
        (None, AttemptOutcome.FAILED),
        (301, AttemptOutcome.FAILED),
        (400, AttemptOutcome.FAILED),
        (401, AttemptOutcome.FAILED),
        (404, AttemptOutcome.FAILED),
        (413, AttemptOutcome.FAILED),
        (500, AttemptOutcome.FAILED),
        (408, AttemptOutcome.THROTTLED),
        (429, AttemptOutcome.THROTTLED),
        (502, AttemptOutcome.THROTTLED),
        (503, AttemptOutcome.THROTTLED),
        (504, AttemptOutcome.THROTTLED),
        (410, AttemptOutcome.ENDPOINT_GONE),
    ],
)
def test_attempt_outcomes(status, outcome):
    assert classify_attempt(status) is outcome


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Tue, 04 Mar 2025 09:05:00 GMT", timedelta(minutes=5)),
        ("Tue, 04 Mar 2025 08:00:00 GMT", timedelta(0)),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_headers(header, expected):
    assert parse_retry_after(header, now=START) == expected


# ---------------------------------------------------------------------- disabling


def run(health: EndpointHealth, at: datetime, status: int | None):
    outcome = classify_attempt(status)
    health = record_attempt(health, at=at, outcome=outcome)
    return health, disable_reason(health, now=at, outcome=outcome)


def test_410_disables_the_endpoint_at_once():
    _, reason = run(EndpointHealth(), START, 410)
    assert reason is DisableReason.GONE


def test_an_endpoint_failing_every_attempt_for_24_hours_is_disabled():
    health = EndpointHealth()
    reasons = []
    for at in planned_attempts(RetrySchedule(), start=START, seed="msg_1"):
        health, reason = run(health, at, 503)
        reasons.append(reason)

    assert reasons[:-1] == [None] * (len(reasons) - 1)
    assert reasons[-1] is DisableReason.FAILING
    assert health.failing_since == START
    assert health.consecutive_failures == len(reasons)


def test_one_success_resets_the_clock():
    health = EndpointHealth()
    health, _ = run(health, START, 500)
    health, _ = run(health, START + hms(hours=12), 200)
    assert health == EndpointHealth(last_success_at=START + hms(hours=12))

    health, reason = run(health, START + hms(hours=25), 500)
    assert reason is None
    assert health.failing_since == START + hms(hours=25)


def test_an_endpoint_refusing_one_event_but_taking_others_stays_enabled():
    # Message A is refused (400) all day; message B, sent meanwhile, is accepted.
    health = EndpointHealth()
    refused = planned_attempts(RetrySchedule(jitter=0), start=START, seed="A")
    accepted_at = START + hms(hours=20)
    attempts = sorted([(t, 400) for t in refused] + [(accepted_at, 200)])

    reasons = []
    for at, status in attempts:
        health, reason = run(health, at, status)
        reasons.append(reason)

    assert reasons == [None] * len(attempts)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delays": (timedelta(0),)},
        {"delays": (timedelta(0), timedelta(seconds=-1))},
        {"horizon": timedelta(0)},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_nonsense_schedules_are_refused(kwargs):
    with pytest.raises(ValueError):
        RetrySchedule(**kwargs)

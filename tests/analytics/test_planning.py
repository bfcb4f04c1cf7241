import math
from datetime import UTC, datetime, timedelta

import pytest
from scipy.stats import norm

from rebook.analytics.planning import (
    MinimumDetectableEffect,
    days_remaining,
    observed_misses_per_day,
    plan_sample_size,
)

NOW = datetime(2025, 6, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)


def arcsine_n(p1: float, p2: float, alpha: float, power: float) -> float:
    """Per-arm n for equal arms on the arcsine scale: 2 (z_alpha/2 + z_power)^2 / h^2."""
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    return float(2 * (norm.isf(alpha / 2) + norm.ppf(power)) ** 2 / h**2)


def test_misses_per_arm_for_20_to_25_percent():
    plan = plan_sample_size(0.20, MinimumDetectableEffect(0.05), {"c": 1, "t": 1}, "c")

    assert plan.target_rate == pytest.approx(0.25)
    assert plan.required("c") == plan.required("t") == math.ceil(arcsine_n(0.2, 0.25, 0.05, 0.8))
    # The classic normal-approximation formula (Fleiss, no continuity correction) gives
    # 1,094 per group; the arcsine scale agrees within a few misses.
    assert plan.required("t") == pytest.approx(1094, abs=5)


def test_a_relative_effect_is_taken_from_the_baseline():
    plan = plan_sample_size(
        0.20, MinimumDetectableEffect(0.25, relative=True), {"c": 1, "t": 1}, "c"
    )
    assert plan.target_rate == pytest.approx(0.25)


def test_unequal_weights_give_the_smaller_arm_fewer_misses_and_control_the_most_asked():
    plan = plan_sample_size(0.2, MinimumDetectableEffect(0.05), {"c": 2, "t": 1}, "c")
    control, treatment = plan.required("c"), plan.required("t")

    assert control is not None and treatment is not None
    assert treatment == pytest.approx(control / 2, abs=1)
    assert control + treatment > 2 * math.ceil(arcsine_n(0.2, 0.25, 0.05, 0.8))


def test_more_arms_split_alpha_and_need_more_misses_each():
    two = plan_sample_size(0.2, MinimumDetectableEffect(0.05), {"c": 1, "t": 1}, "c")
    four = plan_sample_size(
        0.2, MinimumDetectableEffect(0.05), {"c": 1, "a": 1, "b": 1, "h": 1}, "c"
    )

    assert four.alpha_per_comparison == pytest.approx(0.05 / 3)
    assert four.required("a") == math.ceil(arcsine_n(0.2, 0.25, 0.05 / 3, 0.8))
    assert four.required("a") > two.required("t")  # type: ignore[operator]


def test_days_to_enrol_at_a_daily_rate_split_by_weights():
    plan = plan_sample_size(
        0.2, MinimumDetectableEffect(0.05), {"c": 3, "t": 1}, "c", misses_per_day=40.0
    )
    # The treatment gets 10 misses a day; control gets 30 a day.
    expected = max(plan.required("c") / 30.0, plan.required("t") / 10.0)  # type: ignore[operator]

    assert plan.days == pytest.approx(expected)


def test_a_zero_weight_arm_has_no_requirement():
    plan = plan_sample_size(0.2, MinimumDetectableEffect(0.05), {"c": 1, "t": 1, "off": 0}, "c")
    assert plan.required("off") is None and plan.alpha_per_comparison == 0.05


@pytest.mark.parametrize(
    ("baseline", "mde", "reason"),
    [
        (None, MinimumDetectableEffect(0.05), "baseline"),
        (0.0, MinimumDetectableEffect(0.2, relative=True), "not a rate"),
        (0.97, MinimumDetectableEffect(0.98), "not a rate"),
    ],
)
def test_no_plan_without_a_usable_baseline(baseline, mde, reason):
    plan = plan_sample_size(baseline, mde, {"c": 1, "t": 1}, "c")

    assert plan.requirements == ()
    assert plan.reason is not None and reason in plan.reason


def test_near_the_ceiling_the_target_is_below_the_baseline():
    plan = plan_sample_size(0.97, MinimumDetectableEffect(0.05), {"c": 1, "t": 1}, "c")
    assert plan.target_rate == pytest.approx(0.92)


def test_bad_plan_inputs_are_refused():
    mde = MinimumDetectableEffect(0.05)
    with pytest.raises(ValueError, match="control"):
        plan_sample_size(0.2, mde, {"c": 0, "t": 1}, "c")
    with pytest.raises(ValueError, match="baseline_rate"):
        plan_sample_size(1.2, mde, {"c": 1, "t": 1}, "c")
    with pytest.raises(ValueError, match="positive"):
        MinimumDetectableEffect(0.0)


def test_observed_rate_of_misses():
    missed_at = [NOW - timedelta(days=10) + timedelta(hours=6 * i) for i in range(40)]

    assert observed_misses_per_day(missed_at, NOW) == pytest.approx(4.0)
    assert observed_misses_per_day([NOW - timedelta(hours=1)], NOW) == 1.0
    assert observed_misses_per_day([], NOW) is None


def test_days_remaining_adds_the_window_to_the_enrolment_still_needed():
    plan = plan_sample_size(
        0.2, MinimumDetectableEffect(0.05), {"c": 1, "t": 1}, "c", misses_per_day=100.0
    )
    needed = plan.required("c")
    assert needed is not None
    enrolled = {"c": [NOW] * (needed - 500), "t": [NOW] * needed}
    # Control enrols its 500 missing misses at 50 a day, then waits out one window.
    remaining = days_remaining(plan, enrolled, {"c": 1, "t": 1}, NOW, WINDOW)

    assert remaining == pytest.approx(10.0 + 30.0)


def test_days_remaining_once_enrolled_is_the_wait_for_the_last_needed_miss_to_mature():
    plan = plan_sample_size(
        0.2, MinimumDetectableEffect(0.05), {"c": 1, "t": 1}, "c", misses_per_day=100.0
    )
    needed = plan.required("c")
    assert needed is not None
    old = [NOW - timedelta(days=40)] * needed
    recent = [*old[: needed - 1], NOW - timedelta(days=20), NOW]

    assert days_remaining(plan, {"c": old, "t": old}, {"c": 1, "t": 1}, NOW, WINDOW) == 0.0
    # The needed-th miss of "t" happened 20 days ago: 10 days to go; extra misses don't wait.
    assert days_remaining(
        plan, {"c": old, "t": recent}, {"c": 1, "t": 1}, NOW, WINDOW
    ) == pytest.approx(10.0)


def test_no_days_remaining_without_a_plan():
    plan = plan_sample_size(
        None, MinimumDetectableEffect(0.05), {"c": 1, "t": 1}, "c", misses_per_day=10.0
    )
    assert days_remaining(plan, {}, {"c": 1, "t": 1}, NOW, WINDOW) is None

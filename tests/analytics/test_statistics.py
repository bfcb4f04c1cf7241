"""Known values from the literature, and no exception on empty or degenerate samples."""

import math

import pytest
from scipy.stats import chi2, norm

from rebook.analytics.statistics import (
    Tally,
    chi_squared_across_arms,
    compare_to_control,
    holm_adjusted,
    ratio_interval,
    reduction_vs_holdout,
    two_proportion_z_test,
    wilson_rate,
)


def test_wilson_interval_of_20_in_100():
    # Wilson score interval, 95%: 0.1334 to 0.2888 (Newcombe 1998, Stat Med 17:857, and
    # any table of Wilson intervals).
    estimate = wilson_rate(Tally(20, 100))

    assert estimate.rate == 0.2
    assert estimate.interval is not None
    assert estimate.interval.low == pytest.approx(0.1334, abs=1e-4)
    assert estimate.interval.high == pytest.approx(0.2888, abs=1e-4)


def test_wilson_interval_of_zero_successes_starts_at_zero():
    estimate = wilson_rate(Tally(0, 12))

    assert estimate.interval is not None
    assert estimate.interval.low == pytest.approx(0.0, abs=1e-12)
    assert 0.2 < estimate.interval.high < 0.3  # 0.2425 for n = 12


def test_no_trials_gives_no_rate_and_says_why():
    estimate = wilson_rate(Tally(0, 0))

    assert estimate.rate is None and estimate.interval is None
    assert estimate.reason


def test_newcombe_hybrid_score_interval_matches_the_paper():
    # Newcombe 1998 (Stat Med 17:873), example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    difference = compare_to_control(Tally(56, 70), Tally(48, 80))

    assert difference.difference == pytest.approx(0.2)
    assert difference.interval is not None
    assert difference.interval.low == pytest.approx(0.0524, abs=1e-4)
    assert difference.interval.high == pytest.approx(0.3339, abs=1e-4)


def test_z_test_is_the_pooled_two_proportion_test():
    # By hand: pooled p = 0.25, se = sqrt(0.25 * 0.75 * (1/100 + 1/100)), z = 0.1 / se.
    z = 0.1 / math.sqrt(0.25 * 0.75 * 0.02)

    assert two_proportion_z_test(Tally(30, 100), Tally(20, 100)) == pytest.approx(2 * norm.sf(z))


def test_relative_lift_and_its_log_interval():
    difference = compare_to_control(Tally(30, 100), Tally(20, 100))
    # Katz log interval of the ratio 1.5: se = sqrt(1/30 - 1/100 + 1/20 - 1/100).
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 20 - 1 / 100)
    z = norm.isf(0.025)

    assert difference.relative_lift == pytest.approx(0.5)
    assert difference.lift_interval is not None
    assert difference.lift_interval.low == pytest.approx(1.5 * math.exp(-z * se) - 1)
    assert difference.lift_interval.high == pytest.approx(1.5 * math.exp(z * se) - 1)


def test_chi_squared_on_a_small_table_matches_the_hand_computation():
    # Expected 25/75 in each row: chi2 = 2 * (25/25 + 25/75) = 8/3 on 1 degree of freedom.
    test = chi_squared_across_arms([Tally(20, 100), Tally(30, 100)])

    assert test.statistic == pytest.approx(8 / 3)
    assert test.degrees_of_freedom == 1
    assert test.p_value == pytest.approx(chi2.sf(8 / 3, 1))
    assert test.p_value == pytest.approx(0.1025, abs=1e-4)


def test_chi_squared_of_two_arms_agrees_with_the_z_test():
    arm, control = Tally(41, 150), Tally(28, 160)
    test = chi_squared_across_arms([control, arm])

    assert test.p_value == pytest.approx(two_proportion_z_test(arm, control))


def test_chi_squared_across_three_arms():
    test = chi_squared_across_arms([Tally(20, 100), Tally(30, 100), Tally(45, 100)])

    assert test.degrees_of_freedom == 2
    assert test.p_value is not None and test.p_value < 0.001


def test_reduction_against_the_holdout():
    # Holdout loses 90 of 100, the arm 60 of 100: a third of lost no-shows saved.
    # Katz interval of 60/90: se = sqrt(1/60 - 1/100 + 1/90 - 1/100).
    reduction = reduction_vs_holdout(Tally(40, 100), Tally(10, 100))
    se = math.sqrt(1 / 60 - 1 / 100 + 1 / 90 - 1 / 100)
    z = norm.isf(0.025)

    assert reduction.reduction == pytest.approx(1 / 3)
    assert reduction.interval is not None
    assert reduction.interval.low == pytest.approx(1 - (2 / 3) * math.exp(z * se))
    assert reduction.interval.high == pytest.approx(1 - (2 / 3) * math.exp(-z * se))


def test_a_perfect_arm_reduces_losses_by_all_with_a_finite_interval():
    reduction = reduction_vs_holdout(Tally(50, 50), Tally(5, 50))

    assert reduction.reduction == 1.0
    assert reduction.interval is not None
    assert reduction.interval.high == 1.0
    assert 0.8 < reduction.interval.low < 1.0


@pytest.mark.parametrize(
    ("arm", "control"),
    [
        (Tally(0, 0), Tally(0, 0)),
        (Tally(0, 0), Tally(3, 10)),
        (Tally(3, 10), Tally(0, 0)),
        (Tally(0, 10), Tally(0, 10)),
        (Tally(10, 10), Tally(10, 10)),
        (Tally(0, 1), Tally(1, 1)),
        (Tally(4, 5), Tally(0, 5)),
    ],
)
def test_degenerate_samples_give_none_with_a_reason_not_an_exception(arm, control):
    difference = compare_to_control(arm, control)
    reduction = reduction_vs_holdout(arm, control)
    chi_squared = chi_squared_across_arms([arm, control])

    for result in (difference, reduction, chi_squared):
        nones = [name for name, value in vars(result).items() if value is None and name != "reason"]
        assert not nones or result.reason, f"{result} has missing figures and no reason"
    assert chi_squared.p_value is None  # all these tables are too small or degenerate


def test_no_relative_lift_against_a_control_with_no_success():
    difference = compare_to_control(Tally(3, 40), Tally(0, 40))

    assert difference.relative_lift is None
    assert difference.difference == pytest.approx(0.075)
    assert difference.reason is not None and "relative lift" in difference.reason


def test_no_ratio_interval_when_it_would_claim_certainty():
    assert ratio_interval(Tally(10, 10), Tally(10, 10)) is None


def test_the_holdout_recovering_everything_leaves_nothing_to_reduce():
    reduction = reduction_vs_holdout(Tally(30, 40), Tally(40, 40))
    assert reduction.reduction is None and reduction.reason


def test_holm_adjustment_and_missing_p_values():
    # Holm on (0.01, 0.04, 0.03): sorted 0.01*3, 0.03*2, max(0.04*1, 0.06).
    assert holm_adjusted([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm_adjusted([0.2]) == [0.2]
    adjusted = holm_adjusted([0.01, None])
    assert adjusted[1] is None and adjusted[0] == pytest.approx(0.02)


def test_a_tally_must_be_consistent():
    with pytest.raises(ValueError, match="successes"):
        Tally(5, 4)
    with pytest.raises(ValueError, match="successes"):
        Tally(-1, 4)

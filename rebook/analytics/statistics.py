"""Fixed-horizon statistics on proportions: rates, differences to control, chi-squared and
the reduction in lost no-shows against a holdout.

Pure functions over success/trial counts, computed with statsmodels and scipy. None of
them raises on an empty or degenerate sample: a figure that cannot be computed is None
and ``reason`` says why, so an API can show it instead of a 500.

Fixed-horizon p-values are only valid when read once, at the sample size planned in
advance; an operator who checks daily needs ``rebook.analytics.sequential`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

DEFAULT_ALPHA = 0.05
# Pearson's approximation is poor below this expected count per cell (Cochran's rule).
MIN_EXPECTED_COUNT = 5.0


@dataclass(frozen=True)
class Tally:
    """Successes out of trials for one arm; trials are the matured misses."""

    successes: int
    trials: int

    def __post_init__(self) -> None:
        if self.trials < 0 or not 0 <= self.successes <= self.trials:
            raise ValueError(f"need 0 <= successes <= trials, got {self.successes}/{self.trials}")

    @property
    def failures(self) -> int:
        return self.trials - self.successes

    @property
    def rate(self) -> float | None:
        return self.successes / self.trials if self.trials else None


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class RateEstimate:
    """A rate with its Wilson score interval (good coverage even for small n or p near 0)."""

    tally: Tally
    rate: float | None
    interval: Interval | None
    reason: str | None = None


@dataclass(frozen=True)
class Difference:
    """An arm against control: ``difference`` is arm rate minus control rate.

    ``interval`` is Newcombe's hybrid score interval for the difference; ``relative_lift``
    is difference / control rate with the log interval of the rate ratio, minus 1 (None
    when that interval is, see ``ratio_interval``); ``z_p_value`` is
    the pooled two-proportion z-test of no difference (two-sided).
    """

    difference: float | None
    interval: Interval | None
    relative_lift: float | None
    lift_interval: Interval | None
    z_p_value: float | None
    reason: str | None = None


@dataclass(frozen=True)
class ChiSquaredTest:
    """Pearson's test that all arms share one rate (no continuity correction)."""

    statistic: float | None
    degrees_of_freedom: int | None
    p_value: float | None
    reason: str | None = None


@dataclass(frozen=True)
class Reduction:
    """The share of lost no-shows (misses not recovered) an arm saves against the holdout.

    ``reduction`` = 1 - (unrecovered rate of the arm / unrecovered rate of the holdout);
    the interval is 1 minus the log (Katz) interval of that ratio of unrecovered rates.
    """

    reduction: float | None
    interval: Interval | None
    reason: str | None = None


def wilson_rate(tally: Tally, alpha: float = DEFAULT_ALPHA) -> RateEstimate:
    """The rate with a (1 - alpha) Wilson interval; None with a reason when there are no trials."""
    if tally.trials == 0:
        return RateEstimate(tally, None, None, "no matured missed appointments yet")
    low, high = proportion_confint(tally.successes, tally.trials, alpha=alpha, method="wilson")
    return RateEstimate(tally, tally.successes / tally.trials, Interval(float(low), float(high)))


def compare_to_control(arm: Tally, control: Tally, alpha: float = DEFAULT_ALPHA) -> Difference:
    """The arm's difference to control with its interval, relative lift and z-test p-value.

    Each figure that cannot be computed is None: with no trials on either side nothing is;
    with no success on either side (or every trial a success) the z-test has no variance;
    with a control rate of 0 there is no relative lift.
    """
    if arm.trials == 0 or control.trials == 0:
        side = "the arm" if arm.trials == 0 else "control"
        return Difference(None, None, None, None, None, f"{side} has no matured misses yet")
    arm_rate, control_rate = arm.successes / arm.trials, control.successes / control.trials
    low, high = confint_proportions_2indep(
        arm.successes, arm.trials, control.successes, control.trials,
        method="newcomb", compare="diff", alpha=alpha,
    )  # fmt: skip
    reasons: list[str] = []
    z_p_value = two_proportion_z_test(arm, control)
    if z_p_value is None:
        reasons.append("every miss in both arms has the same outcome, so no z-test")
    relative_lift, lift_interval = _relative_lift(arm, control, alpha)
    if relative_lift is None:
        reasons.append("control has no successes, so no relative lift")
    return Difference(
        difference=arm_rate - control_rate,
        interval=Interval(float(low), float(high)),
        relative_lift=relative_lift,
        lift_interval=lift_interval,
        z_p_value=z_p_value,
        reason="; ".join(reasons) or None,
    )


def chi_squared_across_arms(tallies: Sequence[Tally]) -> ChiSquaredTest:
    """Pearson's chi-squared test of one common rate across two or more arms.

    Without Yates's correction, so that for two arms it agrees with the pooled z-test
    (chi-squared = z squared). None with a reason for fewer than two arms with trials, no
    variation in outcome, or an expected cell count below 5 (the approximation fails).
    """
    table = [[tally.successes, tally.failures] for tally in tallies if tally.trials > 0]
    if len(table) < 2:
        return ChiSquaredTest(None, None, None, "needs at least two arms with matured misses")
    if sum(row[0] for row in table) == 0 or sum(row[1] for row in table) == 0:
        return ChiSquaredTest(None, None, None, "every matured miss has the same outcome")
    result = chi2_contingency(table, correction=False)
    if float(result.expected_freq.min()) < MIN_EXPECTED_COUNT:
        return ChiSquaredTest(
            None, None, None, f"an expected count is below {MIN_EXPECTED_COUNT:g}: too few misses"
        )
    return ChiSquaredTest(float(result.statistic), int(result.dof), float(result.pvalue))


def reduction_vs_holdout(arm: Tally, holdout: Tally, alpha: float = DEFAULT_ALPHA) -> Reduction:
    """How much of the holdout's lost no-shows the arm's follow-ups save, with an interval.

    Successes are recovered misses. None with a reason when either side has no trials or
    the holdout lost no miss (nothing to reduce); the interval alone is None when no miss
    was recovered on either side (see ``ratio_interval``).
    """
    if arm.trials == 0 or holdout.trials == 0:
        side = "the arm" if arm.trials == 0 else "the holdout"
        return Reduction(None, None, f"{side} has no matured misses yet")
    if holdout.failures == 0:
        return Reduction(None, None, "the holdout recovered every miss: no loss to reduce")
    lost_ratio = (arm.failures / arm.trials) / (holdout.failures / holdout.trials)
    interval = ratio_interval(
        Tally(arm.failures, arm.trials), Tally(holdout.failures, holdout.trials), alpha
    )
    if interval is None:
        return Reduction(0.0, None, "no miss was recovered in either arm: no interval yet")
    return Reduction(1.0 - lost_ratio, Interval(1.0 - interval.high, 1.0 - interval.low))


def ratio_interval(
    numerator: Tally, denominator: Tally, alpha: float = DEFAULT_ALPHA
) -> Interval | None:
    """The log (Katz) interval for the ratio of two rates, numerator over denominator.

    With no success in the numerator the ratio is 0: the lower end is 0 and the upper end
    comes from the counts plus 0.5 (statsmodels' "log-adjusted"), which keeps it finite.
    None when the denominator has no successes (no ratio) or both sides are all
    successes (zero variance: a fake certainty).
    """
    if denominator.successes == 0 or (numerator.failures == 0 and denominator.failures == 0):
        return None
    no_success = numerator.successes == 0
    low, high = confint_proportions_2indep(
        numerator.successes, numerator.trials, denominator.successes, denominator.trials,
        method="log-adjusted" if no_success else "log", compare="ratio", alpha=alpha,
    )  # fmt: skip
    return Interval(0.0 if no_success else float(low), float(high))


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment across the comparisons with control.

    Several arms against one control multiply the chances that one wins by luck; Holm
    keeps the family-wise error at alpha. A missing p-value stays missing and counts as
    1.0 in the family (the conservative choice).
    """
    if len(p_values) < 2:
        # Nothing to adjust; and statsmodels' Holm runs gc.collect(), slow on a big heap.
        return list(p_values)
    filled = [1.0 if p is None else p for p in p_values]
    _, adjusted, _, _ = multipletests(filled, method="holm")
    return [None if p is None else float(a) for p, a in zip(p_values, adjusted, strict=True)]


def two_proportion_z_test(arm: Tally, control: Tally) -> float | None:
    """The two-sided p-value of the pooled two-proportion z-test of equal rates.

    None when the pooled rate is 0 or 1 (no variance) or a side has no trials.
    """
    if arm.trials == 0 or control.trials == 0:
        return None
    pooled_successes = arm.successes + control.successes
    if pooled_successes in (0, arm.trials + control.trials):
        return None
    _, p_value = proportions_ztest([arm.successes, control.successes], [arm.trials, control.trials])
    return float(p_value)


def _relative_lift(
    arm: Tally, control: Tally, alpha: float
) -> tuple[float | None, Interval | None]:
    if control.successes == 0:
        return None, None
    ratio = (arm.successes / arm.trials) / (control.successes / control.trials)
    interval = ratio_interval(arm, control, alpha)
    if interval is None:
        return ratio - 1.0, None
    return ratio - 1.0, Interval(interval.low - 1.0, interval.high - 1.0)

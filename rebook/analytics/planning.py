"""Sample-size guidance: how many missed appointments each arm needs, and how many days.

Pure functions over statsmodels' power analysis (``NormalIndPower`` on Cohen's h from
``proportion_effectsize``). Every arm is compared with control, so the alpha of each
comparison is Bonferroni's alpha / (number of comparisons): the plan matches the Holm
adjustment the results apply, whose strictest step is exactly that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from rebook.analytics.statistics import DEFAULT_ALPHA

DEFAULT_POWER = 0.8


@dataclass(frozen=True)
class MinimumDetectableEffect:
    """The smallest change in rate worth detecting: absolute (0.05 = five points) or
    relative to the baseline (0.2 = a fifth more than the baseline rate)."""

    value: float
    relative: bool = False

    def __post_init__(self) -> None:
        if not self.value > 0:
            raise ValueError(f"the minimum detectable effect must be positive, got {self.value}")
        if not self.relative and self.value >= 1:
            raise ValueError("an absolute minimum detectable effect must be below 1")

    def absolute(self, baseline_rate: float) -> float:
        return self.value * baseline_rate if self.relative else self.value

    def describe(self) -> str:
        """E.g. "5 points" (absolute) or "20% of the baseline" (relative)."""
        return (
            f"{self.value:.0%} of the baseline" if self.relative else f"{self.value * 100:g} points"
        )


DEFAULT_MDE = MinimumDetectableEffect(0.05)


@dataclass(frozen=True)
class ArmRequirement:
    arm: str
    misses: int  # matured missed appointments the arm needs


@dataclass(frozen=True)
class SampleSizePlan:
    """What an experiment needs to detect ``target_rate`` against ``baseline_rate``.

    ``days`` is the time to *enrol* the misses at ``misses_per_day``; each miss then needs
    its metric window to mature. Figures that cannot be computed are None with a reason.
    """

    baseline_rate: float | None  # None: no baseline yet (control has no matured misses)
    target_rate: float | None
    alpha_per_comparison: float
    power: float
    requirements: tuple[ArmRequirement, ...]
    misses_per_day: float | None
    days: float | None
    reason: str | None = None

    def required(self, arm: str) -> int | None:
        return next((r.misses for r in self.requirements if r.arm == arm), None)


def plan_sample_size(
    baseline_rate: float | None,
    mde: MinimumDetectableEffect,
    weights: Mapping[str, int],
    control: str,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    misses_per_day: float | None = None,
) -> SampleSizePlan:
    """Missed appointments per arm to detect ``mde`` against control, and days to enrol them.

    ``weights`` are the arms' traffic weights, control included; arms with weight 0 get
    no traffic and no requirement. The target is baseline + MDE (baseline - MDE when that
    would pass 100%). Control needs the most any comparison asks of it. Without a baseline
    the plan has no figures, only the reason. Raises ValueError when control is not among
    the weighted arms or alpha, power or the baseline are not probabilities.
    """
    if baseline_rate is not None and not 0 <= baseline_rate <= 1:
        raise ValueError(f"baseline_rate must be in [0, 1], got {baseline_rate}")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must be in (0, 1)")
    if weights.get(control, 0) <= 0:
        raise ValueError(f"control {control!r} must have a positive weight")
    treatments = {arm: w for arm, w in weights.items() if arm != control and w > 0}
    alpha_each = alpha / max(len(treatments), 1)

    def unplanned(reason: str) -> SampleSizePlan:
        return SampleSizePlan(
            baseline_rate, None, alpha_each, power, (), misses_per_day, None, reason
        )

    if baseline_rate is None:
        return unplanned("no baseline rate yet: control has no matured misses")
    if not treatments:
        return unplanned("no arm besides control receives traffic")
    effect = mde.absolute(baseline_rate)
    target = baseline_rate + effect if baseline_rate + effect < 1 else baseline_rate - effect
    if effect <= 0 or not 0 < target < 1:
        return unplanned(f"a change of {mde.describe()} from {baseline_rate:.1%} is not a rate")
    cohen_h = abs(float(proportion_effectsize(target, baseline_rate)))
    analysis = NormalIndPower()
    needs: dict[str, int] = {control: 0}
    for arm, weight in treatments.items():
        ratio = weight / weights[control]
        control_n = float(
            analysis.solve_power(effect_size=cohen_h, alpha=alpha_each, power=power, ratio=ratio)
        )
        needs[control] = max(needs[control], math.ceil(control_n))
        needs[arm] = math.ceil(control_n * ratio)
    requirements = tuple(ArmRequirement(arm, n) for arm, n in needs.items())
    days = None
    if misses_per_day is not None and misses_per_day > 0:
        total_weight = sum(w for w in weights.values() if w > 0)
        days = max(n / (misses_per_day * weights[arm] / total_weight) for arm, n in needs.items())
    return SampleSizePlan(
        baseline_rate, target, alpha_each, power, requirements, misses_per_day, days
    )


def observed_misses_per_day(missed_at: Sequence[datetime], now: datetime) -> float | None:
    """Misses per day since the first one (a span shorter than a day counts as one day)."""
    if not missed_at:
        return None
    span_days = max((now - min(missed_at)) / timedelta(days=1), 1.0)
    return len(missed_at) / span_days


def days_remaining(
    plan: SampleSizePlan,
    missed_at_by_arm: Mapping[str, Sequence[datetime]],
    weights: Mapping[str, int],
    now: datetime,
    window: timedelta,
) -> float | None:
    """Days from ``now`` until every arm has its required misses matured; 0 when it has.

    An arm that already enrolled enough waits for its n-th miss's window to end; one that
    has not enrols the rest at its weight's share of ``plan.misses_per_day``, and the last
    of those then matures over a whole window. None when the plan or the rate is missing.
    """
    if not plan.requirements or not plan.misses_per_day:
        return None
    total_weight = sum(w for w in weights.values() if w > 0)
    ready_in: list[timedelta] = []
    for requirement in plan.requirements:
        enrolled = sorted(missed_at_by_arm.get(requirement.arm, ()))
        if len(enrolled) >= requirement.misses:
            ready_in.append(enrolled[requirement.misses - 1] + window - now)
            continue
        share = plan.misses_per_day * weights[requirement.arm] / total_weight
        enrol_days = (requirement.misses - len(enrolled)) / share
        ready_in.append(timedelta(days=enrol_days) + window)
    return max(max(ready_in) / timedelta(days=1), 0.0)

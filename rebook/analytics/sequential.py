"""Always-valid inference for the difference of two proportions: the mixture SPRT.

An operator who opens the results every day and stops when p < 0.05 is fooled by a
fixed-horizon test: with 30 looks the false-positive rate of a z-test is several times
alpha. The mSPRT of Johari, Pekelis and Walsh, "Always Valid Inference: Continuous
Monitoring of A/B Tests" (Operations Research, 2022), gives a p-value that stays valid
whenever it is read and whenever the test is stopped.

For two proportions we use the normal approximation of the paper's two-stream test: at
each look the difference ``d = rate_arm - rate_control`` has the variance estimate
``V = p_a(1 - p_a)/n_a + p_c(1 - p_c)/n_c``, and with the mixing prior N(0, tau^2) over
the true difference the mixture likelihood ratio against "no difference" is

    Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2)))

The always-valid p-value is the running ``min(p_previous, 1 / Lambda)``, starting at 1.
Inverting the same ratio around every candidate difference gives a confidence sequence
(``d +- sqrt(2 V (V + tau^2) / tau^2 * (log(1/alpha) + log(sqrt((V + tau^2) / V)))``),
intersected over the looks so that it only ever narrows.

Choice of tau (``mixing_sd``): the prior's scale is the size of difference we expect
follow-up variants to make, in absolute rate. The default 0.05 (five percentage points)
matches the default minimum detectable effect and the few-point changes copy, channel or
timing plausibly make to a recovery rate near 20%. The paper shows power is robust to
tau within an order of magnitude of the true effect; too small a tau is slow to confirm
big effects, too large a tau slow to confirm small ones. Validity holds for any tau.

Looks with fewer than ``min_trials_per_arm`` trials in an arm, or no variance yet, are
skipped: the normal approximation (and an estimated variance of zero) would otherwise
give a spuriously large ratio on the first few misses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rebook.analytics.statistics import DEFAULT_ALPHA, Interval, Tally

DEFAULT_MIXING_SD = 0.05
DEFAULT_MIN_TRIALS_PER_ARM = 30


@dataclass(frozen=True)
class Look:
    """Cumulative counts of one arm and of control at one look (e.g. the end of a day)."""

    arm: Tally
    control: Tally


@dataclass(frozen=True)
class SequentialTest:
    """The always-valid p-value and confidence sequence after the last look.

    ``p_value`` is 1.0 until a look can be evaluated (``looks_evaluated`` is 0 and
    ``reason`` says why); ``confidence_sequence`` bounds arm rate minus control rate.
    """

    p_value: float
    confidence_sequence: Interval | None
    looks_evaluated: int
    reason: str | None = None


def always_valid_test(
    looks: Iterable[Look],
    alpha: float = DEFAULT_ALPHA,
    mixing_sd: float = DEFAULT_MIXING_SD,
    min_trials_per_arm: int = DEFAULT_MIN_TRIALS_PER_ARM,
) -> SequentialTest:
    """Run the mSPRT over the looks, in order, and return its state after the last one.

    The looks must be cumulative (each includes the data of the ones before). Raises
    ValueError for a non-positive ``mixing_sd`` or an ``alpha`` outside (0, 1).
    """
    if mixing_sd <= 0:
        raise ValueError(f"mixing_sd must be positive, got {mixing_sd}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    tau_squared = mixing_sd**2
    p_value, low, high, evaluated = 1.0, -math.inf, math.inf, 0
    for look in looks:
        estimate = _difference_and_variance(look, min_trials_per_arm)
        if estimate is None:
            continue
        difference, variance = estimate
        evaluated += 1
        p_value = min(p_value, _inverse_likelihood_ratio(difference, variance, tau_squared))
        radius = _radius(variance, tau_squared, alpha)
        low, high = max(low, difference - radius), min(high, difference + radius)
    if evaluated == 0:
        reason = f"needs {min_trials_per_arm} matured misses per arm and some variation"
        return SequentialTest(1.0, None, 0, reason)
    if low > high:
        # Only possible when the variance estimate moved a lot between looks; the latest
        # interval alone is still valid at this look, which is what an operator reads.
        low, high = difference - radius, difference + radius
    return SequentialTest(p_value, Interval(low, high), evaluated)


def _difference_and_variance(look: Look, min_trials: int) -> tuple[float, float] | None:
    arm, control = look.arm, look.control
    if arm.trials < max(min_trials, 1) or control.trials < max(min_trials, 1):
        return None
    arm_rate, control_rate = arm.successes / arm.trials, control.successes / control.trials
    variance = (
        arm_rate * (1 - arm_rate) / arm.trials + control_rate * (1 - control_rate) / control.trials
    )
    if variance <= 0:
        return None
    return arm_rate - control_rate, variance


def _inverse_likelihood_ratio(difference: float, variance: float, tau_squared: float) -> float:
    # In logs: the exponent grows with n and would overflow exp() for a clear effect.
    log_ratio = 0.5 * math.log(variance / (variance + tau_squared)) + (
        tau_squared * difference**2 / (2 * variance * (variance + tau_squared))
    )
    return 1.0 if log_ratio <= 0 else math.exp(-log_ratio)


def _radius(variance: float, tau_squared: float, alpha: float) -> float:
    threshold = math.log(1 / alpha) + 0.5 * math.log((variance + tau_squared) / variance)
    return math.sqrt(2 * variance * (variance + tau_squared) / tau_squared * threshold)

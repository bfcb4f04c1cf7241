import math

import pytest

from rebook.analytics.sequential import DEFAULT_MIXING_SD, Look, always_valid_test
from rebook.analytics.statistics import Tally


def mixture_likelihood_ratio(arm: Tally, control: Tally, tau: float) -> float:
    """Johari et al.'s normal mSPRT ratio, written out from the paper's formula."""
    pa, pc = arm.successes / arm.trials, control.successes / control.trials
    v = pa * (1 - pa) / arm.trials + pc * (1 - pc) / control.trials
    return math.sqrt(v / (v + tau**2)) * math.exp(tau**2 * (pa - pc) ** 2 / (2 * v * (v + tau**2)))


def test_one_look_gives_the_inverse_of_the_mixture_likelihood_ratio():
    arm, control = Tally(130, 500), Tally(100, 500)
    test = always_valid_test([Look(arm, control)])

    expected = 1 / mixture_likelihood_ratio(arm, control, DEFAULT_MIXING_SD)
    assert test.p_value == pytest.approx(expected)
    assert test.looks_evaluated == 1


def test_the_p_value_is_the_running_minimum_over_looks():
    # A difference that shows early and then fades: the p-value keeps its best value,
    # which is what makes it valid whenever the operator stops.
    looks = [
        Look(Tally(90, 300), Tally(55, 300)),
        Look(Tally(150, 600), Tally(130, 600)),
        Look(Tally(200, 900), Tally(195, 900)),
    ]
    test = always_valid_test(looks)
    per_look = [1 / mixture_likelihood_ratio(look.arm, look.control, 0.05) for look in looks]

    assert test.p_value == pytest.approx(min(min(per_look), 1.0))
    assert per_look[0] < per_look[2]


def test_the_confidence_sequence_holds_the_estimate_and_only_narrows():
    first = [Look(Tally(60, 200), Tally(40, 200))]
    both = [*first, Look(Tally(130, 500), Tally(100, 500))]
    early, later = always_valid_test(first), always_valid_test(both)

    assert early.confidence_sequence is not None and later.confidence_sequence is not None
    assert early.confidence_sequence.contains(0.1)
    assert later.confidence_sequence.contains(0.06)
    assert later.confidence_sequence.low >= early.confidence_sequence.low
    assert later.confidence_sequence.high <= early.confidence_sequence.high


def test_the_confidence_sequence_excludes_zero_exactly_when_p_is_below_alpha():
    for arm in (Tally(118, 500), Tally(125, 500), Tally(135, 500), Tally(150, 500)):
        test = always_valid_test([Look(arm, Tally(100, 500))])
        assert test.confidence_sequence is not None
        assert (test.p_value < 0.05) == (not test.confidence_sequence.contains(0.0))


def test_looks_with_too_few_trials_are_skipped():
    # 3 of 5 against 0 of 5 would be a huge ratio from a normal approximation of nothing.
    looks = [Look(Tally(3, 5), Tally(0, 5))]
    test = always_valid_test(looks)

    assert test.p_value == 1.0
    assert test.confidence_sequence is None
    assert test.looks_evaluated == 0
    assert test.reason


def test_a_look_without_variance_is_skipped():
    test = always_valid_test([Look(Tally(0, 100), Tally(0, 100))])
    assert test.p_value == 1.0 and test.looks_evaluated == 0


def test_an_overwhelming_effect_does_not_overflow():
    test = always_valid_test([Look(Tally(9000, 10000), Tally(1000, 10000))])
    assert 0.0 <= test.p_value < 1e-100


def test_a_larger_mixing_sd_is_slower_to_confirm_a_small_effect():
    looks = [Look(Tally(560, 2000), Tally(480, 2000))]
    assert (
        always_valid_test(looks, mixing_sd=0.04).p_value
        < always_valid_test(looks, mixing_sd=0.5).p_value
    )


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="mixing_sd"):
        always_valid_test([], mixing_sd=0.0)
    with pytest.raises(ValueError, match="alpha"):
        always_valid_test([], alpha=1.0)

from __future__ import annotations

import subprocess
import sys

import pytest

from rebook.core.experiments import assign_variant, validate_variants


def test_assignment_is_deterministic() -> None:
    first = [assign_variant("subject_line", f"apt_{i}") for i in range(200)]
    again = [assign_variant("subject_line", f"apt_{i}") for i in range(200)]

    assert first == again


def test_assignment_is_stable_across_processes() -> None:
    # Python's hash() is salted per process; the assignment must not depend on it.
    code = "from rebook.core.experiments import assign_variant as a; print(a('exp', 'apt_42'))"
    other_process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert other_process.stdout.strip() == assign_variant("exp", "apt_42")


def test_two_arms_are_roughly_balanced() -> None:
    arms = [assign_variant("subject_line", f"apt_{i}") for i in range(1000)]

    assert set(arms) == {"a", "b"}
    assert 400 <= arms.count("a") <= 600


def test_weights_skew_the_split() -> None:
    arms = [assign_variant("cta", f"apt_{i}", weights=(9, 1)) for i in range(1000)]

    assert 820 <= arms.count("a") <= 960


def test_zero_weight_arm_is_never_assigned() -> None:
    arms = {assign_variant("cta", f"apt_{i}", ("a", "b", "c"), (1, 0, 1)) for i in range(300)}

    assert arms == {"a", "c"}


def test_experiments_are_independent_of_each_other() -> None:
    ids = [f"apt_{i}" for i in range(1000)]
    first = [assign_variant("exp_one", i) for i in ids]
    second = [assign_variant("exp_two", i) for i in ids]

    agreement = sum(x == y for x, y in zip(first, second, strict=True)) / len(ids)
    assert 0.4 <= agreement <= 0.6


@pytest.mark.parametrize("variants", [(), ("a", "a"), ("a", " "), "ab"])
def test_invalid_variants_are_rejected(variants: tuple[str, ...] | str) -> None:
    with pytest.raises(ValueError):
        validate_variants(variants)


@pytest.mark.parametrize("weights", [(1,), (1, -1), (0, 0)])
def test_invalid_weights_are_rejected(weights: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        assign_variant("exp", "apt_1", ("a", "b"), weights)


def test_valid_variants_come_back_as_a_tuple() -> None:
    assert validate_variants(["a", "b", "c"]) == ("a", "b", "c")

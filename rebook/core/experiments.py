"""Deterministic A/B assignment of appointments to experiment arms.

Pure module (stdlib only): the workflow may call it, so it must give the same answer on
every replay and in every process. That rules out random and Python's hash() (salted per
process); a sha256 of the experiment name and appointment id is stable everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from rebook.core.rules import DEFAULT_VARIANTS


def validate_variants(variants: Sequence[str]) -> tuple[str, ...]:
    """Return the variants as a tuple, or raise ValueError if they can't be assigned.

    A bare str is rejected: it is a Sequence[str] too, and "ab" would silently become
    the arms "a" and "b".
    """
    if isinstance(variants, str):
        raise ValueError("variants must be a sequence of names, not a single string")
    arms = tuple(variants)
    if not arms:
        raise ValueError("at least one variant is required")
    if any(not arm.strip() for arm in arms):
        raise ValueError("variant names must be non-empty")
    if len(set(arms)) != len(arms):
        raise ValueError(f"variant names must be unique: {arms!r}")
    return arms


def validate_weights(weights: Sequence[int], variant_count: int) -> tuple[int, ...]:
    """Return the weights as a tuple, or raise ValueError if they can't split traffic."""
    split = tuple(weights)
    if len(split) != variant_count:
        raise ValueError(f"expected {variant_count} weights, got {len(split)}")
    if any(weight < 0 for weight in split):
        raise ValueError("weights must not be negative")
    if sum(split) == 0:
        raise ValueError("at least one weight must be positive")
    return split


def assign_variant(
    experiment_name: str,
    appointment_id: str,
    variants: Sequence[str] = DEFAULT_VARIANTS,
    weights: Sequence[int] | None = None,
) -> str:
    """The arm this appointment gets in this experiment; the same inputs, the same arm.

    Hashing the experiment name in with the id keeps experiments independent: the same
    appointment lands in unrelated arms across different experiments.
    """
    arms = validate_variants(variants)
    split = validate_weights(weights, len(arms)) if weights is not None else (1,) * len(arms)
    bucket = _stable_bucket(experiment_name, appointment_id, sum(split))
    for arm, weight in zip(arms, split, strict=True):
        if bucket < weight:
            return arm
        bucket -= weight
    raise AssertionError("unreachable: bucket is below the total weight")


def _stable_bucket(experiment_name: str, appointment_id: str, total: int) -> int:
    # The NUL separator keeps ("ab", "c") and ("a", "bc") from hashing the same.
    key = f"{experiment_name}\x00{appointment_id}".encode()
    digest = hashlib.sha256(key).digest()
    # 64 bits of hash make the modulo bias negligible for any realistic total weight.
    return int.from_bytes(digest[:8], "big") % total

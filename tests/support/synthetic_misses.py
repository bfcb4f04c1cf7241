"""Synthetic missed appointments with a known true recovery rate per arm.

Each contact is assigned with the product's own ``assign_variant``; then, with the arm's
true probability, the miss is recovered (a slot booked after the miss and attended within
30 days). Every other miss is one of the near-misses the metric must not count: never
rebooked, rebooked but missed again, attended only after the window, or an appointment
booked before the miss. So the recovered rate the pipeline measures must match the true
rate only if every definition is right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from rebook.analytics import ArmSpec, MissFacts
from rebook.core.experiments import assign_variant

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
DAY_S = 86_400.0
WINDOW_DAYS = 30

NEVER_REBOOKED, MISSED_AGAIN, ATTENDED_LATE, BOOKED_BEFORE = range(4)


def assign(experiment: str, arms: Sequence[ArmSpec], count: int) -> list[str]:
    names = [arm.name for arm in arms]
    weights = [arm.weight for arm in arms]
    return [assign_variant(experiment, f"contact-{i}", names, weights) for i in range(count)]


def synthetic_misses(
    rng: np.random.Generator,
    experiment: str,
    arms: Sequence[ArmSpec],
    true_rates: Mapping[str, float],
    count: int,
    days: float,
) -> list[MissFacts]:
    """``count`` misses spread uniformly over ``days`` from START, one contact each."""
    arm_of = assign(experiment, arms, count)
    rate = np.array([true_rates[arm] for arm in arm_of])
    missed = rng.uniform(0, days * DAY_S, count)
    recovered = rng.random(count) < rate
    decoy = rng.integers(0, 4, count)
    rebook_delay = rng.uniform(0, 20 * DAY_S, count)
    slot_delay = rng.uniform(3600, 9 * DAY_S, count)
    late_slot = rng.uniform((WINDOW_DAYS + 1) * DAY_S, 45 * DAY_S, count)
    early_booking = rng.uniform(1 * DAY_S, 10 * DAY_S, count)
    engaged = rng.random(count) < 0.4
    facts = []
    for i in range(count):
        missed_at = START + timedelta(seconds=float(missed[i]))
        holdout = arm_of[i] == "holdout"
        rebooked_at = slot_at = attended_at = None
        if recovered[i] or decoy[i] == MISSED_AGAIN:
            rebooked_at = missed_at + timedelta(seconds=float(rebook_delay[i]))
            slot_at = rebooked_at + timedelta(seconds=float(slot_delay[i]))
            attended_at = slot_at if recovered[i] else None
        elif decoy[i] == ATTENDED_LATE:
            rebooked_at = missed_at + timedelta(seconds=float(rebook_delay[i]))
            slot_at = attended_at = missed_at + timedelta(seconds=float(late_slot[i]))
        elif decoy[i] == BOOKED_BEFORE:
            rebooked_at = missed_at - timedelta(seconds=float(early_booking[i]))
            slot_at = attended_at = missed_at + timedelta(seconds=float(slot_delay[i]))
        delivered_at = None if holdout else missed_at + timedelta(minutes=5)
        facts.append(
            MissFacts(
                appointment_id=f"apt-{i}",
                contact_id=f"contact-{i}",
                arm=arm_of[i],
                missed_at=missed_at,
                first_delivered_at=delivered_at,
                first_engaged_at=delivered_at + timedelta(hours=2)
                if delivered_at and engaged[i]
                else None,
                rebooked_at=rebooked_at,
                rebooked_slot_at=slot_at,
                rebooked_attended_at=attended_at,
            )
        )
    return facts


def after_all_windows(days: float) -> datetime:
    """An instant at which every miss of a ``days``-long enrolment has matured."""
    return START + timedelta(days=days + WINDOW_DAYS, hours=1)

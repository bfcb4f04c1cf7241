"""One experiment's results: every arm's metric, tests against control, the holdout's
reduction, the sample-size outlook, a winner and a verdict; and their CSV.

Pure: the caller passes the arms, the facts of every missed appointment and ``now``.
Only matured misses (their whole window has passed) are counted, see
``rebook.analytics.metrics``. The daily looks of the always-valid test are rebuilt from
the facts: the look at the end of each UTC day holds the misses that had matured by then,
and ``now`` is the last look. A matured outcome never changes, so the replayed looks are
exactly what an operator checking once a day would have seen.

Significance flags use Holm-adjusted p-values across the arms compared with control, so
an eight-arm experiment does not crown a lucky arm; with one comparison they equal the
raw p-values.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from rebook.analytics.metrics import (
    DEFAULT_WINDOW,
    DurationSummary,
    Metric,
    MissFacts,
    Outcome,
    is_matured,
    outcome,
    summarise_durations,
    time_to_rebook,
)
from rebook.analytics.planning import (
    DEFAULT_MDE,
    DEFAULT_POWER,
    MinimumDetectableEffect,
    SampleSizePlan,
    days_remaining,
    observed_misses_per_day,
    plan_sample_size,
)
from rebook.analytics.sequential import (
    DEFAULT_MIXING_SD,
    Look,
    SequentialTest,
    always_valid_test,
)
from rebook.analytics.statistics import (
    DEFAULT_ALPHA,
    ChiSquaredTest,
    Difference,
    Interval,
    RateEstimate,
    Reduction,
    Tally,
    chi_squared_across_arms,
    compare_to_control,
    holm_adjusted,
    reduction_vs_holdout,
    wilson_rate,
)
from rebook.core.experiments import validate_variants, validate_weights


@dataclass(frozen=True)
class ArmSpec:
    """An experiment arm as the statistics need it. The holdout gets no follow-up."""

    name: str
    weight: int
    is_control: bool = False
    is_holdout: bool = False


@dataclass(frozen=True)
class ArmComparison:
    """An arm against control, fixed-horizon and always-valid, with Holm-adjusted p-values."""

    difference: Difference
    z_p_adjusted: float | None
    z_significant: bool  # valid only when read once, at the planned sample size
    sequential: SequentialTest
    always_valid_p_adjusted: float
    always_valid_significant: bool  # valid whenever it is read


@dataclass(frozen=True)
class ArmResult:
    spec: ArmSpec
    misses: int  # every miss assigned to the arm
    pending: int  # misses whose window is still open: not counted yet
    estimate: RateEstimate  # of the primary metric over the matured misses
    time_to_rebook: DurationSummary  # over the matured misses that were rebooked
    versus_control: ArmComparison | None  # None for the control arm itself
    reduction_vs_holdout: Reduction | None  # None without a holdout, and for the holdout
    required_misses: int | None  # from the sample-size plan


@dataclass(frozen=True)
class ExperimentResults:
    metric: Metric
    window: timedelta
    alpha: float
    now: datetime
    control: str
    holdout: str | None
    arms: tuple[ArmResult, ...]  # in the order the arms were given
    chi_squared: ChiSquaredTest
    sample_size: SampleSizePlan
    days_remaining: float | None  # until every arm's required misses have matured
    winner: str | None
    verdict: str

    def arm(self, name: str) -> ArmResult:
        """The named arm's result; raises KeyError for an unknown name."""
        for result in self.arms:
            if result.spec.name == name:
                return result
        raise KeyError(name)


def experiment_results(
    arms: Sequence[ArmSpec],
    facts: Iterable[MissFacts],
    *,
    now: datetime,
    metric: Metric = Metric.RECOVERED,
    window: timedelta = DEFAULT_WINDOW,
    alpha: float = DEFAULT_ALPHA,
    mde: MinimumDetectableEffect = DEFAULT_MDE,
    power: float = DEFAULT_POWER,
    mixing_sd: float = DEFAULT_MIXING_SD,
) -> ExperimentResults:
    """Assemble the results of one experiment at ``now``.

    Facts with ``arm`` None are ignored (those appointments were in no arm). The winner is
    the best-rated arm (neither control nor holdout) that beats control with an adjusted
    always-valid p-value below alpha. The reduction in lost no-shows always uses the
    recovered metric, whatever the primary metric. Raises ValueError for invalid arms
    (fewer than two, duplicate names, not exactly one control, more than one holdout, bad
    weights), a fact naming an unknown arm, an appointment given twice, a naive ``now``, a
    non-positive window, or an alpha or power outside (0, 1).
    """
    control, holdout = _check_arms(arms)
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    ledgers = {spec.name: _ArmLedger() for spec in arms}
    seen: set[str] = set()
    for fact in facts:
        if fact.arm is None:
            continue
        if fact.arm not in ledgers:
            raise ValueError(f"appointment {fact.appointment_id} names unknown arm {fact.arm!r}")
        if fact.appointment_id in seen:
            raise ValueError(f"appointment {fact.appointment_id} is given twice")
        seen.add(fact.appointment_id)
        ledgers[fact.arm].add(fact, metric, now, window)

    estimates = {name: wilson_rate(ledger.tally(), alpha) for name, ledger in ledgers.items()}
    look_times = _daily_look_times(ledgers.values(), now)
    comparisons = _compare_all(arms, ledgers, control, look_times, alpha, mixing_sd)
    weights = {spec.name: spec.weight for spec in arms}
    all_missed_at = [at for ledger in ledgers.values() for at in ledger.missed_at]
    plan = plan_sample_size(
        estimates[control].rate, mde, weights, control, alpha, power,
        observed_misses_per_day(all_missed_at, now),
    )  # fmt: skip
    remaining = days_remaining(
        plan, {name: ledger.missed_at for name, ledger in ledgers.items()}, weights, now, window
    )
    arm_results = tuple(
        ArmResult(
            spec=spec,
            misses=len(ledgers[spec.name].missed_at),
            pending=ledgers[spec.name].pending,
            estimate=estimates[spec.name],
            time_to_rebook=summarise_durations(ledgers[spec.name].rebook_delays),
            versus_control=comparisons.get(spec.name),
            reduction_vs_holdout=(
                reduction_vs_holdout(
                    ledgers[spec.name].recovered_tally(), ledgers[holdout].recovered_tally(), alpha
                )
                if holdout is not None and spec.name != holdout
                else None
            ),
            required_misses=plan.required(spec.name),
        )
        for spec in arms
    )
    winner = _winner(arm_results)
    chi_squared = chi_squared_across_arms([ledger.tally() for ledger in ledgers.values()])
    results = ExperimentResults(
        metric=metric,
        window=window,
        alpha=alpha,
        now=now,
        control=control,
        holdout=holdout,
        arms=arm_results,
        chi_squared=chi_squared,
        sample_size=plan,
        days_remaining=remaining,
        winner=winner,
        verdict="",
    )
    return replace(results, verdict=_verdict(results, mde))


CSV_COLUMNS = (
    "arm",
    "weight",
    "is_control",
    "is_holdout",
    "misses",
    "pending",
    "matured",
    "successes",
    "rate",
    "rate_ci_low",
    "rate_ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "relative_lift",
    "relative_lift_ci_low",
    "relative_lift_ci_high",
    "z_p_value",
    "z_p_adjusted",
    "z_significant",
    "always_valid_p_value",
    "always_valid_p_adjusted",
    "always_valid_significant",
    "confidence_sequence_low",
    "confidence_sequence_high",
    "reduction_vs_holdout",
    "reduction_ci_low",
    "reduction_ci_high",
    "required_misses",
    "rebooked",
    "median_hours_to_rebook",
    "p75_hours_to_rebook",
    "is_winner",
)


def results_csv(results: ExperimentResults) -> str:
    """One row per arm under a header of ``CSV_COLUMNS``; empty cells for missing figures.

    Floats are written in full precision (Python's shortest round-trip form), booleans as
    true/false, durations in hours, so a spreadsheet can recompute anything.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for arm in results.arms:
        row = _csv_row(arm, results.winner)
        writer.writerow([_csv_cell(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


class _ArmLedger:
    """The facts of one arm, reduced to what the statistics need."""

    def __init__(self) -> None:
        self.missed_at: list[datetime] = []
        self.pending = 0
        self.matured: list[tuple[datetime, bool, bool]] = []  # (matured at, success, recovered)
        self.rebook_delays: list[timedelta] = []

    def add(self, fact: MissFacts, metric: Metric, now: datetime, window: timedelta) -> None:
        self.missed_at.append(fact.missed_at)
        if not is_matured(fact, now, window):
            self.pending += 1
            return
        recovered = outcome(Metric.RECOVERED, fact, now, window) is Outcome.SUCCESS
        success = (
            recovered
            if metric is Metric.RECOVERED
            else (outcome(metric, fact, now, window) is Outcome.SUCCESS)
        )
        self.matured.append((fact.missed_at + window, success, recovered))
        delay = time_to_rebook(fact, now, window)
        if delay is not None:
            self.rebook_delays.append(delay)

    def tally(self) -> Tally:
        return Tally(sum(success for _, success, _ in self.matured), len(self.matured))

    def recovered_tally(self) -> Tally:
        return Tally(sum(rec for _, _, rec in self.matured), len(self.matured))

    def cumulative(self) -> tuple[list[datetime], list[int]]:
        """Maturity instants in order, and the successes matured up to each index."""
        ordered = sorted(self.matured)
        successes = [0]
        for _, success, _ in ordered:
            successes.append(successes[-1] + success)
        return [at for at, _, _ in ordered], successes


def _check_arms(arms: Sequence[ArmSpec]) -> tuple[str, str | None]:
    if len(arms) < 2:
        raise ValueError("an experiment needs at least two arms")
    validate_variants([spec.name for spec in arms])
    validate_weights([spec.weight for spec in arms], len(arms))
    controls = [spec.name for spec in arms if spec.is_control]
    holdouts = [spec.name for spec in arms if spec.is_holdout]
    if len(controls) != 1:
        raise ValueError(f"exactly one arm must be the control, got {len(controls)}")
    if len(holdouts) > 1:
        raise ValueError(f"at most one arm may be the holdout, got {len(holdouts)}")
    return controls[0], holdouts[0] if holdouts else None


def _daily_look_times(ledgers: Iterable[_ArmLedger], now: datetime) -> list[datetime]:
    maturities = [at for ledger in ledgers for at, _, _ in ledger.matured]
    if not maturities:
        return []
    first_day = min(maturities).astimezone(UTC).date() + timedelta(days=1)
    looks = []
    midnight = datetime.combine(first_day, time(), tzinfo=UTC)
    while midnight < now:
        looks.append(midnight)
        midnight += timedelta(days=1)
    return [*looks, now]


def _compare_all(
    arms: Sequence[ArmSpec],
    ledgers: dict[str, _ArmLedger],
    control: str,
    look_times: list[datetime],
    alpha: float,
    mixing_sd: float,
) -> dict[str, ArmComparison]:
    control_looks = _tallies_at(ledgers[control], look_times)
    differences: dict[str, Difference] = {}
    sequential: dict[str, SequentialTest] = {}
    for spec in arms:
        if spec.name == control:
            continue
        ledger = ledgers[spec.name]
        differences[spec.name] = compare_to_control(ledger.tally(), ledgers[control].tally(), alpha)
        looks = [
            Look(arm=arm_tally, control=control_tally)
            for arm_tally, control_tally in zip(
                _tallies_at(ledger, look_times), control_looks, strict=True
            )
        ]
        sequential[spec.name] = always_valid_test(looks, alpha, mixing_sd)
    names = list(differences)
    z_adjusted = holm_adjusted([differences[name].z_p_value for name in names])
    valid_adjusted = holm_adjusted([sequential[name].p_value for name in names])
    comparisons = {}
    for name, z_p, valid_p in zip(names, z_adjusted, valid_adjusted, strict=True):
        assert valid_p is not None  # always-valid p-values are never missing
        comparisons[name] = ArmComparison(
            difference=differences[name],
            z_p_adjusted=z_p,
            z_significant=z_p is not None and z_p < alpha,
            sequential=sequential[name],
            always_valid_p_adjusted=valid_p,
            always_valid_significant=valid_p < alpha,
        )
    return comparisons


def _tallies_at(ledger: _ArmLedger, look_times: list[datetime]) -> list[Tally]:
    matured_at, successes = ledger.cumulative()
    tallies = []
    for look in look_times:
        trials = bisect.bisect_right(matured_at, look)
        tallies.append(Tally(successes[trials], trials))
    return tallies


def _winner(arms: Sequence[ArmResult]) -> str | None:
    beating = [
        arm
        for arm in arms
        if not arm.spec.is_holdout
        and arm.versus_control is not None
        and arm.versus_control.always_valid_significant
        and (arm.versus_control.difference.difference or 0.0) > 0
    ]
    if not beating:
        return None
    return max(beating, key=lambda arm: arm.estimate.rate or 0.0).spec.name


def _verdict(results: ExperimentResults, mde: MinimumDetectableEffect) -> str:
    control = results.arm(results.control)
    metric = results.metric.value
    window_days = results.window / timedelta(days=1)
    pending = sum(arm.pending for arm in results.arms)
    if control.estimate.rate is None:
        return (
            f"Too early to tell: control '{control.spec.name}' has no missed appointment "
            f"whose {window_days:g}-day window has ended ({pending} still open)."
        )
    sentences: list[str] = []
    if results.winner is not None:
        winner = results.arm(results.winner)
        sentences.append(
            f"'{winner.spec.name}' wins on {metric}: {_rate(winner)} against {_rate(control)} "
            f"for control '{control.spec.name}' ({_difference(winner, results.alpha)}; "
            f"always-valid p = {_p(winner)}), a result that holds however often it was checked."
        )
    else:
        ahead = [
            arm
            for arm in results.arms
            if arm.versus_control is not None
            and not arm.spec.is_holdout
            and (arm.versus_control.difference.difference or 0.0) > 0
        ]
        best = max(ahead, key=lambda arm: arm.estimate.rate or 0.0, default=None)
        if best is None:
            sentences.append(f"No arm beats control '{control.spec.name}' on {metric}.")
        else:
            sentences.append(
                f"No arm beats control '{control.spec.name}' on {metric} yet: the closest, "
                f"'{best.spec.name}', is at {_rate(best)} against {_rate(control)} "
                f"({_difference(best, results.alpha)}; always-valid p = {_p(best)})."
            )
        sentences.append(_outlook(results, mde))
    for arm in results.arms:
        comparison = arm.versus_control
        if (
            comparison is not None
            and comparison.always_valid_significant
            and (comparison.difference.difference or 0.0) < 0
        ):
            sentences.append(
                f"'{arm.spec.name}' does worse than control ({_difference(arm, results.alpha)}; "
                f"always-valid p = {_p(arm)})."
            )
    featured = results.arm(results.winner or results.control)
    reduction = featured.reduction_vs_holdout
    if reduction is not None and reduction.reduction is not None:
        interval = (
            f" ({1 - results.alpha:.0%} CI {reduction.interval.low:.0%} to "
            f"{reduction.interval.high:.0%})"
            if reduction.interval is not None
            else ""
        )
        sentences.append(
            f"Against the holdout '{results.holdout}', '{featured.spec.name}' cuts lost "
            f"no-shows by {reduction.reduction:.0%}{interval}."
        )
    if pending:
        sentences.append(f"{pending} more missed appointments are still inside their window.")
    return " ".join(sentences)


def _outlook(results: ExperimentResults, mde: MinimumDetectableEffect) -> str:
    plan = results.sample_size
    if results.days_remaining is None:
        return f"No sample-size estimate yet: {plan.reason or 'no daily rate of misses yet'}."
    if results.days_remaining == 0:
        return (
            f"Every arm has the misses needed to detect a change of {mde.describe()}, so any "
            "remaining difference is probably smaller than that."
        )
    per_day = plan.misses_per_day or 0.0
    return (
        f"About {results.days_remaining:.0f} more days at the current {per_day:.1f} misses "
        f"a day to detect a change of {mde.describe()}."
    )


def _rate(arm: ArmResult) -> str:
    return f"{arm.estimate.rate or 0.0:.1%} of {arm.estimate.tally.trials} misses"


def _difference(arm: ArmResult, alpha: float) -> str:
    assert arm.versus_control is not None
    difference = arm.versus_control.difference
    if difference.difference is None:
        return "no difference yet"
    text = f"{difference.difference * 100:+.1f} points"
    if difference.interval is not None:
        low, high = difference.interval.low * 100, difference.interval.high * 100
        text += f", {1 - alpha:.0%} CI {low:+.1f} to {high:+.1f}"
    return text


def _p(arm: ArmResult) -> str:
    assert arm.versus_control is not None
    return f"{arm.versus_control.always_valid_p_adjusted:.2g}"


def _csv_row(arm: ArmResult, winner: str | None) -> dict[str, object]:
    comparison, reduction = arm.versus_control, arm.reduction_vs_holdout
    difference = comparison.difference if comparison else None
    row: dict[str, object] = {
        "arm": arm.spec.name,
        "weight": arm.spec.weight,
        "is_control": arm.spec.is_control,
        "is_holdout": arm.spec.is_holdout,
        "misses": arm.misses,
        "pending": arm.pending,
        "matured": arm.estimate.tally.trials,
        "successes": arm.estimate.tally.successes,
        "rate": arm.estimate.rate,
        **_bounds("rate_ci", arm.estimate.interval),
        "required_misses": arm.required_misses,
        "rebooked": arm.time_to_rebook.count,
        "median_hours_to_rebook": _hours(arm.time_to_rebook.median),
        "p75_hours_to_rebook": _hours(arm.time_to_rebook.p75),
        "is_winner": arm.spec.name == winner,
    }
    if comparison is not None and difference is not None:
        row |= {
            "difference": difference.difference,
            **_bounds("difference_ci", difference.interval),
            "relative_lift": difference.relative_lift,
            **_bounds("relative_lift_ci", difference.lift_interval),
            "z_p_value": difference.z_p_value,
            "z_p_adjusted": comparison.z_p_adjusted,
            "z_significant": comparison.z_significant,
            "always_valid_p_value": comparison.sequential.p_value,
            "always_valid_p_adjusted": comparison.always_valid_p_adjusted,
            "always_valid_significant": comparison.always_valid_significant,
            **_bounds("confidence_sequence", comparison.sequential.confidence_sequence),
        }
    if reduction is not None:
        row |= {
            "reduction_vs_holdout": reduction.reduction,
            **_bounds("reduction_ci", reduction.interval),
        }
    return row


def _bounds(prefix: str, interval: Interval | None) -> dict[str, float | None]:
    return {
        f"{prefix}_low": interval.low if interval else None,
        f"{prefix}_high": interval.high if interval else None,
    }


def _hours(duration: timedelta | None) -> float | None:
    return None if duration is None else duration / timedelta(hours=1)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

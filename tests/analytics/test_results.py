import csv
import io
import itertools
from datetime import UTC, datetime, time, timedelta

import pytest

from rebook.analytics import (
    CSV_COLUMNS,
    ArmSpec,
    Look,
    Metric,
    MissFacts,
    Tally,
    always_valid_test,
    experiment_results,
    is_matured,
    outcome,
    results_csv,
)
from rebook.analytics.metrics import Outcome

START = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = timedelta(days=30)
_ids = itertools.count()

CONTROL = ArmSpec("control", 1, is_control=True)
NEW_COPY = ArmSpec("new_copy", 1)
SMS_FIRST = ArmSpec("sms_first", 1)
HOLDOUT = ArmSpec("holdout", 1, is_holdout=True)


def misses(
    arm: str | None,
    recovered: int,
    lost: int,
    first: datetime = START,
    spread: timedelta = 10 * DAY,
    rebooked_not_attended: int = 0,
) -> list[MissFacts]:
    """Misses spread evenly from ``first``; recovered ones rebook after 2 days, attend at 5."""
    total = recovered + lost + rebooked_not_attended
    facts = []
    for i in range(total):
        missed_at = first + spread * i / max(total, 1)
        n = next(_ids)
        rebooked = i < recovered + rebooked_not_attended
        facts.append(
            MissFacts(
                appointment_id=f"apt-{n}",
                contact_id=f"c-{n}",
                arm=arm,
                missed_at=missed_at,
                first_delivered_at=missed_at + timedelta(minutes=5),
                rebooked_at=missed_at + 2 * DAY if rebooked else None,
                rebooked_slot_at=missed_at + 5 * DAY if rebooked else None,
                rebooked_attended_at=missed_at + 5 * DAY if i < recovered else None,
            )
        )
    return facts


AFTER_ALL = START + 10 * DAY + WINDOW + DAY


def test_counts_and_rates_per_arm():
    facts = misses("control", 20, 80) + misses("new_copy", 35, 65)
    results = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL)

    control, new_copy = results.arm("control"), results.arm("new_copy")
    assert (control.misses, control.pending, control.estimate.tally) == (100, 0, Tally(20, 100))
    assert new_copy.estimate.rate == pytest.approx(0.35)
    assert control.estimate.interval is not None and control.estimate.interval.contains(0.2)
    assert control.versus_control is None
    comparison = new_copy.versus_control
    assert comparison is not None
    assert comparison.difference.difference == pytest.approx(0.15)
    assert comparison.difference.relative_lift == pytest.approx(0.75)
    assert comparison.z_p_adjusted == comparison.difference.z_p_value  # one comparison
    assert results.chi_squared.p_value is not None


def test_misses_still_in_their_window_are_left_out_even_when_already_recovered():
    # Counting early recoveries but not the open misses would inflate the rate.
    old = misses("control", 10, 30)
    recent = misses("control", 3, 2, first=AFTER_ALL - 5 * DAY, spread=DAY)
    results = experiment_results(
        [CONTROL, NEW_COPY], old + recent + misses("new_copy", 10, 30), now=AFTER_ALL
    )

    control = results.arm("control")
    assert control.misses == 45 and control.pending == 5
    assert control.estimate.tally == Tally(10, 40)
    assert "5 more missed appointments are still inside their window" in results.verdict


def test_facts_outside_any_arm_are_ignored_and_unknown_arms_refused():
    facts = misses("control", 5, 5) + misses(None, 50, 0) + misses("new_copy", 5, 5)
    results = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL)
    assert sum(arm.misses for arm in results.arms) == 20

    with pytest.raises(ValueError, match="unknown arm 'nope'"):
        experiment_results([CONTROL, NEW_COPY], misses("nope", 1, 0), now=AFTER_ALL)


def test_an_appointment_given_twice_is_refused_rather_than_counted_twice():
    facts = misses("control", 1, 1)
    with pytest.raises(ValueError, match=f"{facts[0].appointment_id} is given twice"):
        experiment_results([CONTROL, NEW_COPY], [*facts, facts[0]], now=AFTER_ALL)


def test_the_primary_metric_decides_what_counts():
    facts = misses("control", 10, 30, rebooked_not_attended=10) + misses("new_copy", 10, 40)
    rebooked = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL, metric=Metric.REBOOKED)
    recovered = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL)

    assert rebooked.arm("control").estimate.tally == Tally(20, 50)
    assert recovered.arm("control").estimate.tally == Tally(10, 50)
    assert rebooked.arm("control").time_to_rebook.count == 20
    assert rebooked.arm("control").time_to_rebook.median == 2 * DAY


def test_reduction_in_lost_no_shows_is_against_the_holdout_on_recovered():
    facts = (
        misses("control", 30, 70)
        + misses("new_copy", 40, 60, rebooked_not_attended=0)
        + misses("holdout", 10, 90)
    )
    results = experiment_results(
        [CONTROL, NEW_COPY, HOLDOUT], facts, now=AFTER_ALL, metric=Metric.REACHED
    )

    reduction = results.arm("new_copy").reduction_vs_holdout
    assert reduction is not None and reduction.reduction == pytest.approx(1 - 60 / 90)
    assert results.arm("control").reduction_vs_holdout is not None
    assert results.arm("holdout").reduction_vs_holdout is None
    assert results.holdout == "holdout"


def test_no_reduction_without_a_holdout():
    facts = misses("control", 30, 70) + misses("new_copy", 40, 60)
    results = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL)

    assert results.holdout is None
    assert all(arm.reduction_vs_holdout is None for arm in results.arms)


def test_a_clear_winner_is_named():
    facts = misses("control", 60, 240) + misses("new_copy", 120, 180) + misses("sms_first", 66, 234)
    results = experiment_results([CONTROL, NEW_COPY, SMS_FIRST], facts, now=AFTER_ALL)

    assert results.winner == "new_copy"
    assert results.verdict.startswith(
        "'new_copy' wins on recovered: 40.0% of 300 misses against 20.0%"
    )
    sms = results.arm("sms_first").versus_control
    assert sms is not None and not sms.always_valid_significant


def test_holm_adjusts_the_p_values_of_several_arms():
    facts = misses("control", 60, 240) + misses("new_copy", 85, 215) + misses("sms_first", 80, 220)
    results = experiment_results([CONTROL, NEW_COPY, SMS_FIRST], facts, now=AFTER_ALL)

    for name in ("new_copy", "sms_first"):
        comparison = results.arm(name).versus_control
        assert comparison is not None
        assert comparison.always_valid_p_adjusted >= comparison.sequential.p_value
        assert comparison.z_p_adjusted is not None and comparison.difference.z_p_value is not None
        assert comparison.z_p_adjusted >= comparison.difference.z_p_value
    assert results.sample_size.alpha_per_comparison == pytest.approx(0.025)


def test_an_arm_that_does_worse_is_no_winner_and_is_called_out():
    facts = misses("control", 120, 180) + misses("new_copy", 50, 250)
    results = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL)

    assert results.winner is None
    assert "'new_copy' does worse than control" in results.verdict


def test_the_holdout_is_never_the_winner():
    # Follow-ups that hurt: doing nothing "beats" control, but it is no arm to promote.
    facts = misses("control", 30, 270) + misses("holdout", 120, 180)
    results = experiment_results([CONTROL, HOLDOUT], facts, now=AFTER_ALL)

    comparison = results.arm("holdout").versus_control
    assert comparison is not None and comparison.always_valid_significant
    assert results.winner is None


def test_the_holdout_may_be_the_control():
    arms = [ArmSpec("nothing", 1, is_control=True, is_holdout=True), ArmSpec("follow_up", 1)]
    facts = misses("nothing", 30, 270) + misses("follow_up", 90, 210)
    results = experiment_results(arms, facts, now=AFTER_ALL)

    assert results.winner == "follow_up"
    reduction = results.arm("follow_up").reduction_vs_holdout
    assert reduction is not None and reduction.reduction == pytest.approx(1 - 210 / 270)
    assert "cuts lost no-shows by 22%" in results.verdict


def test_too_early_when_control_has_no_matured_miss():
    facts = misses("control", 1, 3) + misses("new_copy", 2, 2)
    results = experiment_results([CONTROL, NEW_COPY], facts, now=START + 12 * DAY)

    assert results.arm("control").estimate.rate is None
    assert results.winner is None
    assert results.verdict.startswith("Too early to tell")
    assert results.sample_size.reason is not None
    assert results.chi_squared.p_value is None and results.chi_squared.reason


def test_no_winner_gives_the_outlook_in_days():
    facts = misses("control", 20, 80) + misses("new_copy", 22, 78)
    results = experiment_results([CONTROL, NEW_COPY], facts, now=AFTER_ALL)

    assert results.winner is None
    assert results.days_remaining is not None and results.days_remaining > 30
    assert results.arm("control").required_misses == results.sample_size.required("control")
    assert "more days at the current" in results.verdict


def test_the_always_valid_p_replays_one_look_per_day():
    # Misses over 20 days, read 10 days after the last window ended: the looks are the
    # end of every UTC day from the first maturity, plus now. Rebuild them here from the
    # metric as an operator would have seen it on each of those days.
    facts = misses("control", 40, 160, spread=20 * DAY) + misses(
        "new_copy", 75, 125, spread=20 * DAY
    )
    now = START + 20 * DAY + WINDOW + 10 * DAY
    results = experiment_results([CONTROL, NEW_COPY], facts, now=now)

    first_maturity = START + WINDOW
    midnight = datetime.combine(first_maturity.date() + DAY, time(), tzinfo=UTC)
    look_times = []
    while midnight < now:
        look_times.append(midnight)
        midnight += DAY
    look_times.append(now)

    def tally(arm: str, at: datetime) -> Tally:
        seen = [f for f in facts if f.arm == arm and is_matured(f, at, WINDOW)]
        wins = [f for f in seen if outcome(Metric.RECOVERED, f, at, WINDOW) is Outcome.SUCCESS]
        return Tally(len(wins), len(seen))

    looks = [Look(tally("new_copy", at), tally("control", at)) for at in look_times]
    expected = always_valid_test(looks)
    comparison = results.arm("new_copy").versus_control

    assert len(look_times) == 31
    assert comparison is not None
    assert comparison.sequential == expected


def test_csv_has_one_row_per_arm_in_a_stable_column_order():
    facts = misses("control", 30, 70) + misses("new_copy", 45, 55) + misses("holdout", 10, 90)
    results = experiment_results([CONTROL, NEW_COPY, HOLDOUT], facts, now=AFTER_ALL)

    text = results_csv(results)
    rows = list(csv.DictReader(io.StringIO(text)))

    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert [row["arm"] for row in rows] == ["control", "new_copy", "holdout"]
    control, new_copy, holdout = rows
    assert control["is_control"] == "true" and control["difference"] == ""
    assert float(new_copy["rate"]) == results.arm("new_copy").estimate.rate
    assert float(new_copy["difference"]) == pytest.approx(0.15)
    assert new_copy["is_winner"] == ("true" if results.winner == "new_copy" else "false")
    assert holdout["reduction_vs_holdout"] == ""
    assert float(new_copy["reduction_vs_holdout"]) == pytest.approx(1 - 55 / 90)
    assert float(new_copy["median_hours_to_rebook"]) == 48.0
    assert [column for column in CSV_COLUMNS if new_copy[column] == ""] == []


@pytest.mark.parametrize(
    ("arms", "message"),
    [
        ([CONTROL], "at least two arms"),
        ([CONTROL, ArmSpec("control", 1)], "unique"),
        ([ArmSpec("a", 1), ArmSpec("b", 1)], "exactly one arm must be the control"),
        ([CONTROL, ArmSpec("b", 1, is_control=True)], "exactly one arm must be the control"),
        (
            [CONTROL, ArmSpec("h1", 1, is_holdout=True), ArmSpec("h2", 1, is_holdout=True)],
            "at most one arm may be the holdout",
        ),
        ([CONTROL, ArmSpec("b", -1)], "negative"),
    ],
)
def test_invalid_arms_are_refused(arms, message):
    with pytest.raises(ValueError, match=message):
        experiment_results(arms, [], now=AFTER_ALL)


def test_invalid_parameters_are_refused():
    arms = [CONTROL, NEW_COPY]
    with pytest.raises(ValueError, match="now"):
        experiment_results(arms, [], now=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="window"):
        experiment_results(arms, [], now=AFTER_ALL, window=timedelta(0))
    with pytest.raises(ValueError, match="alpha"):
        experiment_results(arms, [], now=AFTER_ALL, alpha=0.0)


def test_an_experiment_without_any_miss_is_too_early_and_does_not_fail():
    results = experiment_results([CONTROL, NEW_COPY, HOLDOUT], [], now=AFTER_ALL)

    assert results.verdict.startswith("Too early to tell")
    assert results.days_remaining is None
    assert len(results_csv(results).splitlines()) == 4

"""Experiment analytics: metric definitions, statistics and results assembly.

Pure (no database, no clock: ``now`` is a parameter) but not workflow code: it imports
numpy, scipy and statsmodels, so workflows must not import it. The API and reports call
``experiment_results`` and ``results_csv``; the other names are their building blocks.
"""

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
    ArmRequirement,
    MinimumDetectableEffect,
    SampleSizePlan,
    days_remaining,
    observed_misses_per_day,
    plan_sample_size,
)
from rebook.analytics.results import (
    CSV_COLUMNS,
    ArmComparison,
    ArmResult,
    ArmSpec,
    ExperimentResults,
    experiment_results,
    results_csv,
)
from rebook.analytics.sequential import (
    DEFAULT_MIXING_SD,
    Look,
    SequentialTest,
    always_valid_test,
)
from rebook.analytics.statistics import (
    ChiSquaredTest,
    Difference,
    Interval,
    RateEstimate,
    Reduction,
    Tally,
    chi_squared_across_arms,
    compare_to_control,
    holm_adjusted,
    ratio_interval,
    reduction_vs_holdout,
    two_proportion_z_test,
    wilson_rate,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MDE",
    "DEFAULT_MIXING_SD",
    "DEFAULT_WINDOW",
    "ArmComparison",
    "ArmRequirement",
    "ArmResult",
    "ArmSpec",
    "ChiSquaredTest",
    "Difference",
    "DurationSummary",
    "ExperimentResults",
    "Interval",
    "Look",
    "Metric",
    "MinimumDetectableEffect",
    "MissFacts",
    "Outcome",
    "RateEstimate",
    "Reduction",
    "SampleSizePlan",
    "SequentialTest",
    "Tally",
    "always_valid_test",
    "chi_squared_across_arms",
    "compare_to_control",
    "days_remaining",
    "experiment_results",
    "holm_adjusted",
    "is_matured",
    "observed_misses_per_day",
    "outcome",
    "plan_sample_size",
    "ratio_interval",
    "reduction_vs_holdout",
    "results_csv",
    "summarise_durations",
    "time_to_rebook",
    "two_proportion_z_test",
    "wilson_rate",
]

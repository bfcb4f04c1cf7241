"""Lead scoring as data: per-workspace rules (rules) and the pure functions that apply
signals, decay scores and detect band crossings (engine)."""

from rebook.scoring.engine import (
    BandCrossing,
    Direction,
    HistoryEntry,
    ScoreSignal,
    ScoreState,
    ScoreUpdate,
    apply_signal,
    follow_up_ignored_at,
    is_follow_up_ignored,
    refresh,
    score_at,
    score_changed_event,
)
from rebook.scoring.rules import Band, ScoringRules, Signal, SignalPoints

__all__ = [
    "Band",
    "BandCrossing",
    "Direction",
    "HistoryEntry",
    "ScoreSignal",
    "ScoreState",
    "ScoreUpdate",
    "ScoringRules",
    "Signal",
    "SignalPoints",
    "apply_signal",
    "follow_up_ignored_at",
    "is_follow_up_ignored",
    "refresh",
    "score_at",
    "score_changed_event",
]

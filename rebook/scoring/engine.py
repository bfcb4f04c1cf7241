"""Lead scoring: apply a signal to a contact's score, let silence decay it, and notice when
it crosses from one band into another (the `lead.score_changed` webhook and the CRM
property follow a crossing, not every point).

The score decays exponentially towards 0 from its last change (half-life from the rules),
then stays within the rules' bounds; values are rounded to 2 decimals. A signal's id is its
business identity (e.g. "com_12/clicked"): applying the same id twice changes nothing, so a
retried activity or a duplicated webhook cannot score twice.

Pure functions over frozen dataclasses: the caller loads the state, applies, and stores
the new state with the history entry in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from rebook.core.contracts import ContactDetails
from rebook.outbound.events import OutboundEvent, ScoreChanged, WebhookEventType
from rebook.scoring.rules import ScoringRules, Signal

_DECIMALS = 2


@dataclass(frozen=True)
class ScoreState:
    """A contact's score as last stored."""

    score: float
    band: str  # the band last reported (to the CRM and webhooks)
    as_of: datetime | None  # when `score` was set; decay runs from here
    applied: frozenset[str] = frozenset()  # ids of the signals already counted

    @classmethod
    def initial(cls, rules: ScoringRules) -> ScoreState:
        return cls(score=rules.initial_score, band=rules.band_for(rules.initial_score), as_of=None)


@dataclass(frozen=True)
class ScoreSignal:
    id: str  # business identity; a repeated id is ignored
    signal: Signal
    at: datetime  # timezone-aware
    reason: str = ""  # shown in the history, e.g. "clicked the reschedule link"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a contact's score history."""

    at: datetime
    signal_id: str | None  # None: the entry records decay over time
    signal: Signal | None
    reason: str
    points: float  # what the rules grant for the signal
    delta: float  # what it changed, after the bounds (e.g. +10 points at 95/100 -> +5)
    decay: float  # change from decay since the previous entry (<= 0 for positive scores)
    score_before: float  # after decay, before the signal
    score_after: float
    band_before: str
    band_after: str


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class BandCrossing:
    at: datetime
    from_band: str
    to_band: str
    direction: Direction
    score_before: float
    score_after: float
    signal_id: str | None  # None when decay moved the score
    signal: Signal | None


@dataclass(frozen=True)
class ScoreUpdate:
    state: ScoreState  # store this
    entry: HistoryEntry | None  # append this; None when nothing happened (repeat, no-op)
    crossing: BandCrossing | None  # emit lead.score_changed and update the CRM when set


def score_at(state: ScoreState, now: datetime, rules: ScoringRules) -> float:
    """The score as of `now`: the stored score decayed since it was set."""
    return _decayed(state.score, state.as_of, now, rules)


def apply_signal(state: ScoreState, signal: ScoreSignal, rules: ScoringRules) -> ScoreUpdate:
    """Decay the score to the signal's time, then add the signal's points within bounds.

    A signal older than the state (it arrived late) is applied at the state's time: decay
    is never undone. Idempotent: a signal whose id was applied already returns the state
    unchanged, with no entry and no crossing.
    """
    if signal.at.tzinfo is None:
        raise ValueError("signal times must be timezone-aware")
    if signal.id in state.applied:
        return ScoreUpdate(state=state, entry=None, crossing=None)
    at = signal.at if state.as_of is None else max(signal.at, state.as_of)
    before = _decayed(state.score, state.as_of, at, rules)
    points = rules.points.for_signal(signal.signal)
    after = _bounded(before + points, rules)
    band_after = rules.band_for(after)
    entry = HistoryEntry(
        at=signal.at,
        signal_id=signal.id,
        signal=signal.signal,
        reason=signal.reason or signal.signal.value.replace("_", " "),
        points=points,
        delta=round(after - before, _DECIMALS),
        decay=round(before - state.score, _DECIMALS),
        score_before=before,
        score_after=after,
        band_before=state.band,
        band_after=band_after,
    )
    new_state = ScoreState(
        score=after, band=band_after, as_of=at, applied=state.applied | {signal.id}
    )
    return ScoreUpdate(
        state=new_state,
        entry=entry,
        crossing=_crossing(entry, rules),
    )


def refresh(state: ScoreState, now: datetime, rules: ScoringRules) -> ScoreUpdate:
    """Let decay catch up (a periodic job calls this): when silence has moved the score
    into another band, the new state, a decay entry and the crossing; otherwise the state
    unchanged and nothing to record."""
    before = state.score
    after = score_at(state, now, rules)
    band_after = rules.band_for(after)
    if band_after == state.band or state.as_of is None or now <= state.as_of:
        return ScoreUpdate(state=state, entry=None, crossing=None)
    entry = HistoryEntry(
        at=now,
        signal_id=None,
        signal=None,
        reason="no engagement (decay)",
        points=0,
        delta=0,
        decay=round(after - before, _DECIMALS),
        score_before=after,
        score_after=after,
        band_before=state.band,
        band_after=band_after,
    )
    new_state = replace(state, score=after, band=band_after, as_of=now)
    return ScoreUpdate(state=new_state, entry=entry, crossing=_crossing(entry, rules))


def score_changed_event(
    crossing: BandCrossing, *, workspace_id: str, contact: ContactDetails
) -> OutboundEvent:
    """The `lead.score_changed` webhook event for a band crossing. Its id is derived from
    the crossing, so emitting it twice enqueues one delivery."""
    cause = crossing.signal_id or f"decay@{crossing.at.isoformat()}"
    return OutboundEvent(
        id=f"{workspace_id}/{contact.id}/score/{cause}",
        type=WebhookEventType.LEAD_SCORE_CHANGED,
        occurred_at=crossing.at,
        workspace_id=workspace_id,
        contact=contact,
        details=ScoreChanged(
            score=crossing.score_after,
            previous_score=crossing.score_before,
            band=crossing.to_band,
            previous_band=crossing.from_band,
            signal=crossing.signal.value if crossing.signal else None,
        ),
    )


def follow_up_ignored_at(sent_at: datetime, rules: ScoringRules) -> datetime:
    """When a follow-up sent at `sent_at` counts as ignored if nothing happened by then
    (the workflow sets its timer here)."""
    return sent_at + timedelta(hours=rules.follow_up_ignored_after_hours)


def is_follow_up_ignored(
    sent_at: datetime, first_engagement_at: datetime | None, now: datetime, rules: ScoringRules
) -> bool:
    """True once the window has passed with no human open, click or reply inside it."""
    deadline = follow_up_ignored_at(sent_at, rules)
    if now < deadline:
        return False
    return first_engagement_at is None or first_engagement_at > deadline


def _decayed(score: float, since: datetime | None, until: datetime, rules: ScoringRules) -> float:
    if since is None or rules.half_life_days is None or until <= since:
        return _bounded(score, rules)
    days = (until - since) / timedelta(days=1)
    return _bounded(score * 0.5 ** (days / rules.half_life_days), rules)


def _bounded(score: float, rules: ScoringRules) -> float:
    return round(min(max(score, rules.min_score), rules.max_score), _DECIMALS)


def _crossing(entry: HistoryEntry, rules: ScoringRules) -> BandCrossing | None:
    if entry.band_after == entry.band_before:
        return None
    order = [band.name for band in rules.bands]
    # A band no longer in the rules (they were edited) ranks below every current one.
    rank_before = order.index(entry.band_before) if entry.band_before in order else -1
    direction = Direction.UP if order.index(entry.band_after) > rank_before else Direction.DOWN
    return BandCrossing(
        at=entry.at,
        from_band=entry.band_before,
        to_band=entry.band_after,
        direction=direction,
        score_before=entry.score_before,
        score_after=entry.score_after,
        signal_id=entry.signal_id,
        signal=entry.signal,
    )

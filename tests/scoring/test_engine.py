import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.core.contracts import ContactDetails
from rebook.outbound.events import WebhookEventType, serialize
from rebook.scoring.engine import (
    Direction,
    ScoreSignal,
    ScoreState,
    apply_signal,
    follow_up_ignored_at,
    is_follow_up_ignored,
    refresh,
    score_at,
    score_changed_event,
)
from rebook.scoring.rules import ScoringRules, Signal

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RULES = ScoringRules()
NO_DECAY = ScoringRules(half_life_days=None)
CONTACT = ContactDetails(id="c-42", name="Ada", timezone="UTC", email="ada@example.com")


def state(score: float, *, at: datetime | None = T0, rules: ScoringRules = RULES) -> ScoreState:
    return ScoreState(score=score, band=rules.band_for(score), as_of=at)


def signal(kind: Signal, at: datetime = T0, id: str | None = None) -> ScoreSignal:
    return ScoreSignal(id=id or f"{kind.value}@{at.isoformat()}", signal=kind, at=at)


def test_a_new_contact_starts_at_the_initial_score():
    initial = ScoreState.initial(RULES)
    assert initial == ScoreState(score=0, band="cold", as_of=None, applied=frozenset())


def test_a_click_adds_its_points_and_records_the_history():
    update = apply_signal(
        ScoreState.initial(RULES), signal(Signal.MESSAGE_CLICKED, id="com_1/click"), RULES
    )

    assert update.state == ScoreState(
        score=10, band="cold", as_of=T0, applied=frozenset({"com_1/click"})
    )
    entry = update.entry
    assert entry is not None
    assert (entry.signal, entry.signal_id, entry.points, entry.delta, entry.decay) == (
        Signal.MESSAGE_CLICKED,
        "com_1/click",
        10,
        10,
        0,
    )
    assert (entry.score_before, entry.score_after, entry.at) == (0, 10, T0)
    assert entry.reason == "message clicked"
    assert update.crossing is None


@pytest.mark.parametrize(
    ("kind", "points"),
    [
        (Signal.MESSAGE_OPENED, 2),
        (Signal.MESSAGE_REPLIED, 15),
        (Signal.REBOOKED, 20),
        (Signal.ATTENDED_AFTER_MISS, 30),
        (Signal.CONVERTED, 40),
        (Signal.FOLLOW_UP_IGNORED, -5),
        (Signal.LOST, -20),
        (Signal.OPTED_OUT, -15),
    ],
)
def test_each_signal_moves_the_score_by_its_rule(kind, points):
    update = apply_signal(state(50), signal(kind), RULES)
    assert update.state.score == 50 + points
    assert update.entry is not None and update.entry.delta == points


def test_the_score_stops_at_the_upper_bound():
    update = apply_signal(state(95), signal(Signal.MESSAGE_CLICKED), RULES)
    assert update.state.score == 100
    assert update.entry is not None
    assert (update.entry.points, update.entry.delta) == (10, 5)


def test_the_score_stops_at_the_lower_bound():
    update = apply_signal(state(3), signal(Signal.LOST), RULES)
    assert update.state.score == 0
    assert update.entry is not None and update.entry.delta == -3


def test_silence_halves_the_score_every_half_life():
    assert score_at(state(40), T0 + timedelta(days=30), RULES) == 20
    assert score_at(state(40), T0 + timedelta(days=60), RULES) == 10
    assert score_at(state(40), T0 + timedelta(days=15), RULES) == pytest.approx(28.28, abs=0.01)
    assert score_at(state(40), T0, RULES) == 40


def test_without_a_half_life_scores_keep():
    assert score_at(state(40, rules=NO_DECAY), T0 + timedelta(days=365), NO_DECAY) == 40


def test_a_signal_applies_after_the_decay_since_the_last_change():
    update = apply_signal(state(40), signal(Signal.MESSAGE_CLICKED, T0 + timedelta(days=30)), RULES)

    assert update.entry is not None
    assert (update.entry.decay, update.entry.score_before, update.entry.score_after) == (
        -20,
        20,
        30,
    )
    assert update.state.as_of == T0 + timedelta(days=30)


def test_a_repeated_signal_id_changes_nothing():
    first = apply_signal(state(20), signal(Signal.MESSAGE_CLICKED, id="com_1/click"), RULES)
    again = apply_signal(
        first.state,
        signal(Signal.MESSAGE_CLICKED, T0 + timedelta(hours=1), id="com_1/click"),
        RULES,
    )

    assert again.state == first.state
    assert again.entry is None
    assert again.crossing is None


def test_a_late_signal_does_not_undo_decay():
    current = state(40, at=T0 + timedelta(days=30))
    late = signal(Signal.MESSAGE_OPENED, T0)  # happened before the last change

    update = apply_signal(current, late, RULES)

    assert update.state.score == 42
    assert update.state.as_of == current.as_of
    assert update.entry is not None and update.entry.at == T0


def test_crossing_up_into_a_band():
    update = apply_signal(state(25), signal(Signal.MESSAGE_CLICKED, id="com_9/click"), RULES)

    crossing = update.crossing
    assert crossing is not None
    assert (crossing.from_band, crossing.to_band, crossing.direction) == (
        "cold",
        "warm",
        Direction.UP,
    )
    assert (crossing.score_before, crossing.score_after) == (25, 35)
    assert (crossing.signal, crossing.signal_id) == (Signal.MESSAGE_CLICKED, "com_9/click")


def test_crossing_down_on_a_negative_signal():
    crossing = apply_signal(state(65), signal(Signal.LOST), RULES).crossing
    assert crossing is not None
    assert (crossing.from_band, crossing.to_band, crossing.direction) == (
        "hot",
        "warm",
        Direction.DOWN,
    )


def test_crossing_several_bands_at_once():
    crossing = apply_signal(state(25), signal(Signal.CONVERTED), RULES).crossing
    assert crossing is not None
    assert (crossing.from_band, crossing.to_band) == ("cold", "hot")


def test_silence_crossing_down_is_found_by_refresh():
    hot = state(80)

    unchanged = refresh(hot, T0 + timedelta(days=1), RULES)
    assert (unchanged.state, unchanged.entry, unchanged.crossing) == (hot, None, None)

    later = T0 + timedelta(days=30)
    update = refresh(hot, later, RULES)
    assert update.state == ScoreState(score=40, band="warm", as_of=later)
    assert update.entry is not None
    assert (update.entry.signal, update.entry.decay, update.entry.band_after) == (None, -40, "warm")
    assert update.crossing is not None
    assert (update.crossing.direction, update.crossing.signal_id) == (Direction.DOWN, None)

    assert refresh(update.state, later, RULES).crossing is None  # reported once


def test_a_band_moved_by_unreported_decay_is_reported_with_the_next_signal():
    # Hot, then 90 days of silence nobody refreshed, then a click: the band reported so
    # far was hot, the new one is cold.
    update = apply_signal(state(60), signal(Signal.MESSAGE_OPENED, T0 + timedelta(days=90)), RULES)
    assert update.crossing is not None
    assert (update.crossing.from_band, update.crossing.to_band) == ("hot", "cold")


def test_a_crossing_becomes_a_lead_score_changed_event():
    crossing = apply_signal(
        state(55), signal(Signal.MESSAGE_CLICKED, id="com_9/click"), RULES
    ).crossing
    assert crossing is not None

    event = score_changed_event(crossing, workspace_id="ws_1", contact=CONTACT)

    assert event.type is WebhookEventType.LEAD_SCORE_CHANGED
    assert event.id == "ws_1/c-42/score/com_9/click"
    assert json.loads(serialize(event)) == {
        "type": "lead.score_changed",
        "timestamp": "2025-03-01T12:00:00Z",
        "data": {
            "workspace_id": "ws_1",
            "contact": {"id": "c-42", "name": "Ada", "timezone": "UTC", "email": "ada@example.com"},
            "score": 65,
            "previous_score": 55,
            "band": "hot",
            "previous_band": "warm",
            "signal": "message_clicked",
        },
    }
    assert score_changed_event(crossing, workspace_id="ws_1", contact=CONTACT) == event


def test_a_decay_crossing_event_has_no_signal():
    crossing = refresh(state(60), T0 + timedelta(days=30), RULES).crossing
    assert crossing is not None
    event = score_changed_event(crossing, workspace_id="ws_1", contact=CONTACT)
    assert "signal" not in json.loads(serialize(event))["data"]
    assert event.id.startswith("ws_1/c-42/score/decay@")


def test_naive_signal_times_are_refused():
    with pytest.raises(ValueError):
        apply_signal(state(0), ScoreSignal("x", Signal.LOST, datetime(2025, 1, 1)), RULES)


def test_a_follow_up_is_ignored_after_the_window_without_engagement():
    sent = T0
    deadline = follow_up_ignored_at(sent, RULES)
    assert deadline == T0 + timedelta(hours=48)

    assert not is_follow_up_ignored(sent, None, deadline - timedelta(seconds=1), RULES)
    assert is_follow_up_ignored(sent, None, deadline, RULES)
    assert not is_follow_up_ignored(sent, T0 + timedelta(hours=3), deadline, RULES)
    assert is_follow_up_ignored(
        sent, deadline + timedelta(hours=1), deadline + timedelta(hours=2), RULES
    )


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(list(Signal)), st.integers(min_value=0, max_value=90 * 24)),
        max_size=30,
    )
)
def test_any_sequence_of_signals_stays_in_bounds_and_in_the_right_band(steps):
    current = ScoreState.initial(RULES)
    at = T0
    for number, (kind, hours_later) in enumerate(steps):
        at += timedelta(hours=hours_later)
        current = apply_signal(current, ScoreSignal(str(number), kind, at), RULES).state
        assert RULES.min_score <= current.score <= RULES.max_score
        assert current.band == RULES.band_for(current.score)
    assert len(current.applied) == len(steps)

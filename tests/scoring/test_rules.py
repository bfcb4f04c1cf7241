import pytest
from pydantic import ValidationError

from rebook.scoring.rules import Band, ScoringRules, Signal, SignalPoints


def test_defaults_are_the_ones_the_issue_names():
    rules = ScoringRules()
    points = rules.points

    assert points.for_signal(Signal.MESSAGE_CLICKED) == 10
    assert points.for_signal(Signal.REBOOKED) == 20
    assert points.for_signal(Signal.ATTENDED_AFTER_MISS) == 30
    assert points.for_signal(Signal.FOLLOW_UP_IGNORED) == -5
    assert points.for_signal(Signal.LOST) == -20
    assert [b.name for b in rules.bands] == ["cold", "warm", "hot"]
    assert (rules.min_score, rules.max_score, rules.half_life_days) == (0, 100, 30)


def test_every_signal_has_points():
    points = SignalPoints()
    assert {signal: points.for_signal(signal) for signal in Signal}  # no AttributeError


def test_rules_load_from_stored_json_with_partial_overrides():
    rules = ScoringRules.model_validate_json(
        '{"points": {"message_clicked": 15}, "half_life_days": null,'
        ' "bands": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 50}]}'
    )
    assert rules.points.message_clicked == 15
    assert rules.points.rebooked == 20  # untouched defaults stay
    assert rules.half_life_days is None
    assert rules.band_for(49.99) == "cold"
    assert rules.band_for(50) == "hot"


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "cold"), (29.99, "cold"), (30, "warm"), (59, "warm"), (60, "hot"), (100, "hot")],
)
def test_band_boundaries_belong_to_the_upper_band(score, band):
    assert ScoringRules().band_for(score) == band


def test_rules_round_trip_through_json():
    rules = ScoringRules(points=SignalPoints(lost=-50), follow_up_ignored_after_hours=24)
    assert ScoringRules.model_validate_json(rules.model_dump_json()) == rules


def error_locations(payload: dict[str, object]) -> list[tuple[object, str]]:
    with pytest.raises(ValidationError) as refused:
        ScoringRules.model_validate(payload)
    return [(error["loc"], error["msg"]) for error in refused.value.errors()]


@pytest.mark.parametrize(
    ("payload", "location", "fragment"),
    [
        ({"points": {"message_clickd": 10}}, ("points", "message_clickd"), "Extra inputs"),
        ({"points": {"lost": "lots"}}, ("points", "lost"), "valid number"),
        ({"half_life_days": 0}, ("half_life_days",), "greater than 0"),
        (
            {"follow_up_ignored_after_hours": -1},
            ("follow_up_ignored_after_hours",),
            "greater than 0",
        ),
        ({"bands": []}, ("bands",), "at least 1"),
        ({"bands": [{"name": "Hot!", "min_score": 0}]}, ("bands", 0, "name"), "pattern"),
        ({"bands": [{"name": "cold"}]}, ("bands", 0, "min_score"), "required"),
        (
            {"bands": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 0}]},
            ("bands",),
            "increasing order",
        ),
        (
            {"bands": [{"name": "hot", "min_score": 50}, {"name": "cold", "min_score": 0}]},
            ("bands",),
            "increasing order",
        ),
        (
            {"bands": [{"name": "cold", "min_score": 0}, {"name": "cold", "min_score": 5}]},
            ("bands",),
            "unique",
        ),
        ({"scoring": 1}, ("scoring",), "Extra inputs"),
    ],
)
def test_invalid_rules_are_refused_with_the_path_of_the_field(payload, location, fragment):
    errors = error_locations(payload)
    assert any(loc == location and fragment in msg for loc, msg in errors), errors


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"min_score": 100, "max_score": 100}, "min_score must be below max_score"),
        ({"initial_score": 150}, "initial_score"),
        ({"min_score": -50}, "bands[0].min_score must equal min_score"),
        (
            {"bands": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 500}]},
            "at or below max_score",
        ),
    ],
)
def test_inconsistent_rules_are_refused_naming_the_fields(payload, fragment):
    errors = error_locations(payload)
    assert any(fragment in msg for _, msg in errors), errors


def test_rules_are_immutable():
    rules = ScoringRules()
    with pytest.raises(ValidationError):
        rules.max_score = 5


def test_negative_ranges_are_allowed_when_bands_cover_them():
    rules = ScoringRules(
        min_score=-50,
        bands=(Band(name="lost", min_score=-50), Band(name="cold", min_score=0)),
    )
    assert rules.band_for(-10) == "lost"

"""A workspace's lead-scoring rules, as data: points per signal, decay, bounds and bands.

Stored per workspace as JSON and validated here, so a bad rule set is refused with the
path of the offending field (e.g. `bands.1.min_score`) before it can score anyone.
Defaults are what a business gets without configuring anything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Signal(StrEnum):
    MESSAGE_OPENED = "message_opened"
    MESSAGE_CLICKED = "message_clicked"
    MESSAGE_REPLIED = "message_replied"
    REBOOKED = "rebooked"
    ATTENDED_AFTER_MISS = "attended_after_miss"
    CONVERTED = "converted"
    FOLLOW_UP_IGNORED = "follow_up_ignored"  # no engagement within the window after a send
    LOST = "lost"
    OPTED_OUT = "opted_out"


class SignalPoints(BaseModel):
    """Points per signal; negative values lower the score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_opened: float = 2
    message_clicked: float = 10
    message_replied: float = 15
    rebooked: float = 20
    attended_after_miss: float = 30
    converted: float = 40
    follow_up_ignored: float = -5
    lost: float = -20
    opted_out: float = -15

    def for_signal(self, signal: Signal) -> float:
        return float(getattr(self, signal.value))


class Band(BaseModel):
    """Scores from `min_score` up to the next band's `min_score` are in this band."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    min_score: float


DEFAULT_BANDS = (
    Band(name="cold", min_score=0),
    Band(name="warm", min_score=30),
    Band(name="hot", min_score=60),
)


class ScoringRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    points: SignalPoints = SignalPoints()
    # Silence lowers a score: it halves every `half_life_days` (towards 0) since its last
    # change. None keeps scores until a signal moves them.
    half_life_days: float | None = Field(default=30, gt=0, le=3650)
    min_score: float = 0
    max_score: float = 100
    initial_score: float = 0
    bands: tuple[Band, ...] = Field(default=DEFAULT_BANDS, min_length=1, max_length=10)
    # A follow-up with no open, click or reply within this many hours counts as ignored.
    follow_up_ignored_after_hours: float = Field(default=48, gt=0, le=24 * 30)

    @field_validator("bands")
    @classmethod
    def _bands_in_order(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        thresholds = [band.min_score for band in bands]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("bands must be in increasing order of min_score, without ties")
        if len({band.name for band in bands}) != len(bands):
            raise ValueError("band names must be unique")
        return bands

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Cross-field rules: the messages name the fields, as the error location is the
        # rule set itself.
        if self.min_score >= self.max_score:
            raise ValueError("min_score must be below max_score")
        if not self.min_score <= self.initial_score <= self.max_score:
            raise ValueError("initial_score must lie between min_score and max_score")
        if self.bands[0].min_score != self.min_score:
            raise ValueError("bands[0].min_score must equal min_score, so every score has a band")
        if self.bands[-1].min_score > self.max_score:
            raise ValueError("every band's min_score must be at or below max_score")
        return self

    def band_for(self, score: float) -> str:
        """The name of the band `score` falls in."""
        name = self.bands[0].name
        for band in self.bands:
            if score >= band.min_score:
                name = band.name
        return name

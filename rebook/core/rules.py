"""Small rules several modules share, each defined once here.

Pure module. (The sequence's timing and limit defaults are FollowUpPolicy's field defaults
in rebook.core.contracts; Settings takes its defaults from there.)
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The arm an appointment outside any experiment gets, and the first arm of the default
# two-arm split: the copy everyone sees unless an experiment says otherwise. The message
# catalog has control copy for every template, treatment copy only where experiments run.
CONTROL_VARIANT: Final = "a"
TREATMENT_VARIANT: Final = "b"
DEFAULT_VARIANTS: Final = (CONTROL_VARIANT, TREATMENT_VARIANT)


def zone_or_utc(name: str) -> tzinfo:
    """The IANA zone called `name`, or UTC when it is unknown.

    The API validates timezones, so this only guards old or hand-written data: a bad
    timezone on a contact must not stop a message or shift a schedule into an error.
    Showing UTC (with its label) is still correct, only less convenient.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


class Lateness(StrEnum):
    """How a message says when the appointment was, seen from when the message goes out:
    the keys of a locale's `lateness` strings ("earlier today", "yesterday", "on Tuesday",
    "on March 3")."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEKDAY = "weekday"  # within the last week: its weekday
    DATE = "date"  # longer ago: its date


def lateness(starts_at: datetime, told_at: datetime, zone: tzinfo) -> Lateness:
    """The one rule for "when was it" in copy about a past appointment: by the contact's
    wall calendar in `zone`, from the appointment's start to the moment the message goes
    out. A miss the platform reports a day or more late must never read "today"."""
    days = (told_at.astimezone(zone).date() - starts_at.astimezone(zone).date()).days
    if days <= 0:
        return Lateness.TODAY
    if days == 1:
        return Lateness.YESTERDAY
    if days < 7:
        return Lateness.WEEKDAY
    return Lateness.DATE


# How playbooks write durations: "30m", "4h", "1d 12h" (rebook.playbooks.document reads them).
DURATION_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def format_duration(seconds: int) -> str:
    """The shortest spelling of a duration playbooks read back: 90000 -> "1d 1h"."""
    if seconds == 0:
        return "0m"
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, DURATION_UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)

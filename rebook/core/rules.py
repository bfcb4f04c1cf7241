"""Small rules several modules share, each defined once here.

Pure module. (The sequence's timing and limit defaults are FollowUpPolicy's field defaults
in rebook.core.contracts; Settings takes its defaults from there.)
"""

from __future__ import annotations

from datetime import UTC, tzinfo
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

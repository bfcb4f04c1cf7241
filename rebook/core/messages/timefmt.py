"""Readable, timezone-aware times for messages.

People act on the time they read, so every time is shown in the reader's own zone with its
abbreviation (e.g. "Tue 1 Dec 2026, 16:00 CET"), never as a bare UTC timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def format_local(moment: datetime, zone: tzinfo) -> str:
    """E.g. "Tue 1 Dec 2026, 16:00 CET".

    Built by hand rather than with "%-d" because that strftime flag is not portable.
    """
    if moment.tzinfo is None:
        # Contracts promise aware datetimes; a naive one is treated as UTC, not local time.
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or 'UTC'}"


def format_utc(moment: datetime) -> str:
    return format_local(moment, UTC)

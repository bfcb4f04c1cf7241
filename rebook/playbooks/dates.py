"""Times in the reader's language and zone, with babel.

People act on the time they read, so every time is shown in the contact's own zone with
the zone's abbreviation (e.g. "Tue 1 Dec 2026, 16:00 CET"), never as bare UTC. The
abbreviation is the zone database's own (tzname), the same in every language, because
CLDR has short names for only a few zones per locale.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_time
from babel.units import format_unit


def zone_or_utc(name: str) -> tzinfo:
    """The IANA zone called `name`, or UTC when it is unknown.

    A bad timezone on a contact record must not stop a reminder from going out; showing
    UTC (with its label) is still correct, only less convenient.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def babel_locale(tag: str) -> str:
    """Babel spells locales with "_" ("pt_BR"); playbooks may write "pt-BR"."""
    return tag.replace("-", "_")


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    if moment.tzinfo is None:
        # Contracts promise aware datetimes; a naive one is treated as UTC, not local time.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def format_when(moment: datetime, zone: tzinfo, locale: str, pattern: str) -> str:
    """The moment in `zone` as the babel `pattern` writes it in `locale`, then the zone's
    abbreviation: "Tue 1 Dec 2026, 16:00 CET" for "EEE d MMM y, HH:mm" in English."""
    local = in_zone(moment, zone)
    text = format_datetime(local, pattern, tzinfo=zone, locale=babel_locale(locale))
    return f"{text} {local.tzname() or 'UTC'}"


def long_date(moment: datetime, zone: tzinfo, locale: str) -> str:
    """E.g. "Tuesday, December 1, 2026" (en), "martes, 1 de diciembre de 2026" (es)."""
    return format_date(in_zone(moment, zone), "full", locale=babel_locale(locale))


def short_time(moment: datetime, zone: tzinfo, locale: str) -> str:
    """E.g. "4:00 PM CET" (en), "16:00 CET" (es)."""
    local = in_zone(moment, zone)
    text = format_time(local, "short", tzinfo=zone, locale=babel_locale(locale))
    return f"{text} {local.tzname() or 'UTC'}"


def weekday(moment: datetime, zone: tzinfo, locale: str) -> str:
    return format_datetime(in_zone(moment, zone), "EEEE", tzinfo=zone, locale=babel_locale(locale))


def day_and_month(moment: datetime, zone: tzinfo, locale: str) -> str:
    return format_date(in_zone(moment, zone), "d MMMM", locale=babel_locale(locale))


def minutes(count: int, locale: str) -> str:
    """E.g. "30 minutes" (en), "30 minutos" (es)."""
    return format_unit(count, "duration-minute", length="long", locale=babel_locale(locale))


def days_between(earlier: datetime, later: datetime, zone: tzinfo) -> int:
    """Calendar days from `earlier` to `later` as the contact's wall calendar counts them."""
    return (in_zone(later, zone).date() - in_zone(earlier, zone).date()).days

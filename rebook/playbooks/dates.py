"""Times in the reader's language and zone, with babel.

People act on the time they read, so every time is shown in the contact's own zone with
the zone's abbreviation (e.g. "Tue 1 Dec 2026, 16:00 CET"), never as bare UTC. The
abbreviation is the zone database's own (tzname), the same in every language, because
CLDR has short names for only a few zones per locale. An unknown zone name is UTC
(rebook.core.rules.zone_or_utc); how late a message is about an appointment is
rebook.core.rules.lateness.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.units import format_unit


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
    """The locale's own order and words: "December 1" (en), "1 December" (en-GB),
    "1 de diciembre" (es), "1. Dezember" (de)."""
    return format_skeleton("MMMMd", in_zone(moment, zone), locale=babel_locale(locale))


def minutes(count: int, locale: str) -> str:
    """E.g. "30 minutes" (en), "30 minutos" (es)."""
    return format_unit(count, "duration-minute", length="long", locale=babel_locale(locale))

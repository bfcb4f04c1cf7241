"""When the contact missed the appointment, said from the moment the message goes out: a
follow-up sent hours or days after the slot must not say "today's".

Pure. The one rule for it: the catalog's copy uses it through the `missed_when`
placeholder, and any other renderer of the copy (templates) should call missed_when too.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

_WEEK = 7


def missed_when(starts_at: datetime, sent_at: datetime, zone: tzinfo) -> str:
    """The slot as the reader sees it when the message goes out, by calendar days in
    their zone: "earlier today", "yesterday", "on Tuesday" (within the week), else "on 3
    March" ("on 3 March 2026" in another year)."""
    start = starts_at.astimezone(zone)
    sent = sent_at.astimezone(zone)
    days = (sent.date() - start.date()).days
    if days <= 0:
        return "earlier today"
    if days == 1:
        return "yesterday"
    if days < _WEEK:
        return f"on {start:%A}"
    if start.year == sent.year:
        return f"on {start.day} {start:%B}"
    return f"on {start.day} {start:%B %Y}"

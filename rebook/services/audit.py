"""A workspace's audit log: recording writes, and paging through them."""

from __future__ import annotations

from dataclasses import dataclass

from rebook.core.audit import AuditEntry, AuditEvent, AuditFilter
from rebook.db.stores import AuditStore
from rebook.services.blocking import in_thread
from rebook.services.errors import InvalidField

MAX_PAGE = 200


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None  # pass back for the next (older) page; None: nothing older


class AuditService:
    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def record(self, event: AuditEvent) -> AuditEntry:
        return await in_thread(self._store.record, event)

    async def page(self, where: AuditFilter, cursor: str | None, limit: int) -> AuditPage:
        """Newest first. The cursor is opaque to clients (an entry id today). Raises
        InvalidField for a cursor this service did not hand out."""
        size = min(limit, MAX_PAGE)
        entries = await in_thread(self._store.page, where, _before_id(cursor), size)
        # A full page may have more behind it (at worst the next page is empty).
        full = bool(entries) and len(entries) == size
        return AuditPage(entries, str(entries[-1].id) if full else None)


def _before_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit():
        raise InvalidField(("query", "cursor"), "not a cursor from a previous page", cursor)
    return int(cursor)

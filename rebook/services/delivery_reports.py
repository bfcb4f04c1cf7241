"""What providers report about sent messages (delivery webhooks), applied to the messages."""

from __future__ import annotations

from collections.abc import Iterable

from rebook.core.delivery_status import DeliveryEvent
from rebook.db.stores import DeliveryEventStore
from rebook.services.blocking import in_thread


class DeliveryReportService:
    def __init__(self, store: DeliveryEventStore) -> None:
        self._store = store

    async def apply(self, events: Iterable[DeliveryEvent | None]) -> int:
        """Apply a provider's batch; returns how many events matched a message we sent.

        None stands for an event of a kind we do not track: acknowledged and dropped, like
        events about messages we do not know, because providers retry anything but a 2xx.
        Idempotent and order-independent (rebook.core.delivery_status).
        """
        known = [event for event in events if event is not None]
        return await in_thread(self._store.apply, known)

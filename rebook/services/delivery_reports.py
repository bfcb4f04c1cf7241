"""What providers report about sent messages (delivery webhooks), applied to the messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rebook.core.delivery_status import DeliveryEvent
from rebook.core.workspaces import WorkspaceId
from rebook.db.stores import DeliveryEventStore
from rebook.services.blocking import in_thread


class DeliveryReportService:
    def __init__(self, stores: Callable[[WorkspaceId], DeliveryEventStore]) -> None:
        self._stores = stores

    async def apply(self, workspace_id: WorkspaceId, events: Iterable[DeliveryEvent | None]) -> int:
        """Apply a provider's batch to the messages of one workspace; returns how many
        events matched one of its messages (a report about another workspace's message
        matches nothing).

        None stands for an event of a kind we do not track: acknowledged and dropped, like
        events about messages we do not know, because providers retry anything but a 2xx.
        Idempotent and order-independent (rebook.core.delivery_status).
        """
        known = [event for event in events if event is not None]
        return await in_thread(self._stores(workspace_id).apply, known)

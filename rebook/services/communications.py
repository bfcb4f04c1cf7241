"""Messages across a workspace's appointments: what operators check, e.g. the sends whose
outcome could not be confirmed (status=unconfirmed)."""

from __future__ import annotations

from rebook.core.records import CommunicationPage, CommunicationQuery
from rebook.db.stores import CommunicationStore
from rebook.services.blocking import in_thread


class CommunicationService:
    def __init__(self, communications: CommunicationStore) -> None:
        self._communications = communications

    async def search(self, query: CommunicationQuery) -> CommunicationPage:
        """One page of the workspace's messages matching query, newest first."""
        return await in_thread(self._communications.search, query)

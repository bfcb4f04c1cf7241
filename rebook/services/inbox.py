"""A contact's in-app inbox: the messages sent on the in_app channel, and reading them."""

from __future__ import annotations

from rebook.core.records import CommunicationRecord
from rebook.db.stores import AppointmentStore, CommunicationStore
from rebook.services.blocking import in_thread
from rebook.services.errors import NotFound


class InboxService:
    def __init__(self, appointments: AppointmentStore, communications: CommunicationStore) -> None:
        self._appointments = appointments
        self._communications = communications

    async def messages(self, contact_id: str) -> list[CommunicationRecord]:
        """The contact's in-app messages, newest first. Raises NotFound for an unknown
        contact (a known one with no messages has an empty inbox)."""
        if not await in_thread(self._appointments.contact_exists, contact_id):
            raise NotFound(f"contact {contact_id} not found")
        return await in_thread(self._communications.inbox, contact_id)

    async def mark_read(self, contact_id: str, communication_id: str) -> CommunicationRecord:
        """Mark one message read; idempotent (reading it again keeps the first read_at).
        Raises NotFound unless the message is in this contact's inbox."""
        message = await in_thread(self._communications.mark_read, contact_id, communication_id)
        if message is None:
            raise NotFound(f"message {communication_id} not in the inbox of contact {contact_id}")
        return message

"""In-app messages: the communications row the ledger writes *is* the contact's inbox item,
so delivery is complete as soon as the row exists; there is no provider to call.
"""

from __future__ import annotations

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import LookupResult, LookupWindow, NotFound, ProviderReceipt, RenderedMessage
from rebook.delivery._ids import local_message_id


class InAppSender:
    provider = "in_app"

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        return ProviderReceipt(
            provider=self.provider,
            provider_message_id=local_message_id("inapp", message.idempotency_key),
            status=CommunicationStatus.DELIVERED,
        )

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        """The communications row is the message: completing it is the delivery, done in
        one transaction. A row that was never completed was never delivered."""
        return NotFound("an uncompleted row was never delivered")

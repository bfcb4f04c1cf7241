"""The embedded outbox: the default sender of a channel that has no provider configured.

"Sending" is recording: the communications row written by the ledger holds the rendered
message, and the log line makes it visible in development without any provider account.
"""

from __future__ import annotations

import logging

from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import LookupResult, LookupWindow, NotFound, ProviderReceipt, RenderedMessage
from rebook.delivery._ids import local_message_id

logger = logging.getLogger(__name__)


class OutboxSender:
    provider = "outbox"

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        logger.info(
            "outbox %s to %s: %s\n%s",
            self.channel.value,
            message.to_address,
            message.subject,
            message.body,
            extra={"idempotency_key": message.idempotency_key, "channel": self.channel.value},
        )
        return ProviderReceipt(
            provider=self.provider,
            provider_message_id=local_message_id("outbox", message.idempotency_key),
            status=CommunicationStatus.RECORDED,
        )

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        """The communications row is the message: completing it is the delivery, done in
        one transaction. A row that was never completed was never delivered."""
        return NotFound("an uncompleted row was never delivered")

"""DeliveryEventStore: applies what providers report after a send (rebook.core.
delivery_status) to the communications row it is about, and opts the contact out of the
channel when the report says so. Scoped to one workspace: a report about another
workspace's message matches nothing.

An event that names our idempotency key is also evidence that the provider has the
message: a send whose outcome was unknown (CHECKING, UNCONFIRMED) is settled as sent, and
a row still SENDING learns the provider's id, which the reconciling attempt then finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.delivery_status import DeliveryEvent, outranks
from rebook.core.domain import Channel, CommunicationStatus, Recipient
from rebook.core.workspaces import WorkspaceId
from rebook.db.models import Communication
from rebook.db.stores.communications import insert_opt_out


class DeliveryEventStore:
    def __init__(self, sessions: sessionmaker[Session], workspace_id: WorkspaceId) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id

    def apply(self, events: Sequence[DeliveryEvent]) -> int:
        """Apply a provider's batch in one transaction; returns how many matched a message.

        Idempotent and order-independent (see rebook.core.delivery_status). Events about
        messages we do not know (another system's mail on the same SendGrid account, rows
        since deleted) are skipped.
        """
        with self._sessions.begin() as session:
            return sum(_apply(session, self._workspace_id, event) for event in events)


def _apply(session: Session, workspace_id: WorkspaceId, event: DeliveryEvent) -> bool:
    row = _find_communication(session, workspace_id, event)
    if row is None:
        return False
    _record_evidence(row, event)
    if event.milestone is not None:
        column = event.milestone.value
        first: datetime | None = getattr(row, column)
        if first is None or event.occurred_at < first:
            setattr(row, column, event.occurred_at)
    if outranks(event.state, row.provider_status):
        row.provider_status = event.state
        if event.error:
            row.error = event.error
    if event.opted_out and row.recipient == Recipient.CONTACT.value:
        reason = f"{event.provider} reported {event.state}" + (
            f": {event.error}" if event.error else ""
        )
        insert_opt_out(session, workspace_id, row.contact_id, Channel(row.channel), reason)
    return True


# States in which the provider's own report is the best evidence of the send we have.
_UNSETTLED = frozenset(
    {
        CommunicationStatus.SENDING.value,
        CommunicationStatus.CHECKING.value,
        CommunicationStatus.UNCONFIRMED.value,
    }
)
_IN_DOUBT = frozenset({CommunicationStatus.CHECKING.value, CommunicationStatus.UNCONFIRMED.value})


def _record_evidence(row: Communication, event: DeliveryEvent) -> None:
    """Any tracked event (even a bounce or a failure) means the provider created the
    message: resending it would duplicate."""
    if row.status not in _UNSETTLED:
        return
    if row.provider_message_id is None:
        row.provider = event.provider
        # An event without the provider's id still names our key; the key stands in.
        row.provider_message_id = event.provider_message_id or row.idempotency_key
    if row.status in _IN_DOUBT:
        row.status = CommunicationStatus.SENT.value
        row.sent_at = event.occurred_at
        row.error = None
        row.lease_expires_at = None


def _find_communication(
    session: Session, workspace_id: WorkspaceId, event: DeliveryEvent
) -> Communication | None:
    # FOR UPDATE (PostgreSQL) serialises concurrent events about one message, so
    # first-time-wins and precedence hold; SQLite gets that from BEGIN IMMEDIATE.
    if event.idempotency_key:
        row = session.scalar(
            select(Communication)
            .where(
                Communication.workspace_id == workspace_id,
                Communication.idempotency_key == event.idempotency_key,
            )
            .with_for_update()
        )
        if row is not None:
            return row
    if not event.provider_message_id:
        return None
    return session.scalars(
        select(Communication)
        .where(
            Communication.workspace_id == workspace_id,
            Communication.provider == event.provider,
            Communication.provider_message_id == event.provider_message_id,
        )
        .order_by(Communication.created_at)
        .limit(1)
        .with_for_update()
    ).first()

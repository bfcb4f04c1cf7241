"""The contact's in-app inbox: messages on the in_app channel, and marking them read."""

from __future__ import annotations

from fastapi import APIRouter

from api.dependencies import InboxReaderDep, InboxWriterDep
from api.schemas import ErrorOut, InboxMessageOut, PathId

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


@router.get(
    "/{contact_id}/inbox", responses={404: {"model": ErrorOut, "description": "No such contact"}}
)
async def get_inbox(contact_id: PathId, inbox: InboxReaderDep) -> list[InboxMessageOut]:
    """In-app messages for the contact, newest first."""
    messages = await inbox.messages(contact_id)
    return [InboxMessageOut.model_validate(m, from_attributes=True) for m in messages]


@router.post(
    "/{contact_id}/inbox/{communication_id}/read",
    responses={404: {"model": ErrorOut, "description": "No such message in the inbox"}},
)
async def mark_read(
    contact_id: PathId, communication_id: PathId, inbox: InboxWriterDep
) -> InboxMessageOut:
    """Mark one inbox message read; reading it again keeps the first read_at."""
    message = await inbox.mark_read(contact_id, communication_id)
    return InboxMessageOut.model_validate(message, from_attributes=True)

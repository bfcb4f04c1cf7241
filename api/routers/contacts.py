"""The contact's in-app inbox: messages on the in_app channel, and marking them read."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.conversions import inbox_message_out
from api.dependencies import RepositoryDep
from api.errors import NotFound
from api.schemas import ErrorOut, InboxMessageOut

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


@router.get("/{contact_id}/inbox", responses={404: {"model": ErrorOut}})
async def get_inbox(contact_id: str, repository: RepositoryDep) -> list[InboxMessageOut]:
    """In-app messages for the contact, newest first."""
    if not await run_in_threadpool(repository.contact_exists, contact_id):
        raise NotFound(f"contact {contact_id} not found")
    messages = await run_in_threadpool(repository.inbox, contact_id)
    return [inbox_message_out(m) for m in messages]


@router.post("/{contact_id}/inbox/{communication_id}/read", responses={404: {"model": ErrorOut}})
async def mark_read(
    contact_id: str, communication_id: str, repository: RepositoryDep
) -> InboxMessageOut:
    """Mark one inbox message read; reading it again keeps the first read_at."""
    message = await run_in_threadpool(repository.mark_read, contact_id, communication_id)
    if message is None:
        raise NotFound(f"message {communication_id} not in the inbox of contact {contact_id}")
    return inbox_message_out(message)

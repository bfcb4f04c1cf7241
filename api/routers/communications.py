"""GET /v1/communications: messages across the workspace's appointments, filtered and
paged; e.g. ?status=unconfirmed lists the sends whose outcome no provider evidence could
confirm."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.dependencies import CommunicationsDep
from api.paging import decode_cursor, encode_cursor
from api.schemas import CommunicationOut, CommunicationPageOut, QueryDatetime, QueryText
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.records import CommunicationQuery

router = APIRouter(prefix="/v1/communications", tags=["communications"])

MAX_PAGE = 200


@router.get("")
async def search_communications(
    communications: CommunicationsDep,
    status: Annotated[
        CommunicationStatus | None,
        Query(description="only messages in this state, e.g. `unconfirmed`"),
    ] = None,
    channel: Annotated[Channel | None, Query(description="only this channel")] = None,
    since: Annotated[
        QueryDatetime | None,
        Query(description="only messages created at or after this ISO 8601 time (with offset)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 50,
    cursor: Annotated[
        QueryText | None, Query(max_length=200, description="`next_cursor` of the previous page")
    ] = None,
) -> CommunicationPageOut:
    """Messages of every appointment in the workspace, newest first. `status=unconfirmed`
    lists the sends whose outcome is unknown and that are never resent automatically:
    check them with the provider, or contact the recipient another way."""
    query = CommunicationQuery(
        limit=limit, status=status, channel=channel, since=since, after=decode_cursor(cursor)
    )
    page = await communications.search(query)
    return CommunicationPageOut(
        items=[CommunicationOut.model_validate(c, from_attributes=True) for c in page.items],
        next_cursor=encode_cursor(page.next),
    )

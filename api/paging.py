"""Opaque page cursors for list routes: where the previous page ended, as a URL-safe
token. Clients pass it back unchanged; anything else is a 422 naming the parameter."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from rebook.core.records import PageMark
from rebook.services.errors import InvalidField


def encode_cursor(mark: PageMark | None) -> str | None:
    if mark is None:
        return None
    raw = f"{mark.created_at.isoformat()}|{mark.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: str | None) -> PageMark | None:
    """Raises InvalidField (query.cursor) for a token this API did not hand out."""
    if cursor is None:
        return None
    try:
        created_at, _, mark_id = base64.urlsafe_b64decode(cursor).decode().partition("|")
        moment = datetime.fromisoformat(created_at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None or not mark_id:
        raise InvalidField(("query", "cursor"), "not a cursor this API handed out", cursor)
    return PageMark(moment, mark_id)

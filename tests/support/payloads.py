"""Request bodies for API tests: valid by default, each test changes only what it tests."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# A fixed non-UTC offset, so tests can check times come back in the booked offset.
BOOKED_OFFSET = timezone(timedelta(hours=2))


def future_iso(days: float = 3, offset: timezone = BOOKED_OFFSET) -> str:
    moment = (datetime.now(UTC) + timedelta(days=days)).astimezone(offset)
    return moment.replace(microsecond=0).isoformat()


def starting_soon_iso(offset: timezone = BOOKED_OFFSET) -> str:
    """A start a couple of minutes ahead: bookable now, and close enough (within the
    allowed clock skew) that a miss or attendance may already be reported."""
    return future_iso(days=2 / (24 * 60), offset=offset)


def appointment_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"ext-{uuid.uuid4().hex[:12]}",
        "starts_at": future_iso(),
        "duration_minutes": 30,
        "kind": "demo",
        "topic": "Product demo",
        "reschedule_url": "https://book.example.com/r/abc",
        "contact": {
            "id": f"con-{uuid.uuid4().hex[:8]}",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "+447700900123",
            "whatsapp": None,
            "preferred_channel": "email",
            "timezone": "Europe/London",
        },
        "booked_via": "web",
        "host": {"id": "host-1", "name": "Grace Hopper", "email": "grace@example.com"},
    }
    body.update(copy.deepcopy(changes))
    return body


def with_contact(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed["contact"].update(changes)
    return changed

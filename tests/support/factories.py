"""Builders for test data, so each test states only what matters to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from rebook.core.contracts import (
    AppointmentDetails,
    AppointmentEvent,
    ContactDetails,
    HostDetails,
    SendCheck,
    SequenceState,
)
from rebook.core.domain import AppointmentKind, AppointmentStatus, BookedVia, Channel, EventType
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, Workspace, WorkspaceId

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def contact(**changes: Any) -> ContactDetails:
    base = ContactDetails(
        id="con_1",
        name="Ada Lovelace",
        timezone="Europe/London",
        email="ada@example.com",
        phone="+447700900123",
        whatsapp=None,
        preferred_channel=Channel.EMAIL,
    )
    return replace(base, **changes)


def appointment(**changes: Any) -> AppointmentDetails:
    base = AppointmentDetails(
        appointment_id="apt_test",
        external_id="ext-1",
        starts_at=T0 + timedelta(days=3),
        duration_minutes=30,
        kind=AppointmentKind.DEMO,
        topic="Cutting no-shows",
        reschedule_url="https://book.example.com/r/ext-1",
        booked_via=BookedVia.WEB,
        contact=contact(),
        host=HostDetails(id="host_1", name="Grace Hopper", email="grace@example.com"),
    )
    return replace(base, **changes)


def send_check(details: AppointmentDetails, due_at: datetime, **changes: Any) -> SendCheck:
    """The send-time check of the appointment's no-show nudge on SMS, due and asked at
    `due_at`; each test adds the stop conditions or cap it tests (or a later `now`)."""
    base = SendCheck(
        appointment=details,
        step="no_show_nudge",
        key=f"no_show_nudge@{due_at.isoformat()}",
        template="no_show_nudge",
        channel=Channel.SMS,
        due_at=due_at,
        now=due_at,
    )
    return replace(base, **changes)


def state_for(
    details: AppointmentDetails, armed_at: datetime = T0, **changes: Any
) -> SequenceState:
    state = SequenceState(
        status=AppointmentStatus.SCHEDULED, starts_at=details.starts_at, armed_at=armed_at
    )
    return replace(state, **changes)


def default_workspace() -> Workspace:
    """The workspace the 0003 migration creates (as the stores read it back)."""
    return Workspace(DEFAULT_WORKSPACE_ID, "default", "Default", "UTC", T0)


def workspace(slug: str = "acme", **changes: Any) -> Workspace:
    base = Workspace(WorkspaceId(f"ws_{slug}"), slug, slug.title(), "Europe/London", T0)
    return replace(base, **changes)


_counter = 0


def event(type: EventType, at: datetime = T0, **changes: Any) -> AppointmentEvent:
    global _counter
    _counter += 1
    base = AppointmentEvent(type=type, event_id=f"evt-{_counter}", received_at=at)
    return replace(base, **changes)

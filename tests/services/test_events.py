from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import EventType
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import AppointmentEventRow
from rebook.db.stores import AppointmentStore
from rebook.services.errors import NotFound, Unavailable
from rebook.services.events import EventService
from rebook.temporal.gateway import AppointmentWorkflows
from tests.support.factories import appointment
from tests.support.rows import save_appointment


@pytest.fixture
def service(sessions: sessionmaker[Session], workflows: AppointmentWorkflows) -> EventService:
    return EventService(AppointmentStore(sessions, DEFAULT_WORKSPACE_ID), workflows)


async def test_an_event_for_an_unknown_appointment_is_not_found(service: EventService) -> None:
    with pytest.raises(NotFound, match="apt_nope"):
        await service.report("apt_nope", type=EventType.MISSED)


async def test_an_event_is_kept_once_while_temporal_is_down(
    service: EventService, sessions: sessionmaker[Session]
) -> None:
    details = appointment()
    save_appointment(sessions, details)

    for _ in range(2):  # the platform retries
        with pytest.raises(Unavailable):
            await service.report(details.appointment_id, type=EventType.MISSED, event_id="m-1")

    with sessions() as session:
        stored = session.scalars(
            select(AppointmentEventRow.event_id).where(
                AppointmentEventRow.appointment_id == details.appointment_id
            )
        ).all()
    assert stored == ["m-1"]

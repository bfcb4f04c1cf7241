from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.stores import AppointmentStore, CommunicationStore
from rebook.services.appointments import AppointmentService
from rebook.services.errors import Conflict, InvalidField, NotFound, Unavailable
from rebook.temporal.gateway import AppointmentWorkflows
from tests.support.factories import appointment, contact, default_workspace


@pytest.fixture
def service(sessions: sessionmaker[Session], workflows: AppointmentWorkflows) -> AppointmentService:
    return AppointmentService(
        default_workspace(),
        AppointmentStore(sessions, DEFAULT_WORKSPACE_ID),
        CommunicationStore(sessions, DEFAULT_WORKSPACE_ID),
        workflows,
    )


async def test_a_booking_is_kept_when_temporal_is_down_and_its_external_id_stays_taken(
    service: AppointmentService, sessions: sessionmaker[Session]
) -> None:
    booking = appointment()

    with pytest.raises(Unavailable):
        await service.create(booking, fingerprint="first")
    with pytest.raises(Conflict, match=booking.external_id):
        await service.create(replace(booking, appointment_id="apt_other"), fingerprint="second")

    stored = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID).find_by_external_id(
        booking.external_id
    )
    assert stored is not None
    assert stored.details == booking
    assert stored.request_fingerprint == "first"


async def test_a_contact_unreachable_on_the_preferred_channel_is_refused_naming_it(
    service: AppointmentService, sessions: sessionmaker[Session]
) -> None:
    booking = appointment(contact=contact(email=None))  # prefers email

    with pytest.raises(InvalidField) as refused:
        await service.create(booking, fingerprint="f")

    assert refused.value.loc == ("body", "contact", "preferred_channel")
    assert (
        AppointmentStore(sessions, DEFAULT_WORKSPACE_ID).find_by_external_id(booking.external_id)
        is None
    )


async def test_unknown_appointments_are_not_found(service: AppointmentService) -> None:
    with pytest.raises(NotFound, match="apt_nope"):
        await service.get("apt_nope")
    with pytest.raises(NotFound, match="apt_nope"):
        await service.communications("apt_nope")

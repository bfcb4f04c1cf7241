"""Every scoped store sees its own workspace only: the same platform ids (contact, external
id) and the same idempotency keys live side by side in two workspaces, and nothing one
store does reaches the other workspace's rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentEvent, NoShowRecord, Progress
from rebook.core.delivery_status import DeliveryEvent
from rebook.core.domain import AppointmentStatus, Channel, CommunicationStatus, EventType
from rebook.core.ports import ProviderReceipt
from rebook.core.records import CommunicationQuery
from rebook.core.workspaces import WorkspaceId
from rebook.db.stores import (
    AppointmentNotFound,
    AppointmentStore,
    CommunicationNotFound,
    CommunicationStore,
    DeliveryEventStore,
    ReportStore,
)
from tests.support.factories import appointment, contact
from tests.support.rows import LEASE, STARTS_AT, draft, save_appointment
from tests.support.workspaces import add_workspace

CONTACT = "ct_shared"  # the platform's contact id, used by both businesses
EXTERNAL = "ext-shared"
KEY = "apt:confirmation:email"


@pytest.fixture
def two(sessions: sessionmaker[Session]) -> tuple[WorkspaceId, WorkspaceId]:
    """Workspaces alpha and bravo, each with an appointment (apt_a, apt_b) booked with the
    same external id for the same platform contact id."""
    alpha, bravo = add_workspace(sessions, "alpha").id, add_workspace(sessions, "bravo").id
    _book(sessions, alpha, "apt_a")
    _book(sessions, bravo, "apt_b")
    return alpha, bravo


def _book(sessions: sessionmaker[Session], workspace_id: WorkspaceId, appointment_id: str) -> None:
    details = appointment(
        appointment_id=appointment_id,
        external_id=EXTERNAL,
        starts_at=STARTS_AT,
        contact=contact(id=CONTACT, name=f"Contact of {workspace_id}"),
    )
    save_appointment(sessions, details, workspace_id)


def test_the_same_platform_ids_book_separately_in_each_workspace(
    sessions: sessionmaker[Session], two: tuple[WorkspaceId, WorkspaceId]
) -> None:
    alpha, bravo = two

    a, b = AppointmentStore(sessions, alpha), AppointmentStore(sessions, bravo)
    found_a, found_b = a.find_by_external_id(EXTERNAL), b.find_by_external_id(EXTERNAL)

    assert found_a is not None and found_b is not None
    assert (found_a.details.appointment_id, found_b.details.appointment_id) == ("apt_a", "apt_b")
    assert found_a.details.contact.name == f"Contact of {alpha}"
    assert found_b.details.contact.name == f"Contact of {bravo}"
    assert found_a.workflow_id == f"{alpha}/apt_a"
    assert a.get("apt_b") is None and b.get("apt_a") is None


def test_events_no_shows_and_the_mirror_stay_in_their_workspace(
    sessions: sessionmaker[Session], two: tuple[WorkspaceId, WorkspaceId]
) -> None:
    alpha, bravo = two
    a, b = AppointmentStore(sessions, alpha), AppointmentStore(sessions, bravo)
    missed = AppointmentEvent(EventType.MISSED, "evt-1", datetime.now(UTC))

    with pytest.raises(AppointmentNotFound):
        a.record_event("apt_b", missed)
    with pytest.raises(AppointmentNotFound):
        a.record_no_show(NoShowRecord("apt_b", CONTACT, "apt_b@slot", STARTS_AT))
    with pytest.raises(AppointmentNotFound):
        a.record_status(Progress("apt_b", AppointmentStatus.LOST, STARTS_AT))

    assert a.record_no_show(NoShowRecord("apt_a", CONTACT, "apt_a@slot", STARTS_AT)) == 1
    # The same contact id in the other business has no misses of its own.
    assert b.record_no_show(NoShowRecord("apt_b", CONTACT, "apt_b@slot", STARTS_AT)) == 1
    record = b.get("apt_b")
    assert record is not None and record.progress.status is AppointmentStatus.SCHEDULED


def test_stored_events_are_found_and_marked_in_their_workspace_only(
    sessions: sessionmaker[Session], two: tuple[WorkspaceId, WorkspaceId]
) -> None:
    alpha, bravo = two
    a, b = AppointmentStore(sessions, alpha), AppointmentStore(sessions, bravo)
    b.record_event("apt_b", AppointmentEvent(EventType.MISSED, "evt-1", datetime.now(UTC)))

    assert a.find_event("apt_b", "evt-1") is None
    a.mark_event_delivered("apt_b", "evt-1", datetime.now(UTC))
    stored = b.find_event("apt_b", "evt-1")
    assert stored is not None and not stored.delivered


def test_messages_opt_outs_and_inboxes_stay_in_their_workspace(
    sessions: sessionmaker[Session], two: tuple[WorkspaceId, WorkspaceId]
) -> None:
    alpha, bravo = two
    a, b = CommunicationStore(sessions, alpha), CommunicationStore(sessions, bravo)
    in_app = replace(draft(KEY, contact_id=CONTACT), channel=Channel.IN_APP)

    # One idempotency key, one message in each workspace: neither claim sees the other.
    claim_a = a.claim(replace(in_app, appointment_id="apt_a"), LEASE)
    claim_b = b.claim(replace(in_app, appointment_id="apt_b"), LEASE)
    assert claim_a.must_send and claim_b.must_send
    b.complete(claim_b.record.id, ProviderReceipt("in_app", "m-b", CommunicationStatus.DELIVERED))

    with pytest.raises(CommunicationNotFound):
        a.complete(claim_b.record.id, ProviderReceipt("x", "y", CommunicationStatus.SENT))
    assert a.mark_read(CONTACT, claim_b.record.id) is None
    assert [m.id for m in a.inbox(CONTACT)] == [claim_a.record.id]
    assert a.for_appointment("apt_b") == []

    a.record_opt_out(CONTACT, Channel.SMS, "STOP")
    assert a.opted_out_channels(CONTACT) == {Channel.SMS}
    assert b.opted_out_channels(CONTACT) == set()


def test_a_send_in_doubt_is_reconciled_listed_and_settled_in_its_workspace_only(
    sessions: sessionmaker[Session], two: tuple[WorkspaceId, WorkspaceId]
) -> None:
    alpha, bravo = two
    a, b = CommunicationStore(sessions, alpha), CommunicationStore(sessions, bravo)
    message = replace(draft(KEY, contact_id=CONTACT), appointment_id="apt_b")
    doubted = b.claim(message, LEASE)
    b.mark_in_doubt(doubted.record.id, LEASE.holder, "read timeout")
    doubt_id = doubted.record.id

    for touch in (
        lambda: a.mark_in_doubt(doubt_id, LEASE.holder, "x"),
        lambda: a.fail(doubt_id, LEASE.holder, "x", CommunicationStatus.FAILED),
        lambda: a.resend(doubt_id, LEASE.holder),
        lambda: a.settle_unconfirmed(doubt_id, LEASE.holder, "x"),
        lambda: a.release(doubt_id, LEASE.holder, "x"),
    ):
        with pytest.raises(CommunicationNotFound):
            touch()
    everything = CommunicationQuery(limit=50)
    in_doubt = CommunicationQuery(limit=50, status=CommunicationStatus.CHECKING)
    assert a.search(everything).items == [] and a.search(in_doubt).items == []
    assert [m.id for m in b.search(in_doubt).items] == [doubt_id]

    # A provider's event naming the key is evidence only in the message's own workspace.
    event = DeliveryEvent("sendgrid", "sg-1", datetime.now(UTC), "processed", idempotency_key=KEY)
    assert DeliveryEventStore(sessions, alpha).apply([event]) == 0
    assert b.for_appointment("apt_b")[0].status is CommunicationStatus.CHECKING
    assert DeliveryEventStore(sessions, bravo).apply([event]) == 1
    assert b.for_appointment("apt_b")[0].status is CommunicationStatus.SENT


def test_delivery_reports_and_the_follow_up_report_count_their_workspace_only(
    sessions: sessionmaker[Session], two: tuple[WorkspaceId, WorkspaceId]
) -> None:
    alpha, bravo = two
    b = CommunicationStore(sessions, bravo)
    sent = b.claim(replace(draft(KEY, contact_id=CONTACT), appointment_id="apt_b"), LEASE)
    b.complete(sent.record.id, ProviderReceipt("sendgrid", "sg-1", CommunicationStatus.SENT))
    now = datetime.now(UTC)
    delivered = DeliveryEvent("sendgrid", "sg-1", now, "delivered", idempotency_key=KEY)

    assert DeliveryEventStore(sessions, alpha).apply([delivered]) == 0
    assert b.for_appointment("apt_b")[0].provider_status is None
    assert DeliveryEventStore(sessions, bravo).apply([delivered]) == 1

    window = (now - timedelta(days=1), now + timedelta(days=1), None)
    report_a = ReportStore(sessions, alpha).follow_up_report(*window)
    report_b = ReportStore(sessions, bravo).follow_up_report(*window)
    assert (report_a.totals.appointments, report_b.totals.appointments) == (1, 1)
    assert report_a.deliveries == []
    assert [d.messages for d in report_b.deliveries] == [1]

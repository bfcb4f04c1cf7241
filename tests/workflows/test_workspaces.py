"""An appointment of a workspace runs in that workspace from start to close: its workflow id
and WorkspaceId search attribute name the workspace, its playbook is pinned with the
workspace's own quiet hours, the send-time rules count the workspace's messages and
bookings only, and every message and no-show it records is the workspace's.
Time-skipping server, real activities, both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import AppointmentStatus, CommunicationStatus, EventType
from rebook.core.ports import ProviderReceipt
from rebook.core.search_attributes import APPOINTMENT_STATUS, NO_SHOW_COUNT, WORKSPACE_ID
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.stores import AppointmentStore, CommunicationStore, WorkspaceSettingsStore
from tests.support.factories import appointment
from tests.support.harness import Harness
from tests.support.rows import LEASE, draft, save_appointment
from tests.support.workspaces import add_workspace


def _busy_elsewhere(sessions: sessionmaker[Session], at: datetime) -> None:
    """Another business, with the same platform contact id: three messages to that contact
    today and an appointment coming up. Counted across workspaces, they would defer the
    reminder (cap: 3 a day) and stop the follow-up (stop_when: rebooked)."""
    bravo = add_workspace(sessions, "bravo").id
    upcoming = appointment(
        appointment_id="apt_bravo", external_id="ext-bravo", starts_at=at + timedelta(days=30)
    )
    save_appointment(sessions, upcoming, bravo)
    ledger = CommunicationStore(sessions, bravo)
    for n in range(3):
        message = draft(f"bravo-{n}", appointment_id="apt_bravo", contact_id=upcoming.contact.id)
        claim = ledger.claim(replace(message, scheduled_for=at), LEASE)
        ledger.complete(claim.record.id, ProviderReceipt("x", f"m{n}", CommunicationStatus.SENT))


async def test_a_workspace_appointment_is_followed_up_within_its_workspace(
    harness: Harness, sessions: sessionmaker[Session]
) -> None:
    acme = add_workspace(sessions, "acme").id
    # Quiet hours off for the workspace: the shared test clock may be at any hour.
    WorkspaceSettingsStore(sessions, acme).update(
        {"quiet_hours_start_h": 0, "quiet_hours_end_h": 0}
    )
    _busy_elsewhere(sessions, await harness.now())
    details = await harness.booked("apt_acme", timedelta(hours=2), playbook="demo")
    handle = await harness.start(details, resolve=True, workspace_id=acme)
    await harness.env.sleep(timedelta(hours=2, minutes=10))

    missed = await harness.signal(handle, EventType.MISSED)
    await harness.env.sleep(timedelta(seconds=5))

    assert handle.id == f"{acme}/apt_acme"
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(WORKSPACE_ID) == acme
    assert attributes.get(APPOINTMENT_STATUS) == "missed"
    assert attributes.get(NO_SHOW_COUNT) == 1
    # Neither bravo's messages (cap) nor its booking (rebooked) held anything back.
    assert [(s.step, s.status) for s in harness.sent("apt_acme", acme)] == [
        ("confirmation", "recorded"),
        ("reminder_1h", "recorded"),
        ("no_show_followup", "recorded"),
    ]
    assert harness.sent("apt_acme", DEFAULT_WORKSPACE_ID) == []
    mirrored = AppointmentStore(sessions, acme).get("apt_acme")
    assert mirrored is not None and mirrored.progress.status is AppointmentStatus.MISSED
    assert mirrored.progress.contact_no_show_total == 1
    # The demo playbook's next step is due 2 h after the miss to the minute (the
    # workspace turned quiet hours off); then the cap (3 a day) counts acme's three
    # messages, and it waits.
    progress = await harness.progress(handle)
    assert (progress.next_step, progress.next_step_at) == (
        "recorded_demo",
        missed.received_at + timedelta(hours=2),
    )

    outcome = await handle.result()
    assert outcome.status is AppointmentStatus.LOST
    deferred = [s for s in harness.sent("apt_acme", acme) if s.status == "deferred"]
    assert [s.step for s in deferred] == ["recorded_demo"]
    await harness.archive(handle, "pb-missed_in_workspace")

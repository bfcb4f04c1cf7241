"""An appointment of a workspace runs in that workspace from start to close: its workflow id
and WorkspaceId search attribute name the workspace, and every message and no-show it
records is the workspace's. Time-skipping server, real activities, both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import AppointmentStatus, EventType
from rebook.core.search_attributes import APPOINTMENT_STATUS, NO_SHOW_COUNT, WORKSPACE_ID
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.stores import AppointmentStore
from tests.support.harness import Harness
from tests.support.workspaces import add_workspace


async def test_a_workspace_appointment_is_followed_up_within_its_workspace(
    harness: Harness, sessions: sessionmaker[Session]
) -> None:
    acme = add_workspace(sessions, "acme")
    details = await harness.booked("apt_acme", timedelta(hours=2))
    handle = await harness.start(details, workspace_id=acme.id)
    await harness.env.sleep(timedelta(hours=2, minutes=10))

    await harness.signal(handle, EventType.MISSED)
    await harness.env.sleep(timedelta(seconds=5))

    assert handle.id == f"{acme.id}/apt_acme"
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(WORKSPACE_ID) == acme.id
    assert attributes.get(APPOINTMENT_STATUS) == "missed"
    assert attributes.get(NO_SHOW_COUNT) == 1
    steps = [s.step for s in harness.sent("apt_acme", acme.id)]
    assert steps == ["confirmation", "reminder_1h", "no_show_followup"]
    assert harness.sent("apt_acme", DEFAULT_WORKSPACE_ID) == []
    mirrored = AppointmentStore(sessions, acme.id).get("apt_acme")
    assert mirrored is not None and mirrored.progress.status is AppointmentStatus.MISSED
    assert mirrored.progress.contact_no_show_total == 1

    outcome = await handle.result()
    assert outcome.status is AppointmentStatus.LOST
    await harness.archive(handle, "missed_in_workspace")

"""The activities the worker registers run in the workspace their input names: the
send-time rules count that workspace's messages and appointments only (the same platform
contact id in another business never caps or stops a step), and the playbook an
appointment pins carries its workspace's own quiet hours. The worker's wiring over the
SQL stores, both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.workspaces import WorkspaceActivities
from rebook.core.brand import Brand
from rebook.core.contracts import PlaybookRequest, SendCheck
from rebook.core.domain import CommunicationStatus
from rebook.core.playbook import FrequencyCap, QuietHours, StopCondition
from rebook.core.ports import DeliveryProfile, ProviderReceipt
from rebook.core.workspaces import WorkspaceId
from rebook.db.stores import CommunicationStore, WorkspaceSettingsStore
from tests.support.factories import T0, appointment, contact, send_check
from tests.support.harness import outbox_senders
from tests.support.messages import shipped_catalog
from tests.support.rows import LEASE, draft, save_appointment
from tests.support.workspaces import add_workspace
from worker import activities_on

CONTACT = "ct_shared"  # the same platform contact id in both businesses
NOW = T0 + timedelta(days=4)
CAP = FrequencyCap(max_messages=1, window_s=24 * 3600)


@pytest.fixture
def activities(sessions: sessionmaker[Session]) -> WorkspaceActivities:
    profile = DeliveryProfile(Brand("Rebook"), outbox_senders())
    return activities_on(sessions, lambda _workspace_id: profile, shipped_catalog())


@pytest.fixture
def alpha(sessions: sessionmaker[Session]) -> WorkspaceId:
    return add_workspace(sessions, "alpha").id


@pytest.fixture
def bravo(sessions: sessionmaker[Session]) -> WorkspaceId:
    """Another business that messaged the same contact id and booked it again."""
    workspace_id = add_workspace(sessions, "bravo").id
    missed = appointment(appointment_id="apt_b", external_id="ext-b", contact=contact(id=CONTACT))
    save_appointment(sessions, missed, workspace_id)
    upcoming = replace(
        missed, appointment_id="apt_b2", external_id="ext-b2", starts_at=NOW + timedelta(days=2)
    )
    save_appointment(sessions, upcoming, workspace_id)
    ledger = CommunicationStore(sessions, workspace_id)
    sent = ledger.claim(
        replace(
            draft("apt_b:nudge:sms", appointment_id="apt_b", contact_id=CONTACT),
            scheduled_for=NOW - timedelta(hours=1),
        ),
        LEASE,
    )
    ledger.complete(sent.record.id, ProviderReceipt("twilio", "SM1", CommunicationStatus.SENT))
    return workspace_id


def _check(workspace_id: WorkspaceId, appointment_id: str) -> SendCheck:
    details = appointment(
        appointment_id=appointment_id,
        external_id=f"ext-{appointment_id}",
        contact=contact(id=CONTACT),
    )
    return send_check(
        details,
        NOW,
        stop_when=(StopCondition.REBOOKED,),
        frequency_cap=CAP,
        workspace_id=workspace_id,
    )


def test_another_workspaces_messages_and_bookings_neither_cap_nor_stop_a_step(
    activities: WorkspaceActivities,
    sessions: sessionmaker[Session],
    alpha: WorkspaceId,
    bravo: WorkspaceId,
) -> None:
    save_appointment(
        sessions,
        appointment(appointment_id="apt_a", external_id="ext-a", contact=contact(id=CONTACT)),
        alpha,
    )

    cleared = ActivityEnvironment().run(activities.check_send, _check(alpha, "apt_a"))

    assert (cleared.stop, cleared.defer_until) == (None, None)
    assert CommunicationStore(sessions, alpha).for_appointment("apt_a") == []


def test_the_same_rules_in_the_other_workspace_see_its_own_rows(
    activities: WorkspaceActivities, sessions: sessionmaker[Session], bravo: WorkspaceId
) -> None:
    stopped = ActivityEnvironment().run(activities.check_send, _check(bravo, "apt_b"))
    capped = ActivityEnvironment().run(
        activities.check_send, replace(_check(bravo, "apt_b"), stop_when=())
    )

    assert stopped.stop is StopCondition.REBOOKED
    assert capped.defer_until == NOW - timedelta(hours=1) + timedelta(days=1)
    holds = CommunicationStore(sessions, bravo).for_appointment("apt_b")
    assert sorted(h.status for h in holds if h.status is not CommunicationStatus.SENT) == [
        CommunicationStatus.DEFERRED,
        CommunicationStatus.SKIPPED,
    ]


def test_a_pinned_playbook_carries_its_workspaces_quiet_hours(
    activities: WorkspaceActivities, sessions: sessionmaker[Session], alpha: WorkspaceId
) -> None:
    request = PlaybookRequest(appointment=appointment(), workspace_id=alpha)
    resolve = ActivityEnvironment().run

    own = resolve(activities.resolve_playbook, request)
    WorkspaceSettingsStore(sessions, alpha).update({"quiet_hours_start_h": 20})
    evenings = resolve(activities.resolve_playbook, request)
    WorkspaceSettingsStore(sessions, alpha).update({"quiet_hours_end_h": 20})
    never = resolve(activities.resolve_playbook, request)

    assert (own.name, own.policy.quiet_hours) == ("default", QuietHours(21 * 60, 8 * 60))
    assert evenings.policy.quiet_hours == QuietHours(20 * 60, 8 * 60)
    assert evenings.phases == own.phases and evenings.version == own.version
    assert never.policy.quiet_hours is None  # equal hours: off

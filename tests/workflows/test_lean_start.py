"""Runs started from the lean-start patch on (issue 12): one patch marker, and the search
attributes a run was started with are not upserted again until they change. Runs started
without them (as the harness starts them) still set them at once. Runs started before the
patch replay their old path (tests/workflows/test_replay.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.common import TypedSearchAttributes

from rebook.core import search_attributes as sa
from rebook.core.contracts import AppointmentDetails, AppointmentWorkflowInput
from rebook.core.domain import AppointmentStatus, EventType
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from tests.support.harness import Harness
from tests.support.rows import save_appointment
from workflows.appointment import LEAN_START_PATCH, AppointmentWorkflow

SDK_VERSION_ATTRIBUTE = "TemporalChangeVersion"  # upserted by the SDK with each patch
ALL_ATTRIBUTES = sorted(key.name for key in sa.ALL_KEYS)


async def start_as_the_api_does(harness: Harness, details: AppointmentDetails) -> Any:
    """rebook.temporal.gateway starts every workflow with sa.pairs of the fresh booking
    (WorkspaceId included) and no playbook: the workflow resolves it."""
    record = save_appointment(harness.sessions, details, DEFAULT_WORKSPACE_ID)
    return await harness.env.client.start_workflow(
        AppointmentWorkflow.run,
        AppointmentWorkflowInput(appointment=details, workspace_id=DEFAULT_WORKSPACE_ID),
        id=record.workflow_id,
        task_queue=harness.task_queue,
        search_attributes=TypedSearchAttributes(
            sa.pairs(details, workspace_id=DEFAULT_WORKSPACE_ID)
        ),
    )


def upserted(history: WorkflowHistory) -> list[list[str]]:
    return [
        sorted(
            event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        )
        for event in history.events
        if event.HasField("upsert_workflow_search_attributes_event_attributes")
    ]


def patches(history: WorkflowHistory) -> list[str]:
    found = []
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_patch":
                found.append(json.loads(marker.details["patch-data"].payloads[0].data)["id"])
    return found


async def history(handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    return await handle.fetch_history()


async def test_started_with_its_attributes_a_run_upserts_only_what_changes(
    harness: Harness,
) -> None:
    details = await harness.booked("apt_lean", timedelta(hours=2))
    handle = await start_as_the_api_does(harness, details)
    await harness.env.sleep(timedelta(hours=2, minutes=10))
    assert harness.steps_sent(details.appointment_id)[0] == ("confirmation", "email")

    started = await history(handle)
    assert patches(started) == [LEAN_START_PATCH]
    assert upserted(started) == [[SDK_VERSION_ATTRIBUTE]]
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.APPOINTMENT_STATUS) == "scheduled"

    await harness.signal(handle, EventType.MISSED)
    outcome = await handle.result()  # the sequence runs out: closed as lost

    assert outcome.status is AppointmentStatus.LOST
    finished = await history(handle)
    assert patches(finished) == [LEAN_START_PATCH]
    # The version, then the miss (missed, one no-show), then the close (lost).
    assert upserted(finished) == [[SDK_VERSION_ATTRIBUTE], ALL_ATTRIBUTES, ALL_ATTRIBUTES]
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.APPOINTMENT_STATUS) == "lost"
    assert attributes.get(sa.NO_SHOW_COUNT) == 1
    await harness.archive(handle, "lean_start_missed_to_lost")


async def test_started_without_attributes_a_run_sets_them_at_once(harness: Harness) -> None:
    details = await harness.booked("apt_bare", timedelta(days=2))
    handle = await harness.start(details)  # no search attributes, unlike the API
    await harness.env.sleep(timedelta(minutes=1))

    started = await history(handle)
    assert patches(started) == [LEAN_START_PATCH]
    assert upserted(started) == [[SDK_VERSION_ATTRIBUTE], ALL_ATTRIBUTES]
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.APPOINTMENT_ID) == details.appointment_id
    await harness.signal(handle, EventType.CANCELLED)
    await handle.result()

"""Events from the booking platform, against a real Temporal dev server without a worker:
signals land in the workflow's history whether or not anything processes them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.worker import Worker

from rebook.core import search_attributes as sa
from rebook.core.names import workflow_id_for
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Appointment
from tests.support.payloads import appointment_body, future_iso, starting_soon_iso
from tests.support.rows import appointment_ids_for, stored_event_ids


async def _create(api_client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api_client.post("/v1/appointments", json=appointment_body(**changes))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _signal_count(temporal_client: Client, workflow_id: str) -> int:
    history = await temporal_client.get_workflow_handle(workflow_id).fetch_history()
    return sum(
        1
        for event in history.events
        if event.event_type == HistoryEventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    )


async def _close_as(
    temporal_client: Client, sessions: sessionmaker[Session], appointment_id: str, status: str
) -> None:
    """Stand-in for a workflow that ran its course: stop it, and mirror its final status
    as the workflow's record_status activity would have."""
    await temporal_client.get_workflow_handle(
        workflow_id_for(DEFAULT_WORKSPACE_ID, appointment_id)
    ).terminate()
    with sessions() as session:
        session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id)
            .values(status=status, no_show_count=1, reschedule_count=2)
        )
        session.commit()


async def test_event_is_accepted_and_signalled(
    api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    created = await _create(api_client, starts_at=starting_soon_iso())

    response = await api_client.post(
        f"/v1/appointments/{created['id']}/events",
        json={"type": "missed", "event_id": "platform-1", "occurred_at": future_iso(days=0)},
    )

    assert response.status_code == 202, response.text
    assert response.json() == {
        "appointment_id": created["id"],
        "event_id": "platform-1",
        "type": "missed",
        "accepted": True,
        "duplicate": False,
    }
    assert stored_event_ids(sessions, created["id"]) == ["platform-1"]
    assert await _signal_count(temporal_client, created["workflow_id"]) == 1


async def test_a_reply_is_accepted_and_signalled(
    api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    """The inbound side (replies by SMS, WhatsApp or email) reports `replied`; follow-ups
    that stop when the contact replied then stay unsent."""
    created = await _create(api_client)

    response = await api_client.post(
        f"/v1/appointments/{created['id']}/events", json={"type": "replied", "event_id": "r-1"}
    )

    assert response.status_code == 202, response.text
    assert response.json()["type"] == "replied"
    assert stored_event_ids(sessions, created["id"]) == ["r-1"]
    assert await _signal_count(temporal_client, created["workflow_id"]) == 1


async def test_same_event_id_twice_is_stored_once(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    created = await _create(api_client)
    event = {"type": "rescheduled", "event_id": "platform-7", "new_starts_at": future_iso(days=5)}

    first = await api_client.post(f"/v1/appointments/{created['id']}/events", json=event)
    second = await api_client.post(f"/v1/appointments/{created['id']}/events", json=event)

    assert (first.status_code, second.status_code) == (202, 202)
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert {**first.json(), "duplicate": True} == second.json()
    assert stored_event_ids(sessions, created["id"]) == ["platform-7"]


async def test_event_without_event_id_gets_one(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    created = await _create(api_client)

    response = await api_client.post(
        f"/v1/appointments/{created['id']}/events", json={"type": "cancelled"}
    )

    assert response.status_code == 202
    generated = response.json()["event_id"]
    assert generated
    assert stored_event_ids(sessions, created["id"]) == [generated]


async def test_event_on_a_closed_appointment_is_409_with_its_status(
    api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    created = await _create(api_client, starts_at=starting_soon_iso())
    await _close_as(temporal_client, sessions, created["id"], "lost")

    response = await api_client.post(
        f"/v1/appointments/{created['id']}/events", json={"type": "missed", "event_id": "late"}
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "appointment is closed (lost)"
    assert stored_event_ids(sessions, created["id"]) == []  # refused, so not recorded


async def test_reschedule_after_lost_rebooks_with_a_new_run(
    api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
    appointment_worker: Worker,
) -> None:
    created = await _create(api_client)
    handle = temporal_client.get_workflow_handle(created["workflow_id"])
    first_run = (await handle.describe()).run_id
    await _close_as(temporal_client, sessions, created["id"], "lost")
    new_starts_at = future_iso(days=10)

    response = await api_client.post(
        f"/v1/appointments/{created['id']}/events",
        json={"type": "rescheduled", "event_id": "rebook-1", "new_starts_at": new_starts_at},
    )

    assert response.status_code == 202, response.text
    # The reopened run applies the reschedule itself, then continues as new at the new time.
    description = await _eventually(
        handle, lambda d: d.typed_search_attributes.get(sa.RESCHEDULE_COUNT) == 3
    )
    assert description.status is WorkflowExecutionStatus.RUNNING
    assert description.run_id != first_run
    assert description.typed_search_attributes.get(sa.NO_SHOW_COUNT) == 1
    assert description.typed_search_attributes.get(sa.APPOINTMENT_STATUS) == "scheduled"
    with sessions() as session:
        row = session.get(Appointment, created["id"])
        assert row is not None
        assert (row.status, row.reschedule_count) == ("scheduled", 3)
        assert row.starts_at == datetime.fromisoformat(new_starts_at)
    assert stored_event_ids(sessions, created["id"]) == ["rebook-1"]
    for _ in range(100):  # the new run sends the fresh confirmation moments later
        detail = (await api_client.get(f"/v1/appointments/{created['id']}")).json()
        templates = [c["template"] for c in detail["communications"]]
        if "reschedule_confirmation" in templates:
            break
        await asyncio.sleep(0.1)
    assert "reschedule_confirmation" in templates


async def _eventually(
    handle: WorkflowHandle[Any, Any], check: Callable[[WorkflowExecutionDescription], bool]
) -> WorkflowExecutionDescription:
    """The worker moves the workflow on asynchronously: poll its description, bounded."""
    for _ in range(100):
        description = await handle.describe()
        if check(description):
            return description
        await asyncio.sleep(0.1)
    raise AssertionError(f"workflow never reached the expected state: {description}")


async def test_reschedule_after_attended_is_409(
    api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    created = await _create(api_client)
    await _close_as(temporal_client, sessions, created["id"], "attended")

    response = await api_client.post(
        f"/v1/appointments/{created['id']}/events",
        json={"type": "rescheduled", "new_starts_at": future_iso(days=4)},
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "appointment is closed (attended)"


async def test_event_starts_a_workflow_the_create_never_got_started(
    api_client: httpx.AsyncClient,
    down_api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    body = appointment_body(starts_at=starting_soon_iso())
    assert (await down_api_client.post("/v1/appointments", json=body)).status_code == 503
    # The platform never retried the create, but it knows the appointment from elsewhere.
    [fetched] = appointment_ids_for(sessions, body["external_id"])

    response = await api_client.post(
        f"/v1/appointments/{fetched}/events", json={"type": "missed", "event_id": "m-1"}
    )

    assert response.status_code == 202, response.text
    description = await temporal_client.get_workflow_handle(
        workflow_id_for(DEFAULT_WORKSPACE_ID, fetched)
    ).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING
    assert await _signal_count(temporal_client, workflow_id_for(DEFAULT_WORKSPACE_ID, fetched)) == 1


async def test_event_while_temporal_is_down_is_503_and_kept_for_the_retry(
    api_client: httpx.AsyncClient,
    down_api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    created = await _create(api_client, starts_at=starting_soon_iso())
    event = {"type": "missed", "event_id": "during-outage"}

    failed = await down_api_client.post(f"/v1/appointments/{created['id']}/events", json=event)
    retried = await api_client.post(f"/v1/appointments/{created['id']}/events", json=event)

    assert (failed.status_code, retried.status_code) == (503, 202)
    assert stored_event_ids(sessions, created["id"]) == ["during-outage"]
    assert await _signal_count(temporal_client, created["workflow_id"]) == 1

"""Event semantics the platform can rely on: a repeated event_id is acknowledged as a
duplicate whatever state the appointment is in (its workflow closed, Temporal down), and
an outcome reported before the appointment started is refused and not kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from tests.support.payloads import appointment_body, future_iso, starting_soon_iso
from tests.support.rows import stored_event_ids


async def _create(api_client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api_client.post("/v1/appointments", json=appointment_body(**changes))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_repeated_event_after_the_workflow_closed_is_a_duplicate_not_a_conflict(
    api_client: httpx.AsyncClient, temporal_client: Client, sessions: sessionmaker[Session]
) -> None:
    created = await _create(api_client, starts_at=starting_soon_iso())
    path = f"/v1/appointments/{created['id']}/events"
    cancel = {"type": "cancelled", "event_id": "cal-cancel-1"}
    first = await api_client.post(path, json=cancel)
    await temporal_client.get_workflow_handle(created["workflow_id"]).terminate()

    again = await api_client.post(path, json=cancel)
    other = await api_client.post(path, json={"type": "missed", "event_id": "cal-miss-1"})

    assert (first.status_code, first.json()["duplicate"]) == (202, False)
    assert (again.status_code, again.json()["duplicate"]) == (202, True), again.text
    assert other.status_code == 409  # a new event for a closed appointment is still refused
    assert stored_event_ids(sessions, created["id"]) == ["cal-cancel-1"]


async def test_a_repeated_event_is_acknowledged_while_temporal_is_down(
    api_client: httpx.AsyncClient, down_api_client: httpx.AsyncClient
) -> None:
    created = await _create(api_client)
    event = {"type": "cancelled", "event_id": "cal-cancel-2"}
    assert (
        await api_client.post(f"/v1/appointments/{created['id']}/events", json=event)
    ).is_success

    again = await down_api_client.post(f"/v1/appointments/{created['id']}/events", json=event)

    assert (again.status_code, again.json()["duplicate"]) == (202, True), again.text


async def test_missed_or_attended_before_the_start_is_409_and_not_kept(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    created = await _create(api_client, starts_at=future_iso(days=365))
    path = f"/v1/appointments/{created['id']}/events"

    missed = await api_client.post(path, json={"type": "missed", "event_id": "early-1"})
    attended = await api_client.post(path, json={"type": "attended", "event_id": "early-2"})
    cancelled = await api_client.post(path, json={"type": "cancelled", "event_id": "fine"})

    assert (missed.status_code, attended.status_code) == (409, 409)
    detail = missed.json()["detail"]
    assert "missed refused" in detail and "starts at" in detail
    assert cancelled.status_code == 202  # cancelling ahead of time is what cancelling is
    assert stored_event_ids(sessions, created["id"]) == ["fine"]


async def test_an_outcome_dated_before_the_start_is_refused_even_when_reported_later(
    api_client: httpx.AsyncClient,
) -> None:
    created = await _create(api_client, starts_at=starting_soon_iso())
    path = f"/v1/appointments/{created['id']}/events"
    before = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    response = await api_client.post(path, json={"type": "missed", "occurred_at": before})
    within_skew = await api_client.post(path, json={"type": "missed"})

    assert response.status_code == 409
    assert within_skew.status_code == 202  # starts within the clock skew: accepted

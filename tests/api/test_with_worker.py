"""End to end: the API in front of the real workflow and activities (outbox senders), on
the real Temporal dev server. Waits poll for an outcome; nothing asserts on durations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from rebook.core.contracts import Progress
from tests.support.payloads import appointment_body, starting_soon_iso
from tests.support.workspaces import add_workspace, bearer, issue_key

T = TypeVar("T")

pytestmark = pytest.mark.usefixtures("appointment_worker")


async def _eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], attempts: int = 100
) -> T:
    for _ in range(attempts):
        value = await probe()
        if done(value):
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"condition never held; last value: {value!r}")


async def _create(api_client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api_client.post("/v1/appointments", json=appointment_body(**changes))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _json(api_client: httpx.AsyncClient, path: str) -> Any:
    response = await api_client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def test_running_workflow_answers_progress_and_sends_the_confirmation(
    api_client: httpx.AsyncClient, appointment_worker: Worker
) -> None:
    created = await _create(api_client)
    path = f"/v1/appointments/{created['id']}"

    communications = await _eventually(lambda: _json(api_client, f"{path}/communications"), bool)
    detail = await _json(api_client, path)

    assert communications[0]["step"] == "confirmation"
    assert communications[0]["channel"] == "email"
    assert communications[0]["to_address"] == "ada@example.com"
    assert detail["progress_source"] == "workflow"
    assert detail["status"] == "scheduled"
    assert detail["next_step"] is not None
    assert detail["starts_at"] == created["starts_at"]
    assert [c["id"] for c in detail["communications"]] == [c["id"] for c in communications]


async def test_cancelled_appointment_closes_and_refuses_later_events(
    api_client: httpx.AsyncClient, temporal_client: Client
) -> None:
    created = await _create(api_client, starts_at=starting_soon_iso())

    cancelled = await api_client.post(
        f"/v1/appointments/{created['id']}/events", json={"type": "cancelled", "reason": "busy"}
    )
    assert cancelled.status_code == 202
    handle = temporal_client.get_workflow_handle(created["workflow_id"], result_type=Progress)
    outcome = await handle.result()
    assert outcome.status == "cancelled"

    late = await api_client.post(
        f"/v1/appointments/{created['id']}/events", json={"type": "missed"}
    )
    assert late.status_code == 409
    assert late.json()["detail"] == "appointment is closed (cancelled)"
    detail = await _json(api_client, f"/v1/appointments/{created['id']}")
    assert detail["progress_source"] == "database"
    assert detail["status"] == "cancelled"


async def test_app_booking_lands_in_the_contact_inbox(api_client: httpx.AsyncClient) -> None:
    body = appointment_body(booked_via="app")
    body["contact"]["preferred_channel"] = "in_app"
    contact_id = body["contact"]["id"]
    in_app = await api_client.post("/v1/appointments", json=body)
    assert in_app.status_code == 201, in_app.text

    inbox = await _eventually(lambda: _json(api_client, f"/v1/contacts/{contact_id}/inbox"), bool)

    assert inbox[0]["appointment_id"] == in_app.json()["id"]
    assert inbox[0]["read_at"] is None


async def test_a_workspace_booking_is_followed_up_in_its_workspace_and_brand(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    acme = add_workspace(sessions, "acme")
    key = bearer(issue_key(sessions, acme.id))
    await api_client.put("/v1/workspace/settings", json={"brand_name": "Acme Dental"}, headers=key)
    # Starting within the clock skew: a miss may be reported at once.
    body = appointment_body(starts_at=starting_soon_iso())
    created = await api_client.post("/v1/appointments", json=body, headers=key)
    assert created.status_code == 201, created.text
    path = f"/v1/appointments/{created.json()['id']}"

    async def communications() -> Any:
        response = await api_client.get(f"{path}/communications", headers=key)
        return response.json()

    [confirmation] = await _eventually(communications, bool)
    missed = await api_client.post(f"{path}/events", json={"type": "missed"}, headers=key)
    follow_ups = await _eventually(communications, lambda sent: len(sent) >= 2)
    detail = await api_client.get(path, headers=key)

    assert created.json()["workflow_id"] == f"{acme.id}/{created.json()['id']}"
    assert confirmation["step"] == "confirmation" and "Acme Dental" in confirmation["body"]
    assert missed.status_code == 202
    assert follow_ups[-1]["step"] == "no_show_followup"
    assert detail.json()["status"] == "missed" and detail.json()["progress_source"] == "workflow"
    other = bearer(issue_key(sessions, add_workspace(sessions, "bravo").id))
    assert (await api_client.get(f"{path}/communications", headers=other)).status_code == 404


async def test_the_confirmation_shows_the_details_in_the_contacts_language(
    api_client: httpx.AsyncClient,
) -> None:
    body = appointment_body(location="Calle Mayor 1, Madrid", join_url="https://meet.example.com/x")
    body["contact"]["locale"] = "es"
    created = await _create(api_client, **{k: v for k, v in body.items() if k != "external_id"})
    path = f"/v1/appointments/{created['id']}/communications"

    [confirmation] = await _eventually(lambda: _json(api_client, path), bool)

    assert confirmation["subject"].startswith("Confirmado")
    assert "Dónde: Calle Mayor 1, Madrid" in confirmation["body"]
    assert "https://meet.example.com/x" in confirmation["body"]

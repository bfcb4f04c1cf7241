"""Creating appointments against a real Temporal dev server (no worker needed: a started
workflow is visible through describe() before anything polls its task queue)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus

from api.schemas import AppointmentCreate
from rebook.core import search_attributes as sa
from rebook.core.names import workflow_id_for
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Contact
from rebook.db.stores import AppointmentStore
from rebook.settings import Settings
from tests.support.payloads import BOOKED_OFFSET, appointment_body, future_iso, with_contact
from tests.support.rows import appointment_ids_for


async def test_create_starts_the_workflow(
    api_client: httpx.AsyncClient, temporal_client: Client, api_settings: Settings
) -> None:
    body = appointment_body()
    response = await api_client.post("/v1/appointments", json=body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"].startswith("apt_") and len(created["id"]) == 24
    assert created["status"] == "scheduled"
    assert created["workflow_id"] == workflow_id_for(DEFAULT_WORKSPACE_ID, created["id"])
    # Shown in the offset it was booked with.
    assert datetime.fromisoformat(created["starts_at"]).utcoffset() == BOOKED_OFFSET.utcoffset(None)
    assert datetime.fromisoformat(created["starts_at"]) == datetime.fromisoformat(body["starts_at"])

    description = await temporal_client.get_workflow_handle(created["workflow_id"]).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING
    assert description.workflow_type == "AppointmentWorkflow"
    assert description.task_queue == api_settings.task_queue
    attributes = description.typed_search_attributes
    assert attributes.get(sa.APPOINTMENT_ID) == created["id"]
    assert attributes.get(sa.CONTACT_ID) == body["contact"]["id"]
    assert attributes.get(sa.APPOINTMENT_KIND) == "demo"
    assert attributes.get(sa.APPOINTMENT_STATUS) == "scheduled"
    assert attributes.get(sa.NO_SHOW_COUNT) == 0
    assert attributes.get(sa.RESCHEDULE_COUNT) == 0


async def test_same_body_twice_is_one_appointment_and_one_workflow(
    api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    body = appointment_body()
    first = await api_client.post("/v1/appointments", json=body)
    second = await api_client.post("/v1/appointments", json=body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    handle = temporal_client.get_workflow_handle(first.json()["workflow_id"])
    runs = [run async for run in temporal_client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) == 1
    assert len(appointment_ids_for(sessions, body["external_id"])) == 1


async def test_same_external_id_with_another_body_is_409(api_client: httpx.AsyncClient) -> None:
    body = appointment_body()
    assert (await api_client.post("/v1/appointments", json=body)).status_code == 201

    changed = {**body, "topic": "Another topic"}
    response = await api_client.post("/v1/appointments", json=changed)

    assert response.status_code == 409
    assert body["external_id"] in response.json()["detail"]


async def test_contact_row_is_created_then_updated(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    first = appointment_body()
    second = with_contact(appointment_body(), id=first["contact"]["id"], name="Ada King")
    for body in (first, second):
        assert (await api_client.post("/v1/appointments", json=body)).status_code == 201

    with sessions() as session:
        contact = session.get(Contact, (DEFAULT_WORKSPACE_ID, first["contact"]["id"]))
        assert contact is not None
        assert contact.name == "Ada King"


async def test_experiment_variant_is_assigned_and_stored(api_client: httpx.AsyncClient) -> None:
    body = appointment_body(experiment={"name": "subject-line", "variants": ["plain", "bold"]})
    response = await api_client.post("/v1/appointments", json=body)

    assert response.status_code == 201
    experiment = response.json()["experiment"]
    assert experiment["name"] == "subject-line"
    assert experiment["variant"] in ("plain", "bold")
    replay = await api_client.post("/v1/appointments", json=body)
    assert replay.json()["experiment"] == experiment


async def test_temporal_outage_keeps_the_row_and_the_retry_starts_the_workflow(
    api_client: httpx.AsyncClient,
    down_api_client: httpx.AsyncClient,
    temporal_client: Client,
    sessions: sessionmaker[Session],
) -> None:
    body = appointment_body()

    failed = await down_api_client.post("/v1/appointments", json=body)

    assert failed.status_code == 503
    [appointment_id] = appointment_ids_for(sessions, body["external_id"])

    retried = await api_client.post("/v1/appointments", json=body)

    assert retried.status_code in (200, 201)
    assert retried.json()["id"] == appointment_id
    description = await temporal_client.get_workflow_handle(
        workflow_id_for(DEFAULT_WORKSPACE_ID, appointment_id)
    ).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING


async def test_defaults_spelled_out_are_the_same_request(api_client: httpx.AsyncClient) -> None:
    implicit = appointment_body(experiment={"name": "subject-line"})
    explicit = {**implicit, "experiment": {"name": "subject-line", "variants": ["a", "b"]}}

    first = await api_client.post("/v1/appointments", json=implicit)
    second = await api_client.post("/v1/appointments", json=explicit)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]


async def test_playbook_details_are_stored_and_returned(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    details = {
        "location": "Acme HQ, 5th floor",
        "join_url": "https://meet.example.com/abc-defg",
        "instructions": "Bring last quarter's numbers.",
        "interest": "onboarding",
        "playbook": "demo",
    }
    body = with_contact(appointment_body(**details), locale="es")

    created = await api_client.post("/v1/appointments", json=body)
    fetched = await api_client.get(f"/v1/appointments/{created.json()['id']}")

    assert created.status_code == 201, created.text
    for answer in (created.json(), fetched.json()):
        assert {name: answer[name] for name in details} == details
        assert answer["contact"]["locale"] == "es"
    with sessions() as session:
        contact = session.get(Contact, (DEFAULT_WORKSPACE_ID, body["contact"]["id"]))
        assert contact is not None and contact.locale == "es"


async def test_appointments_without_the_new_details_read_them_as_null(
    api_client: httpx.AsyncClient,
) -> None:
    created = (await api_client.post("/v1/appointments", json=appointment_body())).json()
    for name in ("location", "join_url", "instructions", "interest", "playbook"):
        assert created[name] is None
    assert created["contact"]["locale"] is None


# What the code before playbooks (and before fingerprints compared instants) hashed for
# the body of OLD_BOOKING, starts_at aside: every default it filled in, none of the later
# fields. (For a start of 2030-01-01T10:00:00+01:00 it hashed to 3b52ce86...a2a10c.)
OLD_CANONICAL_BODY: dict[str, Any] = {
    "alternative_url": None,
    "booked_via": "web",
    "contact": {
        "email": "ada@example.com",
        "id": "con_fp",
        "name": "Ada Lovelace",
        "phone": None,
        "preferred_channel": None,
        "timezone": "Europe/London",
        "whatsapp": None,
    },
    "content_url": None,
    "duration_minutes": 30,
    "experiment": None,
    "external_id": "ext-fp",
    "host": {"email": None, "id": "host_fp", "name": "Grace Hopper"},
    "kind": "demo",
    "reschedule_url": "https://book.example.com/r/ext-fp",
    "topic": "Cutting no-shows",
}


def _old_booking(starts_at: str) -> dict[str, Any]:
    return {
        "external_id": "ext-fp",
        "starts_at": starts_at,
        "duration_minutes": 30,
        "kind": "demo",
        "topic": "Cutting no-shows",
        "reschedule_url": "https://book.example.com/r/ext-fp",
        "booked_via": "web",
        "contact": {
            "id": "con_fp",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "timezone": "Europe/London",
        },
        "host": {"id": "host_fp", "name": "Grace Hopper"},
    }


def _sha256_of(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_a_booking_from_before_the_new_fields_keeps_its_fingerprint() -> None:
    """A platform retrying a create it sent before these fields existed (and before
    fingerprints compared instants) gets the booking back, not a 409: the legacy
    fingerprint is what the old code stored, and the new fields' absence changes neither."""
    starts_at = future_iso(days=3, offset=timezone(timedelta(hours=1)))
    body = _old_booking(starts_at)
    before = _sha256_of({**OLD_CANONICAL_BODY, "starts_at": starts_at})

    parsed = AppointmentCreate.model_validate(body)
    assert parsed.legacy_fingerprint() == before
    assert parsed.fingerprint() != before  # today's compares the instant, in UTC
    with_location = AppointmentCreate.model_validate({**body, "location": "Room 4"})
    assert with_location.legacy_fingerprint() != before
    assert with_location.fingerprint() != parsed.fingerprint()


async def test_a_retry_of_a_booking_stored_with_the_legacy_fingerprint_is_a_replay(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    body = appointment_body(starts_at=future_iso(days=3, offset=timezone(timedelta(hours=1))))
    parsed = AppointmentCreate.model_validate(body)
    # As the code before this one stored it.
    stored = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID).create(
        parsed.to_appointment("UTC"), parsed.legacy_fingerprint()
    )
    assert stored is not None

    again = await api_client.post("/v1/appointments", json=body)
    changed = await api_client.post("/v1/appointments", json={**body, "topic": "Another topic"})

    assert again.status_code == 200, again.text
    assert again.json()["id"] == stored.details.appointment_id
    assert changed.status_code == 409

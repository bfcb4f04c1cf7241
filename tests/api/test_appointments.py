"""Creating appointments against a real Temporal dev server (no worker needed: a started
workflow is visible through describe() before anything polls its task queue)."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus

from rebook.core import search_attributes as sa
from rebook.core.names import workflow_id_for
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Contact
from rebook.settings import Settings
from tests.support.payloads import BOOKED_OFFSET, appointment_body, with_contact
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


async def test_healthz_reports_temporal_down(down_api_client: httpx.AsyncClient) -> None:
    response = await down_api_client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "temporal": "error"}


async def test_healthz_ok(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


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


def test_a_booking_from_before_the_new_fields_keeps_its_fingerprint() -> None:
    """A platform retrying a create it sent before these fields existed gets the booking
    back, not a 409: their absence does not change the fingerprint."""
    from api.schemas import AppointmentCreate

    body = {
        "external_id": "ext-fp",
        "starts_at": "2030-01-01T10:00:00+01:00",
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
    # Computed by the code before playbooks, for this very body.
    before = "3b52ce8619927803b05d0dae30c1b08145804ec68f48aed86aa22cfa5aa2a10c"
    assert AppointmentCreate.model_validate(body).fingerprint() == before
    with_location = {**body, "location": "Room 4"}
    assert AppointmentCreate.model_validate(with_location).fingerprint() != before

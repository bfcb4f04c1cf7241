"""Creating appointments against a real Temporal dev server (no worker needed: a started
workflow is visible through describe() before anything polls its task queue)."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus

from rebook.core import search_attributes as sa
from rebook.core.names import workflow_id_for
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
    assert created["workflow_id"] == workflow_id_for(created["id"])
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
        contact = session.get(Contact, first["contact"]["id"])
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
        workflow_id_for(appointment_id)
    ).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING


async def test_defaults_spelled_out_are_the_same_request(api_client: httpx.AsyncClient) -> None:
    implicit = appointment_body(experiment={"name": "subject-line"})
    explicit = {**implicit, "experiment": {"name": "subject-line", "variants": ["a", "b"]}}

    first = await api_client.post("/v1/appointments", json=implicit)
    second = await api_client.post("/v1/appointments", json=explicit)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]

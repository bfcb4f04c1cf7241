"""GET/PUT /v1/workspace/settings (admin): brand, senders, quiet hours, limits and
provider credentials, which are encrypted at rest, never returned and never logged. New
appointments start with their workspace's settings."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.app import create_app
from rebook.core import search_attributes as sa
from rebook.core.workspaces import SETTING_NAMES, TwilioCredentials, Workspace
from rebook.credentials import CredentialCipher
from rebook.db.models import WorkspaceSettingsRow
from rebook.settings import Settings
from tests.support.payloads import appointment_body
from tests.support.workspaces import add_workspace, bearer, issue_key

CREDENTIALS_KEY = Fernet.generate_key().decode()
SENDGRID_SECRET = "SG.very-secret-api-key-0123456789"
TWILIO_SECRET = "twilio-very-secret-token-0123456789"
CREDENTIALS = {
    "sendgrid": {"api_key": SENDGRID_SECRET},
    "twilio": {"account_sid": "AC" + "a" * 32, "auth_token": TWILIO_SECRET},
}


@pytest.fixture
def acme(sessions: sessionmaker[Session]) -> Workspace:
    return add_workspace(sessions, "acme", timezone="Europe/Berlin")


@pytest.fixture
def admin(sessions: sessionmaker[Session], acme: Workspace) -> dict[str, str]:
    return bearer(issue_key(sessions, acme.id))


@pytest.fixture
async def keyed_client(
    api_settings: Settings, temporal_client: Client
) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a deployment with CREDENTIALS_KEY set."""
    settings = api_settings.model_copy(update={"credentials_key": SecretStr(CREDENTIALS_KEY)})
    app: FastAPI = create_app(settings, temporal_client=temporal_client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def test_a_new_workspace_inherits_everything(
    api_client: httpx.AsyncClient, admin: dict[str, str], acme: Workspace
) -> None:
    response = await api_client.get("/v1/workspace/settings", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert body["workspace"] == {
        "id": acme.id,
        "slug": "acme",
        "name": "Acme",
        "timezone": "Europe/Berlin",
        "created_at": body["workspace"]["created_at"],
    }
    assert {name: body[name] for name in SETTING_NAMES} == dict.fromkeys(SETTING_NAMES)
    assert body["credentials"] == {
        "sendgrid": {"configured": False},
        "twilio": {"configured": False},
    }


async def test_put_changes_what_it_sends_and_null_inherits_again(
    api_client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await api_client.put(
        "/v1/workspace/settings",
        json={
            "name": "Acme Clinic",
            "brand_name": "Acme",
            "brand_primary_color": "#0a7d5a",
            "brand_logo_url": "https://acme.example/logo.png",
            "brand_footer": "Acme Clinic, 1 Main St, Springfield",
            "email_from_address": "hello@acme.example",
            "twilio_sms_from": "+14155550100",
            "quiet_hours_start_h": 20,
            "rate_limit_write_per_minute": 100,
        },
        headers=admin,
    )
    response = await api_client.put(
        "/v1/workspace/settings",
        json={"brand_logo_url": None, "quiet_hours_end_h": 7},
        headers=admin,
    )

    body = response.json()
    assert body["workspace"]["name"] == "Acme Clinic"
    assert (body["brand_name"], body["brand_primary_color"]) == ("Acme", "#0a7d5a")
    assert body["brand_logo_url"] is None
    assert (body["quiet_hours_start_h"], body["quiet_hours_end_h"]) == (20, 7)
    assert body["email_from_address"] == "hello@acme.example"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"brand_primary_color": "green"}, ["body", "brand_primary_color"]),
        ({"brand_accent_color": "#12345"}, ["body", "brand_accent_color"]),
        ({"brand_logo_url": "javascript:alert(1)"}, ["body", "brand_logo_url"]),
        ({"email_from_address": "not-an-email"}, ["body", "email_from_address"]),
        ({"twilio_sms_from": "0044 7700"}, ["body", "twilio_sms_from"]),
        ({"twilio_messaging_service_sid": "XX1"}, ["body", "twilio_messaging_service_sid"]),
        ({"quiet_hours_start_h": 24}, ["body", "quiet_hours_start_h"]),
        ({"rate_limit_read_per_minute": 0}, ["body", "rate_limit_read_per_minute"]),
        ({"timezone": "Mars/Base"}, ["body", "timezone"]),
        ({"name": None}, ["body", "name"]),
        ({"brand": "Acme"}, ["body", "brand"]),
        ({"credentials": {"twilio": {"account_sid": "AC1"}}}, ["body", "credentials", "twilio"]),
    ],
)
async def test_bad_settings_are_422_naming_the_field(
    api_client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, object], loc: list[str]
) -> None:
    response = await api_client.put("/v1/workspace/settings", json=body, headers=admin)

    assert response.status_code == 422
    assert loc == response.json()["detail"][0]["loc"][: len(loc)]


@pytest.mark.parametrize(
    "credentials",
    [
        {"twilio": {"auth_token": TWILIO_SECRET}},
        {"twilio": {"account_sid": "AC1", "auth_token": TWILIO_SECRET}},
        {"sendgrid": {"api_key": SENDGRID_SECRET, "extra": SENDGRID_SECRET}},
    ],
)
async def test_a_refused_credential_is_named_but_never_echoed(
    keyed_client: httpx.AsyncClient, admin: dict[str, str], credentials: dict[str, object]
) -> None:
    response = await keyed_client.put(
        "/v1/workspace/settings", json={"credentials": credentials}, headers=admin
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "credentials"]
    assert SENDGRID_SECRET not in response.text and TWILIO_SECRET not in response.text


async def test_credentials_are_refused_without_a_credentials_key(
    api_client: httpx.AsyncClient, admin: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    response = await api_client.put(
        "/v1/workspace/settings",
        json={"brand_name": "Acme", "credentials": CREDENTIALS},
        headers=admin,
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "credentials"]
    assert "CREDENTIALS_KEY" in response.json()["detail"][0]["msg"]
    assert SENDGRID_SECRET not in response.text
    with sessions() as session:
        assert session.scalars(select(WorkspaceSettingsRow)).all() == []  # nothing half-done


async def test_credentials_are_encrypted_never_returned_and_never_logged(
    keyed_client: httpx.AsyncClient,
    admin: dict[str, str],
    acme: Workspace,
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    stored = await keyed_client.put(
        "/v1/workspace/settings", json={"credentials": CREDENTIALS}, headers=admin
    )
    shown = await keyed_client.get("/v1/workspace/settings", headers=admin)
    audit = await keyed_client.get("/v1/audit", headers=admin)

    assert stored.status_code == 200, stored.text
    assert shown.json()["credentials"] == {
        "sendgrid": {"configured": True},
        "twilio": {"configured": True},
    }
    for secret in (SENDGRID_SECRET, TWILIO_SECRET):
        assert secret not in stored.text and secret not in shown.text and secret not in audit.text
        assert secret not in caplog.text
    with sessions() as session:
        row = session.get(WorkspaceSettingsRow, acme.id)
        assert row is not None and row.twilio_credentials is not None
        assert TWILIO_SECRET not in row.twilio_credentials
    cipher = CredentialCipher.from_setting(CREDENTIALS_KEY)
    assert cipher is not None
    decrypted = cipher.decrypt(row.twilio_credentials, TwilioCredentials)
    assert decrypted.auth_token == TWILIO_SECRET


async def test_null_forgets_a_providers_credentials(
    keyed_client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await keyed_client.put(
        "/v1/workspace/settings", json={"credentials": CREDENTIALS}, headers=admin
    )

    response = await keyed_client.put(
        "/v1/workspace/settings", json={"credentials": {"twilio": None}}, headers=admin
    )

    assert response.json()["credentials"] == {
        "sendgrid": {"configured": True},
        "twilio": {"configured": False},
    }


async def test_a_new_appointment_starts_with_its_workspaces_settings(
    api_client: httpx.AsyncClient,
    admin: dict[str, str],
    acme: Workspace,
    temporal_client: Client,
) -> None:
    await api_client.put(
        "/v1/workspace/settings",
        json={"quiet_hours_start_h": 20, "quiet_hours_end_h": 7, "timezone": "America/New_York"},
        headers=admin,
    )
    body = appointment_body()
    del body["contact"]["timezone"]

    created = await api_client.post("/v1/appointments", json=body, headers=admin)

    assert created.status_code == 201, created.text
    assert created.json()["contact"]["timezone"] == "America/New_York"
    handle = temporal_client.get_workflow_handle(created.json()["workflow_id"])
    assert handle.id == f"{acme.id}/{created.json()['id']}"
    description = await handle.describe()
    assert description.typed_search_attributes.get(sa.WORKSPACE_ID) == acme.id
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    workflow_input = json.loads(started.input.payloads[0].data)
    assert workflow_input["workspace_id"] == acme.id
    assert workflow_input["policy"]["quiet_hours_start_h"] == 20
    assert workflow_input["policy"]["quiet_hours_end_h"] == 7

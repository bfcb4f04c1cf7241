"""API keys: once API_KEYS is set, /v1 needs `Authorization: Bearer <key>`; health stays
open for probes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from temporalio.client import Client

from api.app import create_app
from rebook.settings import Settings
from tests.support.payloads import appointment_body


@pytest.fixture
def keyed_client(api_settings: Settings, temporal_client: Client) -> Iterator[TestClient]:
    settings = api_settings.model_copy(update={"api_keys": "old-key, new-key"})
    app = create_app(settings, temporal_client=temporal_client)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Basic old-key", "old-key", "Bearer "],
)
def test_v1_without_a_valid_key_is_401(keyed_client: TestClient, authorization: str | None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    for method, path in (
        ("GET", "/v1/appointments/apt_x"),
        ("POST", "/v1/appointments/apt_x/events"),
        ("GET", "/v1/contacts/c/inbox"),
    ):
        response = keyed_client.request(method, path, headers=headers, json={"type": "missed"})
        assert response.status_code == 401, (method, path, response.text)
        assert "Authorization" in response.json()["detail"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_every_configured_key_is_accepted(keyed_client: TestClient):
    for key in ("old-key", "new-key"):
        response = keyed_client.get(
            "/v1/appointments/apt_unknown", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 404  # authenticated; the appointment does not exist


def test_a_rejected_request_stores_nothing(keyed_client: TestClient):
    body = appointment_body()
    assert keyed_client.post("/v1/appointments", json=body).status_code == 401
    response = keyed_client.post(
        "/v1/appointments", json=body, headers={"Authorization": "Bearer new-key"}
    )
    assert response.status_code == 201  # first real creation: nothing was kept before


def test_health_needs_no_key(keyed_client: TestClient):
    # 503 here (no worker polls this test's queue), but never 401.
    assert keyed_client.get("/healthz").json()["database"] == "ok"


def test_without_configured_keys_the_api_is_open(sync_api_client: TestClient):
    assert sync_api_client.get("/v1/appointments/apt_unknown").status_code == 404

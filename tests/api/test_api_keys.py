"""API keys from `rebook key create` / POST /v1/keys: bound to a workspace and scopes,
stored hashed, revocable. 401 without a valid key, 403 without the scope."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import Scope
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, Workspace
from rebook.db.stores import WorkspaceStore
from tests.support.payloads import appointment_body
from tests.support.workspaces import add_workspace, bearer, issue_key, key_id_of


@pytest.fixture
def acme(sessions: sessionmaker[Session]) -> Workspace:
    return add_workspace(sessions, "acme")


async def test_with_no_key_anywhere_the_api_is_open_on_the_default_workspace(
    api_client: httpx.AsyncClient,
) -> None:
    response = await api_client.get("/v1/workspace")

    assert response.status_code == 200
    assert response.json()["workspace"]["id"] == DEFAULT_WORKSPACE_ID
    assert response.json()["key_id"] is None


async def test_once_a_key_exists_requests_without_one_are_401(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    assert (await api_client.get("/v1/workspace")).status_code == 200
    created = await api_client.post("/v1/keys", json={"name": "first", "scopes": ["admin"]})
    assert created.status_code == 201

    refused = await api_client.get("/v1/workspace")

    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization" in refused.json()["detail"]


@pytest.mark.parametrize(
    "presented",
    ["rbk_0123456789ab_nosuchsecret", "not-a-key", "rbk_", "Basic abc"],
)
async def test_unknown_or_malformed_keys_are_401(
    api_client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    acme: Workspace,
    presented: str,
) -> None:
    issue_key(sessions, acme.id)

    response = await api_client.get("/v1/workspace", headers=bearer(presented))

    assert response.status_code == 401


async def test_a_right_id_with_a_wrong_secret_is_401(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    key = issue_key(sessions, acme.id)
    forged = f"rbk_{key_id_of(key)}_{'x' * 43}"

    assert (await api_client.get("/v1/workspace", headers=bearer(forged))).status_code == 401
    assert (await api_client.get("/v1/workspace", headers=bearer(key))).status_code == 200


async def test_a_key_acts_on_its_workspace_with_its_scopes(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    key = issue_key(sessions, acme.id, Scope.APPOINTMENTS_READ, Scope.REPORTS_READ)

    me = await api_client.get("/v1/workspace", headers=bearer(key))

    assert me.json()["workspace"]["slug"] == "acme"
    assert me.json()["scopes"] == ["appointments:read", "reports:read"]
    assert me.json()["key_id"] == key_id_of(key)


@pytest.mark.parametrize(
    ("scope", "method", "path", "body"),
    [
        (Scope.APPOINTMENTS_READ, "POST", "/v1/appointments", appointment_body()),
        (Scope.APPOINTMENTS_READ, "POST", "/v1/appointments/apt_x/events", {"type": "missed"}),
        (Scope.APPOINTMENTS_READ, "POST", "/v1/contacts/c/inbox/com_x/read", None),
        (Scope.APPOINTMENTS_WRITE, "GET", "/v1/appointments/apt_x", None),
        (Scope.APPOINTMENTS_WRITE, "GET", "/v1/reports/follow-ups", None),
        (Scope.REPORTS_READ, "GET", "/v1/contacts/c/inbox", None),
        (Scope.REPORTS_READ, "GET", "/v1/communications", None),
        (Scope.APPOINTMENTS_WRITE, "GET", "/v1/communications?status=unconfirmed", None),
        (Scope.APPOINTMENTS_WRITE, "GET", "/v1/workspace/settings", None),
        (Scope.APPOINTMENTS_WRITE, "POST", "/v1/keys", {"name": "x", "scopes": ["admin"]}),
        (Scope.REPORTS_READ, "GET", "/v1/audit", None),
    ],
)
async def test_a_valid_key_without_the_scope_is_403(
    api_client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    acme: Workspace,
    scope: Scope,
    method: str,
    path: str,
    body: object,
) -> None:
    key = issue_key(sessions, acme.id, scope)

    response = await api_client.request(method, path, headers=bearer(key), json=body)

    assert response.status_code == 403, response.text
    assert "scope" in response.json()["detail"]


async def test_admin_may_do_everything(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    key = issue_key(sessions, acme.id, Scope.ADMIN)

    created = await api_client.post(
        "/v1/appointments", json=appointment_body(), headers=bearer(key)
    )
    report = await api_client.get("/v1/reports/follow-ups", headers=bearer(key))

    assert created.status_code == 201 and report.status_code == 200
    assert report.json()["totals"]["appointments"] == 1


async def test_a_created_key_is_shown_once_and_works_in_its_workspace(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    admin = issue_key(sessions, acme.id, Scope.ADMIN)

    created = await api_client.post(
        "/v1/keys",
        json={"name": "booking site", "scopes": ["appointments:write"]},
        headers=bearer(admin),
    )
    listed = await api_client.get("/v1/keys", headers=bearer(admin))

    assert created.status_code == 201, created.text
    text = created.json()["key"]
    assert text.startswith(f"rbk_{created.json()['id']}_")
    assert created.headers["Location"] == f"/v1/keys/{created.json()['id']}"
    assert all("key" not in key for key in listed.json())
    assert text not in listed.text
    booked = await api_client.post(
        "/v1/appointments", json=appointment_body(), headers=bearer(text)
    )
    assert booked.status_code == 201
    assert booked.json()["workflow_id"].startswith(f"{acme.id}/")


async def test_a_revoked_key_is_refused_at_once(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    admin = issue_key(sessions, acme.id, Scope.ADMIN)
    doomed = issue_key(sessions, acme.id, Scope.APPOINTMENTS_READ)
    assert (await api_client.get("/v1/workspace", headers=bearer(doomed))).status_code == 200

    revoked = await api_client.delete(f"/v1/keys/{key_id_of(doomed)}", headers=bearer(admin))
    again = await api_client.delete(f"/v1/keys/{key_id_of(doomed)}", headers=bearer(admin))
    refused = await api_client.get("/v1/workspace", headers=bearer(doomed))

    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


async def test_last_use_is_recorded_without_a_write_per_request(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    key = issue_key(sessions, acme.id)
    store = WorkspaceStore(sessions)

    await api_client.get("/v1/workspace", headers=bearer(key))
    found = store.key(key_id_of(key))
    assert found is not None and found.key.last_used_at is not None
    first_use = found.key.last_used_at
    for _ in range(3):
        await api_client.get("/v1/workspace", headers=bearer(key))

    again = store.key(key_id_of(key))
    assert again is not None and again.key.last_used_at == first_use


async def test_api_keys_setting_keys_act_on_the_default_workspace(
    api_settings, temporal_client, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    from api.app import create_app

    app = create_app(
        api_settings.model_copy(update={"api_keys": "legacy-key"}), temporal_client=temporal_client
    )
    acme_key = issue_key(sessions, acme.id)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            legacy = await client.post(
                "/v1/appointments", json=appointment_body(), headers=bearer("legacy-key")
            )
            seen_by_acme = await client.get(
                f"/v1/appointments/{legacy.json()['id']}", headers=bearer(acme_key)
            )
            me = await client.get("/v1/workspace", headers=bearer("legacy-key"))

    assert legacy.status_code == 201
    assert legacy.json()["workflow_id"] == f"{DEFAULT_WORKSPACE_ID}/{legacy.json()['id']}"
    assert seen_by_acme.status_code == 404
    assert me.json()["key_id"].startswith("env-") and "legacy-key" not in me.text
    assert "admin" in me.json()["scopes"]


def test_openapi_declares_the_bearer_scheme_and_each_routes_scope(api_app: FastAPI) -> None:
    schema = api_app.openapi()
    operations = {
        (method.upper(), path): operation
        for path, ops in schema["paths"].items()
        for method, operation in ops.items()
    }

    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert operations[("POST", "/v1/appointments")]["security"] == [
        {"ApiKey": ["appointments:write"]}
    ]
    assert operations[("GET", "/v1/reports/follow-ups")]["security"] == [
        {"ApiKey": ["reports:read"]}
    ]
    assert operations[("GET", "/v1/audit")]["security"] == [{"ApiKey": ["admin"]}]
    for open_route in (("GET", "/healthz"), ("POST", "/v1/webhooks/twilio")):
        assert "security" not in operations[open_route]
    # The key is a security scheme, never a declared (and so required) header parameter.
    headers = [
        parameter["name"]
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header"
    ]
    assert headers == []

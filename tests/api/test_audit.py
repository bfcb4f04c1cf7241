"""GET /v1/audit: every write made through the API (and the CLI) with the workspace's
keys: who, what, which target, when, and how it ended."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import Scope
from rebook.core.workspaces import Workspace
from tests.support.payloads import appointment_body
from tests.support.workspaces import add_workspace, bearer, issue_key, key_id_of


@pytest.fixture
def acme(sessions: sessionmaker[Session]) -> Workspace:
    return add_workspace(sessions, "acme")


async def _entries(client: httpx.AsyncClient, key: str, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params=query, headers=bearer(key))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_writes_are_recorded_with_key_route_target_and_outcome_and_reads_are_not(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    admin = issue_key(sessions, acme.id, Scope.ADMIN)
    reader = issue_key(sessions, acme.id, Scope.APPOINTMENTS_READ)

    created = await api_client.post(
        "/v1/appointments", json=appointment_body(), headers=bearer(admin)
    )
    await api_client.get(f"/v1/appointments/{created.json()['id']}", headers=bearer(admin))
    await api_client.post(
        "/v1/appointments/apt_none/events", json={"type": "missed"}, headers=bearer(admin)
    )
    await api_client.post("/v1/appointments", json=appointment_body(), headers=bearer(reader))
    await api_client.post("/v1/appointments", json=appointment_body())  # no key: 401

    entries = await _entries(api_client, admin)

    assert [(e["action"], e["target_id"], e["status_code"], e["key_id"]) for e in entries] == [
        ("POST /v1/appointments", None, 403, key_id_of(reader)),
        ("POST /v1/appointments/{appointment_id}/events", "apt_none", 404, key_id_of(admin)),
        ("POST /v1/appointments", created.json()["id"], 201, key_id_of(admin)),
    ]
    assert {e["actor"] for e in entries} == {"api"}


async def test_key_and_settings_changes_are_recorded_without_secrets(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    admin = issue_key(sessions, acme.id, Scope.ADMIN)

    created = await api_client.post(
        "/v1/keys", json={"name": "site", "scopes": ["appointments:write"]}, headers=bearer(admin)
    )
    new_id = created.json()["id"]
    await api_client.delete(f"/v1/keys/{new_id}", headers=bearer(admin))
    await api_client.put(
        "/v1/workspace/settings", json={"brand_name": "Acme"}, headers=bearer(admin)
    )
    response = await api_client.get("/v1/audit", headers=bearer(admin))

    actions = [(e["action"], e["target_id"]) for e in response.json()["items"]]
    assert actions == [
        ("PUT /v1/workspace/settings", None),
        ("DELETE /v1/keys/{key_id}", new_id),
        ("POST /v1/keys", new_id),
    ]
    assert created.json()["key"] not in response.text
    assert admin.split("_", 2)[2] not in response.text


async def test_pages_newest_first_by_cursor_and_filters(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    admin = issue_key(sessions, acme.id, Scope.ADMIN)
    for number in range(5):
        await api_client.post(
            f"/v1/appointments/apt_{number}/events", json={"type": "missed"}, headers=bearer(admin)
        )

    first = await api_client.get("/v1/audit", params={"limit": 2}, headers=bearer(admin))
    cursor = first.json()["next_cursor"]
    second = await api_client.get(
        "/v1/audit", params={"limit": 2, "cursor": cursor}, headers=bearer(admin)
    )
    only = await _entries(api_client, admin, target_id="apt_3")
    not_found = await _entries(api_client, admin, status_code=404)
    bad = await api_client.get("/v1/audit", params={"cursor": "xyz"}, headers=bearer(admin))

    assert [e["target_id"] for e in first.json()["items"]] == ["apt_4", "apt_3"]
    assert [e["target_id"] for e in second.json()["items"]] == ["apt_2", "apt_1"]
    assert [e["target_id"] for e in only] == ["apt_3"]
    assert len(not_found) == 5
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_only_admins_read_the_audit_log(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    writer = issue_key(sessions, acme.id, Scope.APPOINTMENTS_WRITE, Scope.APPOINTMENTS_READ)

    assert (await api_client.get("/v1/audit", headers=bearer(writer))).status_code == 403

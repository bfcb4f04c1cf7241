"""Rate limits per key and route class: 429 with Retry-After and the RateLimit-* headers,
limits set per workspace, buckets shared by every API process through the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.app import create_app
from rebook.core.workspaces import Workspace
from rebook.db.stores import RateLimitStore, WorkspaceSettingsStore
from rebook.services.rate_limits import RateLimiter
from rebook.settings import Settings
from tests.support.workspaces import add_workspace, bearer, issue_key

MISSED = {"type": "missed"}


@pytest.fixture
def acme(sessions: sessionmaker[Session]) -> Workspace:
    acme = add_workspace(sessions, "acme")
    WorkspaceSettingsStore(sessions, acme.id).update({"rate_limit_write_per_minute": 2})
    return acme


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def _write(client: httpx.AsyncClient, key: str) -> httpx.Response:
    # An event for an unknown appointment: a cheap write (404) that still spends a token.
    return await client.post("/v1/appointments/apt_none/events", json=MISSED, headers=bearer(key))


async def test_writes_past_the_limit_are_429_and_reads_have_their_own_bucket(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    key = issue_key(sessions, acme.id)

    first, second, third = [await _write(api_client, key) for _ in range(3)]
    read = await api_client.get("/v1/workspace", headers=bearer(key))

    assert (first.status_code, second.status_code, third.status_code) == (404, 404, 429)
    assert first.headers["RateLimit-Limit"] == "2"
    assert first.headers["RateLimit-Remaining"] == "1"
    assert first.headers["RateLimit-Policy"] == "2;w=60"
    assert third.headers["RateLimit-Remaining"] == "0"
    assert int(third.headers["Retry-After"]) >= 1
    assert int(third.headers["RateLimit-Reset"]) >= int(third.headers["Retry-After"])
    assert "rate limit" in third.json()["detail"]
    assert read.status_code == 200
    assert read.headers["RateLimit-Limit"] == "1200"  # the deployment's read default


async def test_each_key_has_its_own_bucket(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    busy, other = issue_key(sessions, acme.id), issue_key(sessions, acme.id)
    for _ in range(2):
        await _write(api_client, busy)

    assert (await _write(api_client, busy)).status_code == 429
    assert (await _write(api_client, other)).status_code == 404


async def test_two_api_processes_share_one_bucket(
    api_settings: Settings,
    temporal_client: Client,
    sessions: sessionmaker[Session],
    acme: Workspace,
) -> None:
    key = issue_key(sessions, acme.id)
    one = create_app(api_settings, temporal_client=temporal_client)
    two = create_app(api_settings, temporal_client=temporal_client)

    async with serving(one) as first, serving(two) as second:
        spent = [(await _write(first, key)).status_code for _ in range(2)]
        refused = await _write(second, key)

    assert spent == [404, 404]
    assert refused.status_code == 429


async def test_tokens_come_back_as_time_passes(
    api_app: FastAPI, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    now = [1_800_000_000.0]
    api_app.state.limiter = RateLimiter(
        RateLimitStore(sessions), api_app.state.directory.limit, clock=lambda: now[0]
    )
    key = issue_key(sessions, acme.id)

    async with serving(api_app) as client:
        for _ in range(2):
            await _write(client, key)
        refused = await _write(client, key)
        now[0] += 30  # 2 a minute: one token back
        again = await _write(client, key)

    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    assert again.status_code == 404


async def test_a_changed_limit_applies_at_once(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    admin, reader = issue_key(sessions, acme.id), issue_key(sessions, acme.id)
    before = await api_client.get("/v1/workspace", headers=bearer(reader))

    changed = await api_client.put(
        "/v1/workspace/settings", json={"rate_limit_read_per_minute": 1}, headers=bearer(admin)
    )
    first = await api_client.get("/v1/workspace", headers=bearer(reader))
    second = await api_client.get("/v1/workspace", headers=bearer(reader))

    assert before.headers["RateLimit-Limit"] == "1200"
    assert changed.status_code == 200
    assert (first.status_code, second.status_code) == (200, 429)
    assert first.headers["RateLimit-Limit"] == "1"


async def test_provider_webhooks_and_an_open_api_are_not_limited(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    form = {"MessageSid": "SMunknown", "MessageStatus": "delivered"}

    responses = [await api_client.post("/v1/webhooks/twilio", data=form) for _ in range(5)]

    assert {r.status_code for r in responses} == {200}
    assert all("RateLimit-Limit" not in r.headers for r in responses)

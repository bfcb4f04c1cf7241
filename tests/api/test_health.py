"""GET /healthz tells apart what would stop follow-ups from going out (the database,
Temporal, a worker on the task queue), and a Temporal outage is a prompt 503: at once
when its port refuses connections, within the RPC timeout when it accepts and hangs.

The time bounds below are generous ceilings on how long a client waits (the SDK's default
would retry for 10 s), not performance figures."""

from __future__ import annotations

import asyncio
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from rebook.settings import Settings
from rebook.temporal.gateway import START_OR_SIGNAL_TIMEOUT, TemporalConnection
from tests.support.payloads import appointment_body
from tests.support.tcp_proxy import TcpProxy

REFUSED_BOUND_S = 2.0  # a refused connection must not cost the SDK's 10 s of retries
HANG_BOUND_S = START_OR_SIGNAL_TIMEOUT.total_seconds() + 3.0


async def test_all_ok_with_a_worker_polling(
    api_client: httpx.AsyncClient, appointment_worker: Worker
) -> None:
    response = await _healthy(api_client)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok", "worker": "ok"}


async def test_no_worker_on_the_task_queue_is_503(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "temporal": "ok",
        "worker": "error",
    }


async def test_temporal_down_is_503_and_the_worker_unknown(
    down_api_client: httpx.AsyncClient,
) -> None:
    response = await down_api_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "temporal": "error",
        "worker": "unknown",
    }


async def test_database_down_is_503(api_settings: Settings, temporal_client: Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings = api_settings.model_copy(
        update={"database_url": f"postgresql://rebook@127.0.0.1:{closed}/rebook"}
    )
    app = create_app(settings, temporal_client=temporal_client)
    async with app.router.lifespan_context(app), _client(app) as client:
        response = await client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error"


async def _healthy(api_client: httpx.AsyncClient) -> httpx.Response:
    """/healthz once the worker's first polls have reached the server."""
    for _ in range(100):
        response = await api_client.get("/healthz")
        if response.status_code == 200:
            break
        await asyncio.sleep(0.2)
    return response


async def test_the_worker_check_is_cached_between_probes(
    api_client: httpx.AsyncClient, appointment_worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await _healthy(api_client)).status_code == 200
    described = 0
    seen = TemporalConnection.pollers_seen

    async def counting(self: TemporalConnection, *args: Any) -> bool:
        nonlocal described
        described += 1
        return await seen(self, *args)

    monkeypatch.setattr(TemporalConnection, "pollers_seen", counting)
    probes = [await api_client.get("/healthz") for _ in range(5)]

    assert [p.status_code for p in probes] == [200] * 5
    assert described <= 1  # a seen worker is described again only after a few seconds


# ---------------------------------------------------------------- Temporal outages


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


@pytest.fixture
async def proxied(
    migrated_sqlite_template: Path, tmp_path: Path, temporal_client: Client
) -> AsyncIterator[tuple[TcpProxy, httpx.AsyncClient]]:
    """The API talking to the real dev server through a proxy the test can break; the
    API makes its own connection (as in production), so its retry settings apply. (On
    SQLite only: what is tested here is the Temporal side.)"""
    database = tmp_path / "rebook.db"
    shutil.copyfile(migrated_sqlite_template, database)
    target = temporal_client.service_client.config.target_host
    with TcpProxy(target) as proxy:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{database}",
            temporal_address=proxy.address,
            task_queue=f"proxied-{uuid.uuid4().hex[:8]}",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), _client(app) as client:
            yield proxy, client


async def _create(client: httpx.AsyncClient, bound_s: float) -> httpx.Response:
    return await asyncio.wait_for(
        client.post("/v1/appointments", json=appointment_body()), timeout=bound_s
    )


async def test_a_stopped_temporal_is_a_503_at_once_and_the_retry_completes(
    proxied: tuple[TcpProxy, httpx.AsyncClient],
) -> None:
    proxy, client = proxied
    assert (await _create(client, 30)).status_code == 201  # connected and working

    proxy.refuse()
    body = appointment_body()
    refused = await asyncio.wait_for(client.post("/v1/appointments", json=body), REFUSED_BOUND_S)
    health = await asyncio.wait_for(client.get("/healthz"), REFUSED_BOUND_S)
    proxy.forward()
    retried = await _create_with(client, body)

    assert refused.status_code == 503, refused.text
    assert "Temporal" in refused.json()["detail"]
    assert health.status_code == 503 and health.json()["temporal"] == "error"
    assert retried.status_code == 200  # the stored appointment, its workflow started now


async def test_a_hanging_temporal_is_a_503_within_the_rpc_timeout(
    proxied: tuple[TcpProxy, httpx.AsyncClient],
) -> None:
    proxy, client = proxied
    assert (await _create(client, 30)).status_code == 201

    proxy.hang()
    hung = await _create(client, HANG_BOUND_S)

    assert hung.status_code == 503, hung.text


async def _create_with(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    # Reconnecting after the outage may take the SDK a moment; the platform would retry.
    for _ in range(50):
        response = await client.post("/v1/appointments", json=body)
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.2)
    return response

"""Everything one bench run talks to: a Temporal dev server, a fresh SQLite database and
the real API, all on loopback and all torn down on exit (the database lives in a temp dir).

Workers are not part of the stack: each phase runs its own (bench.workers), so the
baseline and Rebook phases never share a poller.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.api_server import ApiServer, free_loopback_port
from bench.config import BenchConfig
from devstack.stack import temporal_binary
from rebook.core.search_attributes import ALL_KEYS
from rebook.db.migrate import upgrade_to_head
from rebook.settings import Settings


@dataclass(frozen=True)
class Stack:
    settings: Settings
    client: Client
    api_url: str
    # A plain engine for the bench's own reads (see read_engine).
    reader: Engine


def bench_settings(config: BenchConfig, database_url: str, temporal_address: str) -> Settings:
    overrides: dict[str, object] = {
        "database_url": database_url,
        "temporal_address": temporal_address,
        "temporal_namespace": "default",
        # A queue of its own, so a worker of a `make run` stack can never pick up our tasks.
        "task_queue": f"rebook-bench-{uuid.uuid4().hex[:8]}",
        "api_host": "127.0.0.1",
        "api_port": free_loopback_port(),
        # Provider credentials from a developer's .env must not turn a bench run into real
        # emails and texts: every channel goes to the embedded outbox.
        "sendgrid_api_key": None,
        "twilio_account_sid": None,
        "twilio_auth_token": None,
    }
    if config.activity_threads is not None:
        overrides["activity_threads"] = config.activity_threads
    return Settings(**overrides)  # type: ignore[arg-type]


def read_engine(database_url: str) -> Engine:
    """The bench polls the communications table constantly. rebook's engine opens every
    transaction with BEGIN IMMEDIATE (the write lock), so polling through it would queue
    behind, and block, the very writes being measured. pysqlite's own default issues no
    BEGIN before a SELECT, and under WAL such a read never blocks a writer."""
    return create_engine(database_url)


@asynccontextmanager
async def running_stack(config: BenchConfig) -> AsyncIterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="rebook-bench-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'rebook.db'}"
        await asyncio.to_thread(upgrade_to_head, database_url)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            search_attributes=list(ALL_KEYS),
            dev_server_log_level="error",
        )
        async with env:
            address = env.client.service_client.config.target_host
            settings = bench_settings(config, database_url, address)
            api = ApiServer(settings, config.api_mode, config.api_threads)
            await asyncio.to_thread(api.start)
            reader = read_engine(database_url)
            try:
                yield Stack(
                    settings=settings, client=env.client, api_url=api.base_url, reader=reader
                )
            finally:
                reader.dispose()
                await asyncio.to_thread(api.stop)

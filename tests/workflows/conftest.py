"""The time-skipping Temporal test server and the harness that runs the real workflow and
activities on it, over the shared database fixtures (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.support.harness import Harness, outbox_senders, running
from tests.support.temporal import register_search_attributes, venv_binary


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server")
    )
    async with env:
        await register_search_attributes(env.client)
        yield env


@pytest.fixture
async def harness(
    time_skipping_env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> AsyncIterator[Harness]:
    """Every scenario runs on SQLite and on a throwaway PostgreSQL; messages go to the
    embedded outbox."""
    async with running(Harness(time_skipping_env, sessions, outbox_senders())) as h:
        yield h

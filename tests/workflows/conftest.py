from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender
from rebook.db.engine import create_engine_for, session_factory
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from tests.support.database_fixtures import (
    database_url as database_url,
)
from tests.support.database_fixtures import (
    postgres_migrated_template as postgres_migrated_template,
)
from tests.support.database_fixtures import (
    postgres_server as postgres_server,
)
from tests.support.temporal import register_search_attributes, venv_binary
from tests.workflows.harness import Harness


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server")
    )
    async with env:
        await register_search_attributes(env.client)
        yield env


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Every scenario runs on SQLite and on a throwaway PostgreSQL, migrated to head."""
    engine = create_engine_for(database_url)
    yield session_factory(engine)
    engine.dispose()


def outbox_senders() -> dict[Channel, ChannelSender]:
    return {
        Channel.EMAIL: OutboxSender(Channel.EMAIL),
        Channel.SMS: OutboxSender(Channel.SMS),
        Channel.WHATSAPP: OutboxSender(Channel.WHATSAPP),
        Channel.IN_APP: InAppSender(),
    }


@pytest.fixture
async def harness(
    time_skipping_env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> AsyncIterator[Harness]:
    h = Harness(env=time_skipping_env, sessions=sessions, senders=outbox_senders())
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with h.worker(executor):
            yield h

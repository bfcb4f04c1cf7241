"""The two workers, built with identical knobs so the baseline is a fair reference:
same client, same activity thread count and max_concurrent_activities, default sandbox
and workflow-task settings for both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from temporalio.client import Client
from temporalio.worker import Worker

from bench.noop_workflow import NoopWorkflow, noop_activity
from rebook.settings import Settings
from worker import build_activities, build_worker


@asynccontextmanager
async def rebook_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """worker.py's own construction: real workflow, real activities, outbox senders."""
    activities = build_activities(settings)
    with ThreadPoolExecutor(max_workers=settings.activity_threads) as executor:
        worker = build_worker(
            client, settings.task_queue, activities, executor, settings.activity_threads
        )
        async with worker:
            yield worker


@asynccontextmanager
async def noop_worker(client: Client, settings: Settings, task_queue: str) -> AsyncIterator[Worker]:
    with ThreadPoolExecutor(max_workers=settings.activity_threads) as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[NoopWorkflow],
            activities=[noop_activity],
            activity_executor=executor,
            max_concurrent_activities=settings.activity_threads,
        )
        async with worker:
            yield worker

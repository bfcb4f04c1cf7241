"""The two workers, built with identical knobs so the baseline is a fair reference:
same client, same activity thread count and max_concurrent_activities, default sandbox
and workflow-task settings for both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.noop_workflow import NoopWorkflow, noop_activity
from rebook.settings import Settings
from worker import build_activities, build_worker
from workflows.appointment import AppointmentWorkflow


def _runner(unsandboxed: bool) -> WorkflowRunner:
    # SandboxedWorkflowRunner() is Worker's own default.
    return UnsandboxedWorkflowRunner() if unsandboxed else SandboxedWorkflowRunner()


@asynccontextmanager
async def rebook_worker(
    client: Client, settings: Settings, unsandboxed: bool = False
) -> AsyncIterator[Worker]:
    """worker.py's own construction: real workflow, real activities, outbox senders.

    unsandboxed (experiment, --unsandboxed): the same arguments as worker.build_worker
    plus UnsandboxedWorkflowRunner, to measure what the workflow sandbox costs."""
    activities = build_activities(settings)
    threads = settings.activity_threads
    with ThreadPoolExecutor(max_workers=threads) as executor:
        if unsandboxed:
            worker = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=[AppointmentWorkflow],
                activities=activities.functions(),
                activity_executor=executor,
                max_concurrent_activities=threads,
                workflow_runner=_runner(unsandboxed),
            )
        else:
            worker = build_worker(client, settings.task_queue, activities, executor, threads)
        async with worker:
            yield worker


@asynccontextmanager
async def noop_worker(
    client: Client, settings: Settings, task_queue: str, unsandboxed: bool = False
) -> AsyncIterator[Worker]:
    with ThreadPoolExecutor(max_workers=settings.activity_threads) as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[NoopWorkflow],
            activities=[noop_activity],
            activity_executor=executor,
            max_concurrent_activities=settings.activity_threads,
            workflow_runner=_runner(unsandboxed),
        )
        async with worker:
            yield worker

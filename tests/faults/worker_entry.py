"""Test-only worker process (python -m tests.faults.worker_entry): the activities built
exactly as worker.py builds them (worker.build_activities over Settings from the
environment, fail points included), polling for DeliverOnce. Runs until killed."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from rebook.settings import Settings
from tests.faults.deliver_once import DeliverOnce
from worker import build_activities


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = Settings()
    client = await Client.connect(settings.temporal_address)
    activities = build_activities(settings)
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=[DeliverOnce],
            activities=activities.functions(),
            activity_executor=executor,
            # No sticky cache: a workflow task never waits (5 s) on a killed worker's
            # sticky queue before the next worker gets it; the activities are what is
            # under test here.
            max_cached_workflows=0,
        )
        logging.info("polling %s", settings.task_queue)
        await worker.run()


if __name__ == "__main__":
    asyncio.run(main())

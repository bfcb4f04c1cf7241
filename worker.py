"""Worker entrypoint: runs the appointment workflow and its activities.

This is where concrete pieces meet: Settings are loaded here, the database engine and
provider clients are built here, and the workflow only ever sees their activity methods.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.messaging import (
    DEFAULT_RECONCILE_WINDOW,
    FailPoint,
    MessagingActivities,
    no_fail_points,
)
from activities.records import RecordActivities
from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from rebook.db.stores import AppointmentStore, CommunicationStore
from rebook.delivery.registry import build_senders
from rebook.faults import fail_point
from rebook.settings import Settings
from workflows.appointment import AppointmentWorkflow

log = logging.getLogger("rebook.worker")


@dataclass(frozen=True)
class ActivityBundle:
    messaging: MessagingActivities
    records: RecordActivities

    def functions(self) -> Sequence[Callable[..., Any]]:
        return [
            self.messaging.deliver_message,
            self.records.record_no_show,
            self.records.record_status,
        ]


def build_activities(settings: Settings) -> ActivityBundle:
    sessions = session_factory(create_engine_for(settings.database_url))
    return activities_on(
        sessions,
        build_senders(settings),
        settings.brand_name,
        reconcile_window=timedelta(seconds=settings.delivery_reconcile_window_s),
        fail_point=fail_point,
    )


def activities_on(
    sessions: sessionmaker[Session],
    senders: Mapping[Channel, ChannelSender],
    brand_name: str,
    *,
    reconcile_window: timedelta = DEFAULT_RECONCILE_WINDOW,
    fail_point: FailPoint = no_fail_points,
) -> ActivityBundle:
    """The activities over a database and a set of senders (tests pass their own).
    fail_point: rebook.faults.fail_point in the worker (a no-op unless REBOOK_FAILPOINTS
    is set, which only tests do)."""
    return ActivityBundle(
        messaging=MessagingActivities(
            CommunicationStore(sessions),
            senders,
            brand_name,
            reconcile_window=reconcile_window,
            fail_point=fail_point,
        ),
        records=RecordActivities(AppointmentStore(sessions)),
    )


def build_worker(
    client: Client,
    task_queue: str,
    activities: ActivityBundle,
    executor: ThreadPoolExecutor,
    max_concurrent_activities: int,
) -> Worker:
    # Activities are synchronous (provider SDKs and SQLAlchemy block), so they run on the
    # thread pool; its size bounds concurrent sends.
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AppointmentWorkflow],
        activities=activities.functions(),
        activity_executor=executor,
        max_concurrent_activities=max_concurrent_activities,
    )


async def main() -> None:
    settings = Settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    upgrade_to_head(settings.database_url)
    client = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)
    activities = build_activities(settings)
    with ThreadPoolExecutor(max_workers=settings.activity_threads) as executor:
        worker = build_worker(
            client, settings.task_queue, activities, executor, settings.activity_threads
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "worker polling task queue %s on %s", settings.task_queue, settings.temporal_address
        )
        async with worker:
            await stop.wait()
        log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
    # The worker has drained and stopped. Skip interpreter teardown: the Temporal core
    # runtime's threads can abort it ("PyGILState_Release", temporalio/sdk-python#300),
    # which would turn a clean Ctrl-C into a crash report.
    logging.shutdown()
    os._exit(0)

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
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.messaging import MessagingActivities
from activities.playbooks import PlaybookActivities
from activities.records import RecordActivities
from activities.send_checks import SendCheckActivities
from rebook.core.domain import Channel
from rebook.core.ports import ChannelSender
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from rebook.db.stores import AppointmentStore, CommunicationStore
from rebook.delivery.registry import build_senders
from rebook.playbooks.catalog import CatalogResolver, PlaybookCatalog
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog
from rebook.playbooks.message_renderer import CatalogMessageRenderer
from rebook.playbooks.variables import Brand
from rebook.settings import Settings
from workflows.appointment import AppointmentWorkflow

log = logging.getLogger("rebook.worker")


@dataclass(frozen=True)
class ActivityBundle:
    messaging: MessagingActivities
    records: RecordActivities
    playbooks: PlaybookActivities
    send_checks: SendCheckActivities

    def functions(self) -> Sequence[Callable[..., Any]]:
        return [
            self.messaging.deliver_message,
            self.records.record_no_show,
            self.records.record_status,
            self.playbooks.resolve_playbook,
            self.send_checks.check_send,
        ]


def build_catalog(settings: Settings) -> DiskPlaybookCatalog:
    """The playbooks (shipped defaults, then PLAYBOOK_DIR), loaded now: a playbook that does
    not validate stops the worker here rather than an appointment later. Raises
    PlaybookCatalogInvalid, or ValueError for WhatsApp content SIDs of unknown templates."""
    catalog = DiskPlaybookCatalog.with_defaults(settings.playbook_dir)
    catalog.load()
    # A misspelt template name would never match and silently send free-form text.
    unknown = sorted(set(settings.twilio_whatsapp_content_sids) - catalog.template_names())
    if unknown:
        raise ValueError(f"TWILIO_WHATSAPP_CONTENT_SIDS names templates no playbook has: {unknown}")
    return catalog


def build_activities(settings: Settings) -> ActivityBundle:
    sessions = session_factory(create_engine_for(settings.database_url))
    return activities_on(
        sessions, build_senders(settings), build_catalog(settings), Brand(settings.brand_name)
    )


def activities_on(
    sessions: sessionmaker[Session],
    senders: Mapping[Channel, ChannelSender],
    catalog: PlaybookCatalog,
    brand: Brand,
) -> ActivityBundle:
    """The activities over a database, a set of senders and a playbook catalog (tests pass
    their own)."""
    communications = CommunicationStore(sessions)
    appointments = AppointmentStore(sessions)
    return ActivityBundle(
        messaging=MessagingActivities(
            communications, senders, CatalogMessageRenderer(catalog, brand)
        ),
        records=RecordActivities(appointments),
        playbooks=PlaybookActivities(CatalogResolver(catalog)),
        send_checks=SendCheckActivities(communications, appointments),
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
    replaced = settings.replaced_by_playbooks()
    if replaced:
        log.warning(
            "%s no longer apply to new appointments: set them in a playbook's policy instead",
            ", ".join(replaced),
        )
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

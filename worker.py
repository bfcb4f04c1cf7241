"""Worker entrypoint: runs the appointment workflow and its activities.

This is where concrete pieces meet: Settings are loaded here, the database engine and
provider clients are built here, and the workflow only ever sees their activity methods.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.messaging import DEFAULT_RECONCILE_WINDOW, FailPoint, no_fail_points
from activities.workspaces import WorkspaceActivities, WorkspacePorts
from rebook.core.ports import DeliveryProfile
from rebook.core.workspaces import WorkspaceId
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import upgrade_to_head
from rebook.db.stores import AppointmentStore, CommunicationStore, WorkspaceSettingsStore
from rebook.delivery.profiles import DeliveryProfiles
from rebook.faults import fail_point
from rebook.playbooks.catalog import CatalogResolver, PlaybookCatalog
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog
from rebook.playbooks.message_renderer import CatalogMessageRenderer
from rebook.settings import Settings
from workflows.appointment import AppointmentWorkflow

log = logging.getLogger("rebook.worker")


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


DeliveryOf = Callable[[WorkspaceId], DeliveryProfile]


def build_activities(
    settings: Settings, wrap_delivery: Callable[[DeliveryOf], DeliveryOf] | None = None
) -> WorkspaceActivities:
    """The worker's activities from Settings. wrap_delivery: the bench wraps each
    workspace's senders to observe hand-offs; the worker passes none."""
    sessions = session_factory(create_engine_for(settings.database_url))
    profiles: DeliveryOf = DeliveryProfiles(
        settings,
        lambda workspace_id: WorkspaceSettingsStore(sessions, workspace_id),
        settings.credential_cipher(),
    )
    return activities_on(
        sessions,
        profiles if wrap_delivery is None else wrap_delivery(profiles),
        build_catalog(settings),
        reconcile_window=timedelta(seconds=settings.delivery_reconcile_window_s),
        fail_point=fail_point,
    )


def activities_on(
    sessions: sessionmaker[Session],
    delivery: Callable[[WorkspaceId], DeliveryProfile],
    catalog: PlaybookCatalog,
    *,
    reconcile_window: timedelta = DEFAULT_RECONCILE_WINDOW,
    fail_point: FailPoint = no_fail_points,
) -> WorkspaceActivities:
    """The activities over a database, each workspace's brand and senders, and a playbook
    catalog (tests pass their own). fail_point: rebook.faults.fail_point in the worker (a
    no-op unless REBOOK_FAILPOINTS is set, which only tests do)."""
    return WorkspaceActivities(
        WorkspacePorts(
            communications=lambda workspace_id: CommunicationStore(sessions, workspace_id),
            appointments=lambda workspace_id: AppointmentStore(sessions, workspace_id),
            delivery=delivery,
            history=lambda workspace_id: CommunicationStore(sessions, workspace_id),
            bookings=lambda workspace_id: AppointmentStore(sessions, workspace_id),
            settings=lambda workspace_id: WorkspaceSettingsStore(sessions, workspace_id).settings(),
            playbooks=CatalogResolver(catalog),
            renderer=CatalogMessageRenderer(catalog),
            reconcile_window=reconcile_window,
            fail_point=fail_point,
        )
    )


def build_worker(
    client: Client,
    task_queue: str,
    activities: WorkspaceActivities,
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

"""Everything the API asks of Temporal: start, signal and query appointment workflows.

The API talks to the workflow by name (rebook.core.names) and never imports workflow code.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import TemporalUnavailable
from rebook.core import search_attributes as sa
from rebook.core.contracts import (
    AppointmentDetails,
    AppointmentEvent,
    AppointmentOutcome,
    AppointmentProgress,
    AppointmentWorkflowInput,
    FollowUpPolicy,
    ProgressRequest,
    SequenceState,
)
from rebook.core.domain import AppointmentStatus
from rebook.core.names import EVENT_SIGNAL, PROGRESS_QUERY, WORKFLOW_NAME, workflow_id_for
from rebook.settings import Settings

logger = logging.getLogger(__name__)

# Bounded so a Temporal outage becomes a prompt 503 instead of a hanging request.
START_OR_SIGNAL_TIMEOUT = timedelta(seconds=10)
# A query needs a worker to answer; without one we would rather serve the DB mirror.
QUERY_TIMEOUT = timedelta(seconds=2)
CONNECT_TIMEOUT_S = 5.0

_OUTAGE_CODES = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.UNKNOWN,
    }
)


class TemporalConnection:
    """The API's Temporal client, connected lazily so the API can start, answer /healthz
    and keep appointment rows while Temporal is down; the next request reconnects."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(
                        Client.connect(
                            self._settings.temporal_address,
                            namespace=self._settings.temporal_namespace,
                        ),
                        timeout=CONNECT_TIMEOUT_S,
                    )
                except (RuntimeError, OSError, TimeoutError) as exc:
                    raise TemporalUnavailable(f"cannot connect to Temporal: {exc}") from exc
            return self._client


class ExecutionState(Enum):
    RUNNING = "running"
    CLOSED = "closed"
    MISSING = "missing"  # never started, or its history is past retention


@dataclass(frozen=True)
class Execution:
    state: ExecutionState
    final_status: AppointmentStatus | None = None  # CLOSED only, when the workflow told us


class AppointmentWorkflows:
    """Starts, signals and queries the workflow of one appointment at a time."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    def policy(self) -> FollowUpPolicy:
        return FollowUpPolicy(
            reschedule_limit=self._settings.reschedule_limit,
            quiet_hours_start_h=self._settings.quiet_hours_start_h,
            quiet_hours_end_h=self._settings.quiet_hours_end_h,
        )

    async def start(
        self,
        appointment: AppointmentDetails,
        *,
        state: SequenceState | None = None,
        first_event: AppointmentEvent | None = None,
    ) -> None:
        """Start the appointment's workflow unless it is running or has run before.

        USE_EXISTING makes a retried create a no-op while the workflow runs; REJECT_DUPLICATE
        stops a retried create from resurrecting a workflow that already finished.
        """
        try:
            await self._start(
                appointment,
                state=state,
                first_event=first_event,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            logger.info(
                "workflow of %s already ran; not starting it again", appointment.appointment_id
            )

    async def start_new_run(
        self,
        appointment: AppointmentDetails,
        state: SequenceState,
        *,
        first_event: AppointmentEvent,
    ) -> None:
        """Start a fresh run of a closed appointment workflow (a rebooking) and hand it
        the event that reopened it."""
        await self._start(
            appointment,
            state=state,
            first_event=first_event,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )

    async def signal(self, appointment_id: str, event: AppointmentEvent) -> bool:
        """Deliver the event; False when there is no running workflow to take it."""
        try:
            await self._handle(appointment_id).signal(
                EVENT_SIGNAL, event, rpc_timeout=START_OR_SIGNAL_TIMEOUT
            )
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return False
            _raise_as_outage_if_unreachable(exc)
            raise
        return True

    async def execution(self, appointment_id: str) -> Execution:
        """Whether the appointment's workflow runs, ran (and how it ended), or never ran."""
        handle = self._handle(appointment_id)
        try:
            description = await handle.describe(rpc_timeout=START_OR_SIGNAL_TIMEOUT)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return Execution(ExecutionState.MISSING)
            _raise_as_outage_if_unreachable(exc)
            raise
        if description.status is WorkflowExecutionStatus.RUNNING:
            return Execution(ExecutionState.RUNNING)
        if description.status is WorkflowExecutionStatus.COMPLETED:
            try:
                outcome = await handle.result(rpc_timeout=START_OR_SIGNAL_TIMEOUT)
                return Execution(ExecutionState.CLOSED, outcome.status)
            except Exception:  # an undecodable result must not hide that it closed
                logger.warning("could not read the outcome of %s", handle.id, exc_info=True)
        # Terminated, failed or timed out: the workflow never reported a final status, so
        # the caller goes by the database mirror of its last progress.
        return Execution(ExecutionState.CLOSED)

    async def progress(self, appointment_id: str) -> AppointmentProgress | None:
        """The running workflow's own view, or None when it is closed or does not answer."""
        handle = self._handle(appointment_id)
        try:
            description = await handle.describe(rpc_timeout=QUERY_TIMEOUT)
            if description.status is not WorkflowExecutionStatus.RUNNING:
                return None
            progress: AppointmentProgress = await handle.query(
                PROGRESS_QUERY,
                ProgressRequest(),
                result_type=AppointmentProgress,
                rpc_timeout=QUERY_TIMEOUT,
            )
            return progress
        except Exception:  # any failure here just means "serve the DB mirror"
            logger.info("progress query for %s unanswered", appointment_id, exc_info=True)
            return None

    async def _start(
        self,
        appointment: AppointmentDetails,
        *,
        state: SequenceState | None,
        first_event: AppointmentEvent | None,
        id_reuse_policy: WorkflowIDReusePolicy,
    ) -> None:
        status = state.status if state else AppointmentStatus.SCHEDULED
        try:
            await self._client.start_workflow(
                WORKFLOW_NAME,
                AppointmentWorkflowInput(
                    appointment=appointment, policy=self.policy(), state=state
                ),
                id=workflow_id_for(appointment.appointment_id),
                task_queue=self._settings.task_queue,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(sa.APPOINTMENT_ID, appointment.appointment_id),
                        SearchAttributePair(sa.CONTACT_ID, appointment.contact.id),
                        SearchAttributePair(sa.APPOINTMENT_KIND, appointment.kind.value),
                        SearchAttributePair(sa.APPOINTMENT_STATUS, status.value),
                        SearchAttributePair(sa.NO_SHOW_COUNT, state.no_show_count if state else 0),
                        SearchAttributePair(
                            sa.RESCHEDULE_COUNT, state.reschedule_count if state else 0
                        ),
                    ]
                ),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=id_reuse_policy,
                start_signal=EVENT_SIGNAL if first_event else None,
                start_signal_args=[first_event] if first_event else [],
                rpc_timeout=START_OR_SIGNAL_TIMEOUT,
            )
        except RPCError as exc:
            _raise_as_outage_if_unreachable(exc)
            raise

    def _handle(self, appointment_id: str) -> WorkflowHandle[Any, AppointmentOutcome]:
        return self._client.get_workflow_handle(
            workflow_id_for(appointment_id), result_type=AppointmentOutcome
        )


def _raise_as_outage_if_unreachable(exc: RPCError) -> None:
    if exc.status in _OUTAGE_CODES:
        raise TemporalUnavailable(f"Temporal unavailable: {exc.message}") from exc

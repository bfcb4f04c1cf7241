"""Everything the use cases ask of Temporal: start, signal and query appointment workflows.

Talks to the workflow by name (rebook.core.names) and never imports workflow code. Every
call that cannot reach Temporal raises rebook.services.errors.Unavailable, so the API
answers 503 and the client's retry completes the request.

Workflows are addressed by the workflow id stored with each appointment (callers read it
from the workspace's store, so they can only reach their own workspace's workflows): new
appointments get `{workspace}/{appointment}`, older ones keep `appointment-<id>`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RetryConfig, RPCError, RPCStatusCode

from rebook.core import search_attributes as sa
from rebook.core.contracts import (
    AppointmentDetails,
    AppointmentEvent,
    AppointmentWorkflowInput,
    FollowUpPolicy,
    Progress,
    SequenceState,
)
from rebook.core.domain import AppointmentStatus
from rebook.core.names import EVENT_SIGNAL, PROGRESS_QUERY, WORKFLOW_NAME
from rebook.core.workspaces import WorkspaceId
from rebook.services.errors import Unavailable

logger = logging.getLogger(__name__)

# Bounded so a Temporal outage becomes a prompt 503 instead of a hanging request: a server
# that accepts connections and never answers costs at most this per call.
START_OR_SIGNAL_TIMEOUT = timedelta(seconds=5)
# A query needs a worker to answer; without one we would rather serve the DB mirror.
QUERY_TIMEOUT = timedelta(seconds=2)
HEALTH_CHECK_TIMEOUT = timedelta(seconds=2)
CONNECT_TIMEOUT_S = 3.0
# The SDK retries a call whose connection is refused for up to 10 s by default. The
# platform retries a 503 anyway, so the API gives up after a few quick tries: a stopped
# Temporal is a 503 in well under a second.
API_RETRY = RetryConfig(
    initial_interval_millis=50,
    multiplier=2.0,
    max_interval_millis=200,
    max_elapsed_time_millis=600,
    max_retries=3,
)
# A worker's long poll lasts up to about a minute and each one refreshes its
# last_access_time; a poller not seen for longer than this is gone.
POLLER_RECENT = timedelta(minutes=2)
# /healthz may be probed every second; the task queue is described at most this often
# while a worker is seen (and every second while none is, so a new one shows at once).
WORKER_CHECK_CACHE_S = 5.0
NO_WORKER_CHECK_CACHE_S = 1.0

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

    def __init__(self, address: str, namespace: str, client: Client | None = None) -> None:
        self._address = address
        self._namespace = namespace
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """Raises Unavailable when Temporal cannot be reached."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(
                        Client.connect(
                            self._address, namespace=self._namespace, retry_config=API_RETRY
                        ),
                        timeout=CONNECT_TIMEOUT_S,
                    )
                except (RuntimeError, OSError, TimeoutError) as exc:
                    raise Unavailable(f"cannot connect to Temporal: {exc}") from exc
            return self._client

    async def is_healthy(self) -> bool:
        """Whether the frontend answers its health check; raises Unavailable when Temporal
        cannot be reached at all."""
        client = await self.client()
        return await client.service_client.check_health(timeout=HEALTH_CHECK_TIMEOUT)

    async def pollers_seen(self, task_queue: str, since: datetime) -> bool:
        """Whether workers poll task_queue for both workflow and activity tasks, seen after
        since. Raises Unavailable when Temporal cannot be reached."""
        client = await self.client()

        async def seen(kind: TaskQueueType.ValueType) -> bool:
            try:
                described = await client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=self._namespace,
                        task_queue=TaskQueue(name=task_queue),
                        task_queue_type=kind,
                    ),
                    retry=False,
                    timeout=HEALTH_CHECK_TIMEOUT,
                )
            except RPCError as exc:
                _raise_as_outage_if_unreachable(exc)
                raise
            return any(p.last_access_time.ToDatetime(UTC) >= since for p in described.pollers)

        workflows, activities = await asyncio.gather(
            seen(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            seen(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        )
        return workflows and activities


class TaskQueueWorkers:
    """Whether workers poll the task queue, so the workflows' timers and messages will
    actually run. One per API process (the answer is cached across requests, and it is the
    same for every workspace: they share the task queue)."""

    def __init__(self, connection: TemporalConnection, task_queue: str) -> None:
        self._connection = connection
        self._task_queue = task_queue
        self._checked: tuple[float, bool] | None = None  # (monotonic time, answer)

    async def polling(self) -> bool:
        """Whether a worker was seen polling in the last POLLER_RECENT. Cached for
        WORKER_CHECK_CACHE_S (NO_WORKER_CHECK_CACHE_S when none was seen). Raises
        Unavailable when Temporal cannot be reached."""
        cached = self._checked
        if cached is not None:
            checked_at, polling = cached
            ttl = WORKER_CHECK_CACHE_S if polling else NO_WORKER_CHECK_CACHE_S
            if time.monotonic() - checked_at < ttl:
                return polling
        since = datetime.now(UTC) - POLLER_RECENT
        polling = await self._connection.pollers_seen(self._task_queue, since)
        self._checked = (time.monotonic(), polling)
        return polling


class ExecutionState(Enum):
    RUNNING = "running"
    CLOSED = "closed"
    MISSING = "missing"  # never started, or its history is past retention


@dataclass(frozen=True)
class Execution:
    state: ExecutionState
    final_status: AppointmentStatus | None = None  # CLOSED only, when the workflow told us


class AppointmentWorkflows:
    """Starts, signals and queries the workflow of one appointment at a time, for one
    workspace: new workflows carry it in their input and WorkspaceId search attribute, and
    start with its follow-up policy."""

    def __init__(
        self,
        connection: TemporalConnection,
        task_queue: str,
        policy: FollowUpPolicy,
        workspace_id: WorkspaceId,
    ) -> None:
        self._connection = connection
        self._task_queue = task_queue
        self._policy = policy
        self._workspace_id = workspace_id

    async def start(
        self,
        appointment: AppointmentDetails,
        workflow_id: str,
        *,
        state: SequenceState | None = None,
        first_event: AppointmentEvent | None = None,
    ) -> None:
        """Start the appointment's workflow unless it is running or has run before.

        Idempotent: USE_EXISTING makes a retried create a no-op while the workflow runs;
        REJECT_DUPLICATE stops a retried create from resurrecting a workflow that already
        finished.
        """
        try:
            await self._start(
                appointment,
                workflow_id,
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
        workflow_id: str,
        state: SequenceState,
        *,
        first_event: AppointmentEvent,
    ) -> None:
        """Start a fresh run of a closed appointment workflow (a rebooking) and hand it
        the event that reopened it."""
        await self._start(
            appointment,
            workflow_id,
            state=state,
            first_event=first_event,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )

    async def signal(self, workflow_id: str, event: AppointmentEvent) -> bool:
        """Deliver the event; False when there is no running workflow to take it."""
        try:
            handle = await self._handle(workflow_id)
            await handle.signal(EVENT_SIGNAL, event, rpc_timeout=START_OR_SIGNAL_TIMEOUT)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return False
            _raise_as_outage_if_unreachable(exc)
            raise
        return True

    async def execution(self, workflow_id: str) -> Execution:
        """Whether the appointment's workflow runs, ran (and how it ended), or never ran."""
        handle = await self._handle(workflow_id)
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
            # The workflow publishes its status as a search attribute before it completes,
            # runs of every version alike; its result's shape has changed over time.
            published = description.typed_search_attributes.get(sa.APPOINTMENT_STATUS)
            if published:
                return Execution(ExecutionState.CLOSED, AppointmentStatus(published))
        # Terminated, failed or timed out: the workflow never reported a final status, so
        # the caller goes by the database mirror of its last progress.
        return Execution(ExecutionState.CLOSED)

    async def progress(self, workflow_id: str) -> Progress | None:
        """The running workflow's own view, or None when it is closed, does not answer or
        Temporal cannot be reached."""
        try:
            handle = await self._handle(workflow_id)
            description = await handle.describe(rpc_timeout=QUERY_TIMEOUT)
            if description.status is not WorkflowExecutionStatus.RUNNING:
                return None
            progress: Progress = await handle.query(
                PROGRESS_QUERY, result_type=Progress, rpc_timeout=QUERY_TIMEOUT
            )
            return progress
        except Exception:  # any failure here just means "serve the DB mirror"
            logger.info("progress query for %s unanswered", workflow_id, exc_info=True)
            return None

    async def _start(
        self,
        appointment: AppointmentDetails,
        workflow_id: str,
        *,
        state: SequenceState | None,
        first_event: AppointmentEvent | None,
        id_reuse_policy: WorkflowIDReusePolicy,
    ) -> None:
        client = await self._connection.client()
        try:
            await client.start_workflow(
                WORKFLOW_NAME,
                AppointmentWorkflowInput(
                    appointment=appointment,
                    policy=self._policy,
                    state=state,
                    workspace_id=self._workspace_id,
                ),
                id=workflow_id,
                task_queue=self._task_queue,
                search_attributes=TypedSearchAttributes(
                    sa.pairs(appointment, state, workspace_id=self._workspace_id)
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

    async def _handle(self, workflow_id: str) -> WorkflowHandle[Any, Any]:
        client = await self._connection.client()
        return client.get_workflow_handle(workflow_id)


def _raise_as_outage_if_unreachable(exc: RPCError) -> None:
    if exc.status in _OUTAGE_CODES:
        raise Unavailable(f"Temporal unavailable: {exc.message}") from exc

"""Is Rebook able to do its job: is the database reachable, is Temporal, and does a worker
poll the task queue (without one no timer fires and no message goes out)?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from rebook.db.stores import AppointmentStore
from rebook.services.blocking import in_thread
from rebook.temporal.gateway import TaskQueueWorkers, TemporalConnection

logger = logging.getLogger(__name__)

State = Literal["ok", "error"]
WorkerState = Literal["ok", "error", "unknown"]  # unknown: Temporal could not be asked


@dataclass(frozen=True)
class Health:
    database: State
    temporal: State
    worker: WorkerState

    @property
    def status(self) -> Literal["ok", "degraded"]:
        """ok only when follow-ups would go out: database, Temporal and a worker."""
        healthy = (self.database, self.temporal, self.worker) == ("ok", "ok", "ok")
        return "ok" if healthy else "degraded"


class HealthService:
    def __init__(
        self,
        appointments: AppointmentStore,
        temporal: TemporalConnection,
        workers: TaskQueueWorkers,
    ) -> None:
        self._appointments = appointments
        self._temporal = temporal
        self._workers = workers

    async def check(self) -> Health:
        """Never raises: a failing dependency is reported (and logged), not propagated.
        Cheap enough for a probe every second: one SELECT 1, one health RPC and, at most
        every few seconds, two task-queue descriptions."""
        database: State = "ok"
        try:
            await in_thread(self._appointments.ping)
        except Exception:
            logger.warning("health: database unreachable", exc_info=True)
            database = "error"
        temporal: State = "ok"
        try:
            if not await self._temporal.is_healthy():
                temporal = "error"
        except Exception:
            logger.warning("health: Temporal unreachable", exc_info=True)
            temporal = "error"
        worker: WorkerState = "unknown"
        if temporal == "ok":
            try:
                worker = "ok" if await self._workers.polling() else "error"
            except Exception:
                logger.warning("health: task queue not described", exc_info=True)
            if worker == "error":
                logger.warning("health: no worker polls the task queue")
        return Health(database=database, temporal=temporal, worker=worker)

"""Is Rebook able to do its job: are the database and Temporal reachable?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from rebook.db.stores import AppointmentStore
from rebook.services.blocking import in_thread
from rebook.temporal.gateway import TemporalConnection

logger = logging.getLogger(__name__)

State = Literal["ok", "error"]


@dataclass(frozen=True)
class Health:
    database: State
    temporal: State

    @property
    def status(self) -> Literal["ok", "degraded"]:
        return "ok" if self.database == "ok" and self.temporal == "ok" else "degraded"


class HealthService:
    def __init__(self, appointments: AppointmentStore, temporal: TemporalConnection) -> None:
        self._appointments = appointments
        self._temporal = temporal

    async def check(self) -> Health:
        """Never raises: a failing dependency is reported (and logged), not propagated."""
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
        return Health(database=database, temporal=temporal)

"""GET /healthz: is the API able to do its job (database and Temporal reachable)?"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from api.dependencies import RepositoryDep, TemporalConnectionDep
from api.schemas import HealthOut

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

HEALTH_CHECK_TIMEOUT = timedelta(seconds=3)


@router.get(
    "/healthz", responses={503: {"model": HealthOut, "description": "A dependency is down"}}
)
async def healthz(
    response: Response, repository: RepositoryDep, temporal: TemporalConnectionDep
) -> HealthOut:
    database: Literal["ok", "error"] = "ok"
    try:
        await run_in_threadpool(repository.ping)
    except Exception:
        logger.warning("health: database unreachable", exc_info=True)
        database = "error"
    temporal_state: Literal["ok", "error"] = "ok"
    try:
        client = await temporal.client()
        if not await client.service_client.check_health(timeout=HEALTH_CHECK_TIMEOUT):
            temporal_state = "error"
    except Exception:
        logger.warning("health: Temporal unreachable", exc_info=True)
        temporal_state = "error"
    healthy = database == "ok" and temporal_state == "ok"
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if healthy else "degraded", database=database, temporal=temporal_state
    )

"""GET /healthz: is the API able to do its job (database and Temporal reachable)?"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.dependencies import HealthDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", responses={503: {"model": HealthOut, "description": "A dependency is down"}}
)
async def healthz(response: Response, health: HealthDep) -> HealthOut:
    report = await health.check()
    if report.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut.model_validate(report, from_attributes=True)

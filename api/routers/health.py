"""GET /healthz: would follow-ups go out (database, Temporal and a worker)?"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.dependencies import HealthDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    responses={
        503: {
            "model": HealthOut,
            "description": "Follow-ups would not go out: the database or Temporal is "
            "unreachable, or no worker polls the task queue",
        }
    },
)
async def healthz(response: Response, health: HealthDep) -> HealthOut:
    """The API answers; each dependency is reported. 200 only when all are ok."""
    report = await health.check()
    if report.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut.model_validate(report, from_attributes=True)

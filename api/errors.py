"""Domain errors the routes raise, and the handlers that turn them into JSON answers.

Every error body is {"detail": ...}, like FastAPI's own; validation errors keep FastAPI's
shape (a list naming each offending field by its `loc`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


class ApiError(Exception):
    status_code: int = status.HTTP_500_INTERNAL_SERVER_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT


class Unauthorized(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED


class TemporalUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


def invalid_field(loc: Sequence[str | int], message: str, value: Any) -> RequestValidationError:
    """A 422 in FastAPI's format for a rule that spans fields (checked after parsing)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": tuple(loc), "msg": message, "input": value}]
    )


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    if isinstance(exc, TemporalUnavailable):
        logger.warning("answering 503: %s", exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the log; the client learns nothing about our internals.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"detail": "internal server error"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(Exception, _unexpected_error)

"""Where errors become HTTP answers, in one place: the use cases' errors
(rebook.services.errors), the API's own Unauthorized, validation errors and anything
unexpected.

Every error body is {"detail": ...}, like FastAPI's own; an InvalidField keeps FastAPI's
validation shape (a list naming each offending field by its `loc`), so a rule checked
after parsing reads the same as one pydantic checked.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rebook.services.errors import (
    Conflict,
    Forbidden,
    InvalidField,
    NotFound,
    RateLimited,
    ServiceError,
    Unauthenticated,
    Unavailable,
)

logger = logging.getLogger(__name__)

# Request fields whose values are secrets: a 422 names the field but never echoes them.
SECRET_FIELDS = frozenset({"credentials"})
REDACTED = "[redacted]"

STATUS_OF: dict[type[ServiceError], int] = {
    Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    RateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


class Unauthorized(Exception):
    """No valid API key, or a webhook without a valid provider signature."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with refused secrets redacted, made safe to encode whatever the
    client sent: the echoed input may be undecodable bytes or text with unpaired
    surrogates, which JSON cannot carry."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {**error, "input": REDACTED}
        if SECRET_FIELDS & {str(part) for part in error["loc"]}
        else error
        for error in exc.errors()
    ]
    detail = _printable(jsonable_encoder(errors, custom_encoder={bytes: _bytes_text}))
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _bytes_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _printable(value: Any) -> Any:
    """value with every string's unencodable characters written as \\u escapes."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    return value


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    if isinstance(exc, InvalidField):
        invalid = RequestValidationError(
            [{"type": "value_error", "loc": exc.loc, "msg": exc.detail, "input": exc.value}]
        )
        return await _invalid_request(request, invalid)
    if isinstance(exc, Unavailable):
        logger.warning("answering 503: %s", exc.detail)
    code = next(
        (code for kind, code in STATUS_OF.items() if isinstance(exc, kind)),
        status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
    headers = _headers(exc)
    return JSONResponse({"detail": exc.detail}, status_code=code, headers=headers)


def _headers(exc: ServiceError) -> dict[str, str] | None:
    if isinstance(exc, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return exc.headers
    return None


async def _unauthorized(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Unauthorized)
    return JSONResponse(
        {"detail": exc.detail},
        status_code=status.HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the log; the client learns nothing about our internals.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"detail": "internal server error"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(Exception, _unexpected_error)

"""Delivery webhooks: SendGrid's Event Webhook and Twilio's message status callbacks.

Mounted without the API-key dependency: providers cannot send our bearer key, they sign
their requests instead (api/webhook_signatures.py). Events about messages we do not know
are acknowledged and ignored, because providers retry anything but a 2xx for days.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.dependencies import DeliveryReportsDep, SettingsDep
from api.schemas import (
    ErrorOut,
    SendGridEventIn,
    TwilioStatusCallbackIn,
    WebhookResultOut,
    valid_url_text,
)
from api.webhook_signatures import verify_sendgrid, verify_twilio
from rebook.delivery.callback_urls import IDEMPOTENCY_KEY_PARAM
from rebook.delivery.webhook_events import from_sendgrid, from_twilio
from rebook.services.errors import InvalidField
from rebook.settings import SENDGRID_WEBHOOK_PATH, TWILIO_WEBHOOK_PATH

router = APIRouter(tags=["webhooks"])

_SENDGRID_BATCH = TypeAdapter(list[SendGridEventIn])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorOut,
        "description": "Missing, invalid or (SendGrid) more than 5 minutes old signature, "
        "once the provider's key or token is configured",
    },
    422: {"model": ErrorOut, "description": "Not a well-formed event (body named by `loc`)"},
}


@router.post(
    SENDGRID_WEBHOOK_PATH,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    # Inlined: a TypeAdapter schema would $ref outside the OpenAPI document.
                    "schema": {"type": "array", "items": SendGridEventIn.model_json_schema()}
                }
            },
        }
    },
)
async def sendgrid_events(
    request: Request, settings: SettingsDep, deliveries: DeliveryReportsDep
) -> WebhookResultOut:
    """SendGrid Event Webhook: delivered, open, click, bounce, dropped, unsubscribe, ...
    A JSON array of events; events about messages Rebook did not send are ignored."""
    # The signature covers the exact bytes, so verify before parsing.
    body = await request.body()
    verify_sendgrid(settings, request.headers, body)
    try:
        events = _SENDGRID_BATCH.validate_json(body)
    except ValidationError as exc:
        raise _invalid_body(exc) from None
    applied = await deliveries.apply(from_sendgrid(**event.model_dump()) for event in events)
    return WebhookResultOut(received=len(events), applied=applied)


@router.post(
    TWILIO_WEBHOOK_PATH,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": TwilioStatusCallbackIn.model_json_schema()
                }
            },
        }
    },
)
async def twilio_status_callback(
    request: Request, settings: SettingsDep, deliveries: DeliveryReportsDep
) -> WebhookResultOut:
    """Twilio message status callback: delivered, read (WhatsApp), undelivered, failed, ...
    The callback URL Rebook asks for carries our `idempotency_key` in its query. A repeated
    callback changes nothing."""
    body = await request.body()
    # Parsed by hand rather than Form(): the signature covers every field Twilio sent, not
    # only the ones we read.
    params = _form(body)
    verify_twilio(settings, request, params)
    callback = _parse(TwilioStatusCallbackIn, params)
    event = from_twilio(
        callback.MessageSid,
        callback.MessageStatus,
        callback.ErrorCode,
        received_at=datetime.now(UTC),
        idempotency_key=_callback_key(request),
    )
    applied = await deliveries.apply([event])
    return WebhookResultOut(received=1, applied=applied)


def _form(body: bytes) -> dict[str, str]:
    """Twilio's form body; bytes (raw or percent-encoded) that are not UTF-8 are a 422."""
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError as exc:
        raise InvalidField(("body",), "must be UTF-8 form data", exc.object) from None


def _callback_key(request: Request) -> str | None:
    key = request.query_params.get(IDEMPOTENCY_KEY_PARAM)
    if key is None:
        return None
    try:
        return valid_url_text(key)
    except ValueError as exc:
        raise InvalidField(("query", IDEMPOTENCY_KEY_PARAM), str(exc), key) from None


_Model = TypeVar("_Model", bound=BaseModel)


def _parse(model: type[_Model], data: dict[str, Any]) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid_body(exc) from None


def _invalid_body(exc: ValidationError) -> RequestValidationError:
    """FastAPI's 422 shape, as if the body had been a declared parameter."""
    return RequestValidationError(
        [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False)
        ]
    )

"""Delivery webhooks: SendGrid's Event Webhook and Twilio's message status callbacks.

Mounted without the API-key dependency: providers cannot send our bearer key, they sign
their requests instead (api/webhook_signatures.py). Events about messages we do not know
are acknowledged and ignored, because providers retry anything but a 2xx for days.

Workspaces: a message is matched only within its workspace, which the request names.
Twilio calls back `...?workspace=<id>` (the worker asks for that URL), signed with the
auth token of the account that sent it: the workspace's own, or the deployment's. SendGrid
posts one account's events to one URL: the deployment's account to the plain URL (each
event names its workspace in the `workspace_id` custom arg the sender added), a
workspace's own account to `...?workspace=<id>`, verified with that account's key. No
workspace named: the default workspace (messages sent before workspaces existed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.dependencies import DeliveryReportsDep, DirectoryDep, SettingsDep
from api.schemas import (
    ErrorOut,
    QueryText,
    SendGridEventIn,
    TwilioStatusCallbackIn,
    WebhookResultOut,
    valid_url_text,
)
from api.webhook_signatures import verify_sendgrid, verify_twilio
from rebook.core.delivery_status import DeliveryEvent
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, WorkspaceId
from rebook.delivery.callback_urls import IDEMPOTENCY_KEY_PARAM
from rebook.delivery.webhook_events import from_sendgrid, from_twilio
from rebook.services.errors import InvalidField
from rebook.services.workspaces import WorkspaceDirectory
from rebook.settings import SENDGRID_WEBHOOK_PATH, TWILIO_WEBHOOK_PATH, Settings

router = APIRouter(tags=["webhooks"])

_SENDGRID_BATCH = TypeAdapter(list[SendGridEventIn])
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorOut,
        "description": "Missing, invalid or (SendGrid) more than 5 minutes old signature, "
        "once the provider's key or token is configured",
    },
    404: {"model": ErrorOut, "description": "No such workspace"},
    422: {"model": ErrorOut, "description": "Not a well-formed event (body named by `loc`)"},
}
WorkspaceQuery = Annotated[
    QueryText | None,
    Query(
        max_length=64,
        description="the workspace whose provider account sent the messages (default: "
        "the deployment's account; SendGrid events then name their workspace themselves)",
    ),
]


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
    request: Request,
    settings: SettingsDep,
    directory: DirectoryDep,
    deliveries: DeliveryReportsDep,
    workspace: WorkspaceQuery = None,
) -> WebhookResultOut:
    """SendGrid Event Webhook: delivered, open, click, bounce, dropped, unsubscribe, ...
    A JSON array of events; events about messages Rebook did not send are ignored."""
    account = WorkspaceId(workspace) if workspace else None
    # The signature covers the exact bytes, so verify before parsing.
    body = await request.body()
    verify_sendgrid(await _signing(settings, directory, account), request.headers, body)
    try:
        events = _SENDGRID_BATCH.validate_json(body)
    except ValidationError as exc:
        raise _invalid_body(exc) from None
    batches: dict[WorkspaceId, list[DeliveryEvent | None]] = {}
    for event in events:
        owner = WorkspaceId(event.workspace_id or DEFAULT_WORKSPACE_ID)
        if account is not None and owner != account:
            continue  # a workspace's own account speaks for that workspace only
        translated = from_sendgrid(**event.model_dump(exclude={"workspace_id"}))
        batches.setdefault(owner, []).append(translated)
    applied = 0
    for owner, batch in batches.items():
        applied += await deliveries.apply(owner, batch)
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
    request: Request,
    settings: SettingsDep,
    directory: DirectoryDep,
    deliveries: DeliveryReportsDep,
    workspace: WorkspaceQuery = None,
) -> WebhookResultOut:
    """Twilio message status callback: delivered, read (WhatsApp), undelivered, failed, ...
    The callback URL Rebook asks for carries the workspace and our `idempotency_key` in its
    query. A repeated callback changes nothing."""
    owner = WorkspaceId(workspace or DEFAULT_WORKSPACE_ID)
    body = await request.body()
    # Parsed by hand rather than Form(): the signature covers every field Twilio sent, not
    # only the ones we read.
    params = _form(body)
    verify_twilio(await _signing(settings, directory, owner), request, params)
    callback = _parse(TwilioStatusCallbackIn, params)
    event = from_twilio(
        callback.MessageSid,
        callback.MessageStatus,
        callback.ErrorCode,
        received_at=datetime.now(UTC),
        idempotency_key=_callback_key(request),
    )
    applied = await deliveries.apply(owner, [event])
    return WebhookResultOut(received=1, applied=applied)


async def _signing(
    settings: Settings, directory: WorkspaceDirectory, workspace_id: WorkspaceId | None
) -> Settings:
    """The settings to verify a webhook of this workspace's provider account with: its own
    account's token and key where it has one, the deployment's otherwise. Raises NotFound
    for an unknown workspace."""
    if workspace_id is None:
        return settings
    await directory.context(workspace_id)  # NotFound for an unknown workspace
    own = await directory.credentials(workspace_id)
    overrides: dict[str, Any] = {}
    if own.twilio is not None:
        overrides["twilio_auth_token"] = own.twilio.auth_token
    if own.sendgrid is not None and own.sendgrid.webhook_public_key:
        # Without its own key, the deployment's still applies: unsigned posts to a
        # workspace's URL are never let through where signatures are required.
        overrides["sendgrid_webhook_public_key"] = own.sendgrid.webhook_public_key
    return settings.model_copy(update=overrides) if overrides else settings


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

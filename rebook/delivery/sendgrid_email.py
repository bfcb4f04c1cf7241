"""Email through SendGrid's v3 Mail Send API, using the official SDK.

SendGrid answers 202 with the message id in the X-Message-Id header. Our idempotency key
and the workspace travel in custom_args so event webhooks can be matched back to the
communications row, within its workspace.
"""

from __future__ import annotations

import http.client
import json
import logging
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, From, Mail, To

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import (
    PermanentDeliveryError,
    ProviderReceipt,
    RenderedMessage,
    TransientDeliveryError,
)
from rebook.delivery.codes import SENDGRID

logger = logging.getLogger(__name__)

IDEMPOTENCY_ARG = "idempotency_key"
WORKSPACE_ARG = "workspace_id"
APP_CATEGORY = "rebook"
DEFAULT_TIMEOUT_S = 10.0


class SendGridEmailSender:
    provider = SENDGRID

    def __init__(
        self,
        api_key: str,
        host: str,
        from_email: str,
        from_name: str,
        *,
        workspace_id: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._workspace_id = workspace_id
        # The SDK's default is no timeout at all; a hung connection would pin a worker
        # thread until the activity's start-to-close timeout.
        self._client.client.timeout = timeout_s
        self._from_email = from_email
        self._from_name = from_name

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        try:
            response = self._client.send(self._mail_for(message))
        except HTTPError as err:
            raise _classify(err) from err
        except (OSError, http.client.HTTPException) as err:
            # urllib's URLError, timeouts, refused/reset connections: nothing was accepted.
            raise TransientDeliveryError(f"SendGrid unreachable: {err}") from err
        message_id = response.headers.get("X-Message-Id")
        if not message_id:
            # Accepted but unnamed (never seen in practice); the idempotency key in
            # custom_args still correlates webhook events with this message.
            logger.warning("SendGrid accepted %s without X-Message-Id", message.idempotency_key)
            message_id = message.idempotency_key
        return ProviderReceipt(
            provider=self.provider,
            provider_message_id=str(message_id),
            status=CommunicationStatus.SENT,
        )

    def _mail_for(self, message: RenderedMessage) -> Mail:
        mail = Mail(
            from_email=From(self._from_email, self._from_name),
            to_emails=To(message.to_address, message.to_name),
            subject=message.subject,
            plain_text_content=message.body,
            html_content=message.html_body,
        )
        custom_args = [CustomArg(IDEMPOTENCY_ARG, message.idempotency_key)]
        if self._workspace_id is not None:
            custom_args.append(CustomArg(WORKSPACE_ARG, self._workspace_id))
        mail.custom_arg = custom_args
        mail.category = [Category(name) for name in _categories(message)]
        return mail


def _categories(message: RenderedMessage) -> list[str]:
    # SendGrid stats are grouped by category; the step ("reminder_24h", ...) is the useful
    # grouping.
    return [APP_CATEGORY, message.step] if message.step else [APP_CATEGORY]


def _classify(err: HTTPError) -> TransientDeliveryError | PermanentDeliveryError:
    status = int(err.status_code)
    detail = _error_text(err.body)
    if status == 401:
        # A revoked or mistyped API key fails every email. Retrying is right (operators
        # rotate the key and pending retries recover) but someone must notice now.
        logger.error("SendGrid rejected the API key (401): %s. Fix SENDGRID_API_KEY.", detail)
        return TransientDeliveryError(f"SendGrid 401 (credentials): {detail}")
    if status == 429 or status >= 500:
        return TransientDeliveryError(f"SendGrid {status}: {detail}")
    return PermanentDeliveryError(f"SendGrid {status}: {detail}", code=str(status))


def _error_text(body: Any) -> str:
    """SendGrid errors look like {"errors": [{"message", "field", "help"}]}."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        errors = json.loads(raw)["errors"]
        parts = [
            f"{e['field']}: {e['message']}" if e.get("field") else str(e["message"]) for e in errors
        ]
    except (ValueError, KeyError, TypeError):
        return raw.strip() or "no error body"
    return "; ".join(parts) or "no error detail"

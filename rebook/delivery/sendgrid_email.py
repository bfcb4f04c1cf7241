"""Email through SendGrid's v3 Mail Send API, using the official SDK.

SendGrid answers 202 with the message id in the X-Message-Id header. Our idempotency key
and the workspace travel in custom_args so event webhooks can be matched back to the
communications row, within its workspace.

A send whose outcome is unknown (AmbiguousDeliveryError) is settled by evidence: the Event
Webhook's events carry the key (the webhook store records them on the row), and accounts
with the Email Activity API add-on can be asked directly (lookup(), by the key and the
workspace).
"""

from __future__ import annotations

import http.client
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, From, Mail, To

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import (
    AmbiguousDeliveryError,
    Found,
    LookupResult,
    LookupWindow,
    NoEvidence,
    NotFound,
    PermanentDeliveryError,
    ProviderReceipt,
    RenderedMessage,
    TransientDeliveryError,
)
from rebook.delivery.codes import SENDGRID, outcome_unknown
from rebook.delivery.webhook_events import sendgrid_message_id

logger = logging.getLogger(__name__)

IDEMPOTENCY_ARG = "idempotency_key"
WORKSPACE_ARG = "workspace_id"
APP_CATEGORY = "rebook"
DEFAULT_TIMEOUT_S = 10.0
# Email Activity is an index fed by SendGrid's pipeline: a message it accepted shows up
# there after a delay. Until this long after the send went in doubt, an empty answer is
# not proof that SendGrid has no such message.
DEFAULT_ACTIVITY_LAG = timedelta(minutes=5)


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
        email_activity: bool = False,
        activity_lag: timedelta = DEFAULT_ACTIVITY_LAG,
    ) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._workspace_id = workspace_id
        # The SDK's default is no timeout at all; a hung connection would pin a worker
        # thread until the activity's start-to-close timeout.
        self._client.client.timeout = timeout_s
        self._from_email = from_email
        self._from_name = from_name
        self._email_activity = email_activity
        self._activity_lag = activity_lag

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        try:
            response = self._client.send(self._mail_for(message))
        except HTTPError as err:
            raise _classify(err) from err
        except URLError as err:
            # urllib raises URLError while connecting or writing the request: refused,
            # unresolvable, TLS failure, a timeout before the request was complete.
            raise TransientDeliveryError(f"SendGrid unreachable: {err}") from err
        except (OSError, http.client.HTTPException) as err:
            # Raised while waiting for the answer: a read timeout or a connection dropped
            # mid-response, after SendGrid had the whole request.
            raise AmbiguousDeliveryError(f"SendGrid outcome unknown: {err!r}") from err
        message_id = response.headers.get("X-Message-Id")
        if not message_id:
            # Accepted but unnamed (never seen in practice); the idempotency key in
            # custom_args still correlates webhook events with this message.
            logger.warning("SendGrid accepted %s without X-Message-Id", message.idempotency_key)
            message_id = message.idempotency_key
        return self._receipt(str(message_id))

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        """Ask the Email Activity API (when the account has it) for the message carrying
        our key. Without it, only the Event Webhook can bring evidence, and the ledger
        sees that itself."""
        if not self._email_activity:
            return NoEvidence("SendGrid has no lookup without the Email Activity API")
        query = _activity_query(IDEMPOTENCY_ARG, message.idempotency_key)
        if self._workspace_id is not None:
            # Keys are unique within a workspace only: another workspace's message on a
            # shared account is no evidence about this one.
            query += " AND " + _activity_query(WORKSPACE_ARG, self._workspace_id)
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": 10})
            found = json.loads(response.body or b"{}").get("messages") or []
        except (HTTPError, OSError, http.client.HTTPException, ValueError) as err:
            return NoEvidence(f"SendGrid Email Activity query failed: {err!r}")
        for activity in found:
            message_id = sendgrid_message_id(str(activity.get("msg_id") or ""))
            if message_id:
                return Found(self._receipt(message_id))
        if window.now - window.in_doubt_since >= self._activity_lag:
            return NotFound("SendGrid's Email Activity has no message with our key")
        return NoEvidence("SendGrid's Email Activity may not show the message yet")

    def _receipt(self, message_id: str) -> ProviderReceipt:
        return ProviderReceipt(
            provider=self.provider,
            provider_message_id=message_id,
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


def _activity_query(custom_arg: str, value: str) -> str:
    """An Email Activity query term matching a custom argument we sent."""
    return f"unique_args['{custom_arg}']=\"{value}\""


def _categories(message: RenderedMessage) -> list[str]:
    # SendGrid stats are grouped by category; the step ("reminder_24h", ...) is the useful
    # grouping.
    return [APP_CATEGORY, message.step] if message.step else [APP_CATEGORY]


def _classify(
    err: HTTPError,
) -> TransientDeliveryError | AmbiguousDeliveryError | PermanentDeliveryError:
    status = int(err.status_code)
    detail = _error_text(err.body)
    if status == 401:
        # A revoked or mistyped API key fails every email. Retrying is right (operators
        # rotate the key and pending retries recover) but someone must notice now.
        logger.error("SendGrid rejected the API key (401): %s. Fix SENDGRID_API_KEY.", detail)
        return TransientDeliveryError(f"SendGrid 401 (credentials): {detail}")
    if outcome_unknown(status):
        return AmbiguousDeliveryError(f"SendGrid {status}, outcome unknown: {detail}")
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

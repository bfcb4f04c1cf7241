"""Outbound webhooks following the Standard Webhooks spec: the event catalogue and payload
envelope (events), signing and verification (signing), and the retry schedule and
endpoint-disable rule (retry). Pure code; the delivery activity, the outbox and the
endpoint store are built on top of it.
"""

from rebook.outbound.events import (
    AppointmentRef,
    Clicked,
    Converted,
    Failed,
    Flagged,
    MessageRef,
    OptedOut,
    OutboundEvent,
    Rebooked,
    Rescheduled,
    ScoreChanged,
    WebhookEventType,
    envelope,
    parse_event_types,
    serialize,
)
from rebook.outbound.retry import (
    AttemptOutcome,
    DisableReason,
    EndpointHealth,
    RetrySchedule,
    classify_attempt,
    disable_reason,
    next_attempt_at,
    parse_retry_after,
    planned_attempts,
    record_attempt,
)
from rebook.outbound.signing import (
    SignedWebhook,
    WebhookSignatureError,
    generate_secret,
    message_id_for,
    sign,
    validate_secret,
    verify,
)

__all__ = [
    "AppointmentRef",
    "AttemptOutcome",
    "Clicked",
    "Converted",
    "DisableReason",
    "EndpointHealth",
    "Failed",
    "Flagged",
    "MessageRef",
    "OptedOut",
    "OutboundEvent",
    "Rebooked",
    "Rescheduled",
    "RetrySchedule",
    "ScoreChanged",
    "SignedWebhook",
    "WebhookEventType",
    "WebhookSignatureError",
    "classify_attempt",
    "disable_reason",
    "envelope",
    "generate_secret",
    "message_id_for",
    "next_attempt_at",
    "parse_event_types",
    "parse_retry_after",
    "planned_attempts",
    "record_attempt",
    "serialize",
    "sign",
    "validate_secret",
    "verify",
]

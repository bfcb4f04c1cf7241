"""The outbound webhook event catalogue and its payload envelope.

Every payload is the Standard Webhooks envelope

    {"type": "appointment.missed", "timestamp": "2025-03-04T09:30:00Z", "data": {...}}

where `timestamp` is when the event happened (not when it was delivered) and `data`
always carries `workspace_id` plus the objects the event is about (`appointment`,
`contact`, `message`) and the event's own fields (e.g. `value` and `currency` of a
conversion). Absent optional values are omitted rather than sent as null.

`serialize` is deterministic (sorted keys, no whitespace, UTF-8), so the body stored for a
delivery is byte-identical on every retry and redelivery, and so is its signature input.

Pure module: safe to import from workflow code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rebook.core.contracts import AppointmentDetails, ContactDetails
from rebook.core.domain import Channel


class WebhookEventType(StrEnum):
    APPOINTMENT_CREATED = "appointment.created"
    APPOINTMENT_MISSED = "appointment.missed"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_REBOOKED = "appointment.rebooked"
    APPOINTMENT_RECOVERED = "appointment.recovered"  # attended after a miss
    APPOINTMENT_LOST = "appointment.lost"
    APPOINTMENT_CONVERTED = "appointment.converted"
    APPOINTMENT_FLAGGED = "appointment.flagged"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_OPENED = "message.opened"
    MESSAGE_CLICKED = "message.clicked"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_UNCONFIRMED = "message.unconfirmed"
    CONTACT_OPTED_OUT = "contact.opted_out"
    LEAD_SCORE_CHANGED = "lead.score_changed"

    @property
    def group(self) -> str:
        return self.value.split(".", 1)[0]


# ---------------------------------------------------------------------- subjects


@dataclass(frozen=True)
class AppointmentRef:
    """The appointment as webhooks name it: ids and the slot, not the whole record."""

    id: str
    external_id: str  # the booking platform's id
    starts_at: datetime | None = None
    kind: str | None = None
    host_id: str | None = None

    @classmethod
    def of(cls, appointment: AppointmentDetails) -> AppointmentRef:
        return cls(
            id=appointment.appointment_id,
            external_id=appointment.external_id,
            starts_at=appointment.starts_at,
            kind=appointment.kind.value,
            host_id=appointment.host.id,
        )


@dataclass(frozen=True)
class MessageRef:
    id: str  # Rebook's communication id
    channel: Channel
    step: str | None = None
    template: str | None = None
    variant: str | None = None


# ---------------------------------------------------------------------- event fields


@dataclass(frozen=True)
class Rescheduled:
    starts_at: datetime
    previous_starts_at: datetime | None = None


@dataclass(frozen=True)
class Rebooked:
    new_appointment_id: str
    new_external_id: str | None = None


@dataclass(frozen=True)
class Converted:
    value: Decimal | None = None  # sent as a string ("49.90") to keep it exact
    currency: str | None = None  # ISO 4217
    stage: str | None = None  # the platform's word for it: purchase, deal won, ...

    def __post_init__(self) -> None:
        if self.value is not None and not self.value.is_finite():
            raise ValueError("a conversion value must be a finite number")


@dataclass(frozen=True)
class Flagged:
    reason: str


@dataclass(frozen=True)
class Clicked:
    link_index: int
    url: str


@dataclass(frozen=True)
class Failed:
    error: str
    error_code: str | None = None


@dataclass(frozen=True)
class OptedOut:
    channel: Channel
    source: str  # "sms_stop", "one_click", "self_service", "api", ...


@dataclass(frozen=True)
class ScoreChanged:
    score: float
    previous_score: float
    band: str
    previous_band: str
    signal: str | None = None  # what moved it; None for decay over time


Details = Rescheduled | Rebooked | Converted | Flagged | Clicked | Failed | OptedOut | ScoreChanged

# Which subjects each event type must carry, and which fields type (None: no fields).
_APPOINTMENT = frozenset({"appointment", "contact"})
_MESSAGE = frozenset({"appointment", "contact", "message"})
_REQUIRED: dict[WebhookEventType, tuple[frozenset[str], type[Details] | None]] = {
    WebhookEventType.APPOINTMENT_CREATED: (_APPOINTMENT, None),
    WebhookEventType.APPOINTMENT_MISSED: (_APPOINTMENT, None),
    WebhookEventType.APPOINTMENT_RESCHEDULED: (_APPOINTMENT, Rescheduled),
    WebhookEventType.APPOINTMENT_REBOOKED: (_APPOINTMENT, Rebooked),
    WebhookEventType.APPOINTMENT_RECOVERED: (_APPOINTMENT, None),
    WebhookEventType.APPOINTMENT_LOST: (_APPOINTMENT, None),
    WebhookEventType.APPOINTMENT_CONVERTED: (_APPOINTMENT, Converted),
    WebhookEventType.APPOINTMENT_FLAGGED: (_APPOINTMENT, Flagged),
    WebhookEventType.MESSAGE_SENT: (_MESSAGE, None),
    WebhookEventType.MESSAGE_DELIVERED: (_MESSAGE, None),
    WebhookEventType.MESSAGE_OPENED: (_MESSAGE, None),
    WebhookEventType.MESSAGE_CLICKED: (_MESSAGE, Clicked),
    WebhookEventType.MESSAGE_FAILED: (_MESSAGE, Failed),
    WebhookEventType.MESSAGE_UNCONFIRMED: (_MESSAGE, None),
    WebhookEventType.CONTACT_OPTED_OUT: (frozenset({"contact"}), OptedOut),
    WebhookEventType.LEAD_SCORE_CHANGED: (frozenset({"contact"}), ScoreChanged),
}


@dataclass(frozen=True)
class OutboundEvent:
    """One event for the workspace's endpoints.

    `id` is the event's business identity (e.g. "apt_1/missed" or the outbox row id); it
    becomes the webhook-id (signing.message_id_for), identical on every attempt.

    Raises (on construction):
        ValueError: a subject or the fields this type needs are missing, the fields are of
            another event's kind, or `occurred_at` is naive.
    """

    id: str
    type: WebhookEventType
    occurred_at: datetime
    workspace_id: str
    appointment: AppointmentRef | None = None
    contact: ContactDetails | None = None
    message: MessageRef | None = None
    details: Details | None = field(default=None)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        subjects, details_type = _REQUIRED[self.type]
        missing = sorted(name for name in subjects if getattr(self, name) is None)
        if missing:
            raise ValueError(f"{self.type.value} needs {', '.join(missing)}")
        if details_type is None and self.details is not None:
            raise ValueError(f"{self.type.value} carries no fields")
        if details_type is not None and not isinstance(self.details, details_type):
            raise ValueError(f"{self.type.value} needs {details_type.__name__} fields")


def envelope(event: OutboundEvent) -> dict[str, Any]:
    """The JSON-ready payload: {"type", "timestamp", "data"}."""
    data: dict[str, Any] = {"workspace_id": event.workspace_id}
    for name in ("appointment", "contact", "message"):
        subject = getattr(event, name)
        if subject is not None:
            data[name] = _plain(asdict(subject))
    if event.details is not None:
        data.update(_plain(asdict(event.details)))
    return {"type": event.type.value, "timestamp": _iso(event.occurred_at), "data": data}


def serialize(event: OutboundEvent) -> bytes:
    """The request body: the envelope as compact, key-sorted UTF-8 JSON."""
    return json.dumps(
        envelope(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def parse_event_types(names: Iterable[str]) -> frozenset[WebhookEventType]:
    """An endpoint's subscription from user input: exact types, "group.*" (e.g.
    "message.*") or "*" for everything.

    Raises:
        ValueError: naming the first unknown entry.
    """
    chosen: set[WebhookEventType] = set()
    for name in names:
        if name == "*":
            chosen.update(WebhookEventType)
        elif name.endswith(".*"):
            group = [t for t in WebhookEventType if t.group == name[:-2]]
            if not group:
                raise ValueError(f"unknown event group {name!r}")
            chosen.update(group)
        else:
            try:
                chosen.add(WebhookEventType(name))
            except ValueError:
                raise ValueError(f"unknown event type {name!r}") from None
    return frozenset(chosen)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values, dropping the absent ones."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = _iso(value)
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, StrEnum):
            value = value.value
        out[key] = value
    return out


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("datetimes in webhook payloads must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

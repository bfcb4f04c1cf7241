"""What every booking-platform adapter produces, and the checks they share.

An adapter turns one signed webhook delivery (raw body + headers) into a `ParsedWebhook`:
bookings to create, events on existing bookings, the platform's word that a slot ended,
or nothing at all (a trigger Rebook does not act on). The dataclasses here are neutral:
they name Rebook's concepts, not Cal.com's or Calendly's.

The errors map onto HTTP statuses at the API: `SignatureError` -> 401 (nothing of the
body is trusted or echoed), `PayloadError` -> 422 naming the field. An ignored trigger is
not an error: answer 202 so the platform does not retry it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from rebook.core.contracts import ContactDetails, HostDetails
from rebook.core.domain import AppointmentKind, BookedVia, EventType
from rebook.phones import InvalidPhoneNumber, normalise_phone

# --------------------------------------------------------------------------- results


class Platform(StrEnum):
    CALCOM = "calcom"
    CALENDLY = "calendly"


@dataclass(frozen=True)
class PlatformBooking:
    """A booking Rebook should create an appointment for.

    `contact` is the person who booked. Its `id` is their email, lower-cased: platforms
    have no stable id for a booker across bookings, and one person booking twice is one
    Rebook contact. Its phone is E.164, or None when absent or not a valid number.
    """

    platform: Platform
    external_id: str  # the platform's booking id: Cal.com uid, Calendly invitee URI
    starts_at: datetime  # aware, UTC as sent
    duration_minutes: int
    kind: AppointmentKind  # a guess from the event type's name; OTHER when unsure
    topic: str
    reschedule_url: str
    booked_via: BookedVia
    contact: ContactDetails
    host: HostDetails
    contact_locale: str | None = None  # e.g. "en", "pt-BR", when the platform knows it
    location: str | None = None  # address, phone number or the platform's label
    join_url: str | None = None  # video-call link


@dataclass(frozen=True)
class PlatformEvent:
    """Something that happened to a booking Rebook already knows by `external_id`.

    `event_id` is derived from the payload, so a platform's retry of the same delivery has
    the same id and is deduplicated. On RESCHEDULED, `replacement` is the booking as it is
    now: platforms give a moved booking a new id, so the appointment must also answer to
    `replacement.external_id` from then on (a later cancel names the new id). When
    `attendee_email` is set the event concerns that attendee only: apply it only if it is
    the appointment's contact (a guest's no-show is not the booker's).
    """

    platform: Platform
    external_id: str
    type: EventType
    occurred_at: datetime
    event_id: str
    reason: str | None = None
    replacement: PlatformBooking | None = None
    attendee_email: str | None = None

    @property
    def new_starts_at(self) -> datetime | None:
        return self.replacement.starts_at if self.replacement else None


@dataclass(frozen=True)
class SlotEnded:
    """The platform says the meeting's time is over, without saying who came.

    Input for automatic no-show detection; on its own it means neither attended nor missed.
    """

    platform: Platform
    external_id: str
    ended_at: datetime
    event_id: str


WebhookItem = PlatformBooking | PlatformEvent | SlotEnded


@dataclass(frozen=True)
class ParsedWebhook:
    """One delivery, read. Empty `items` with `ignored_reason` set means: nothing to do."""

    platform: Platform
    trigger: str
    items: tuple[WebhookItem, ...] = ()
    ignored_reason: str | None = None
    # Data dropped rather than refusing the booking (e.g. an invalid phone number).
    warnings: tuple[str, ...] = ()

    @property
    def ignored(self) -> bool:
        return not self.items


class WebhookReader(Protocol):
    """What the API needs of an adapter: one instance per connected webhook (one secret)."""

    platform: Platform

    def read(self, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedWebhook:
        """Verify the delivery received at `now`, then read it.

        Raises:
            SignatureError: the delivery is not shown to come from the platform (401).
            PayloadError: a signed body without a field Rebook needs (422).
        """
        ...


# --------------------------------------------------------------------------- errors


class SignatureError(Exception):
    """The delivery cannot be shown to come from the platform (answer 401)."""


class MissingSignature(SignatureError):
    pass


class MalformedSignature(SignatureError):
    pass


class InvalidSignature(SignatureError):
    pass


class StaleSignature(SignatureError):
    pass


class PayloadError(ValueError):
    """A signed delivery whose body Rebook cannot read (answer 422 naming `field`)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


# --------------------------------------------------------------------------- shared checks


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (works for plain dicts and Starlette's Headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def require_secret(secret: str) -> bytes:
    # An empty key would make any attacker's HMAC "valid"; refusing is a setup error.
    if not secret:
        raise ValueError("a webhook signing secret must be configured")
    return secret.encode("utf-8")


def hmac_sha256_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def same_digest(expected_hex: str, given: str) -> bool:
    """Constant-time comparison of hex digests (case-insensitive, as hex is)."""
    return hmac.compare_digest(expected_hex.encode("ascii"), given.strip().lower().encode())


def decode_json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("", f"body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PayloadError("", "body must be a JSON object")
    return document


class PayloadModel(BaseModel):
    """Base of the adapters' private payload models: platforms add fields freely, so only
    the fields a model declares are read and checked."""

    model_config = ConfigDict(extra="ignore")


def _iana_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value


IanaZone = Annotated[str, AfterValidator(_iana_zone)]

_M = TypeVar("_M", bound=PayloadModel)


def read_model(model: type[_M], data: dict[str, Any], prefix: str = "payload") -> _M:
    """Validate `data` as `model`; a failure is a PayloadError on `<prefix>.<field path>`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _payload_error(exc, prefix) from None


def _payload_error(exc: ValidationError, prefix: str) -> PayloadError:
    """The first pydantic error as a PayloadError with a dotted path ("payload.startTime")."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    field = f"{prefix}.{path}" if prefix and path else prefix or path
    return PayloadError(field, first["msg"].lower())


def event_id(platform: Platform, trigger: str, *parts: str) -> str:
    """A short, stable id for one platform event: retries map to the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{platform.value}:{trigger}:{digest}"


def contact_id(email: str | None, phone: str | None, fallback: str) -> str:
    if email:
        return email.strip().lower()
    return phone or fallback


def optional_phone(raw: str | None, field: str, warnings: list[str]) -> str | None:
    """E.164 of a platform-supplied number, or None with a warning when unusable.

    Platforms validate loosely and a bad optional number must not lose the booking.
    """
    if not raw or not raw.strip():
        return None
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber as exc:
        warnings.append(f"{field} dropped: {exc}")
        return None


_KIND_WORDS: tuple[tuple[AppointmentKind, re.Pattern[str]], ...] = (
    (AppointmentKind.WEBINAR, re.compile(r"\b(webinar|workshop|masterclass|class)\b", re.I)),
    (AppointmentKind.DEMO, re.compile(r"\b(demo|demonstration|walkthrough|tour)\b", re.I)),
    (
        AppointmentKind.CONSULTATION,
        re.compile(r"\b(consult\w*|discovery|strategy|advice|assessment|coaching|intake)\b", re.I),
    ),
)


def guess_kind(*names: str | None) -> AppointmentKind:
    """The appointment kind suggested by the event type's slug or name, else OTHER.

    A guess only: the integrator may let a workspace map event types explicitly.
    """
    text = " ".join(n.replace("-", " ").replace("_", " ") for n in names if n)
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    return AppointmentKind.OTHER


def minutes_between(start: datetime, end: datetime, field: str) -> int:
    minutes = round((end - start).total_seconds() / 60)
    if minutes < 1:
        raise PayloadError(field, "must be after the start time")
    return minutes

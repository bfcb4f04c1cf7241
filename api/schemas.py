"""Request and response bodies of API v1: `*In` models parse what platforms send into the
core dataclasses, `*Out` models are read from the core dataclasses with from_attributes.

Field limits mirror the column sizes in rebook/db/models.py so oversized input is a 422
here instead of a database error (a 500) later.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    AliasPath,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from rebook.core.contracts import AppointmentDetails, ExperimentAssignment
from rebook.core.domain import (
    AppointmentKind,
    AppointmentStatus,
    BookedVia,
    Channel,
    CommunicationStatus,
    EventType,
    Recipient,
)
from rebook.core.experiments import assign_variant, validate_variants
from rebook.core.rules import DEFAULT_VARIANTS
from rebook.core.time_rules import (
    BOOKING_HORIZON,
    CLOCK_SKEW,
    OLDEST_EVENT,
    booking_problem,
    occurrence_problem,
)
from rebook.core.workspaces import timezone_problem
from rebook.services.ids import new_appointment_id

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _e164(value: str) -> str:
    if not _E164.fullmatch(value):
        raise ValueError("must be an E.164 phone number, e.g. +14155550123")
    return value


def _iana_timezone(value: str) -> str:
    problem = timezone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _bookable(value: datetime) -> datetime:
    problem = booking_problem(value, datetime.now(UTC))
    if problem:
        raise ValueError(problem)
    return value


def _plausible_occurrence(value: datetime) -> datetime:
    problem = occurrence_problem(value, datetime.now(UTC))
    if problem:
        raise ValueError(problem)
    return value


def _iso_8601(value: Any) -> Any:
    """Times are ISO 8601 text. Pydantic would also read a number (or a numeric string,
    as every query value is) as Unix seconds, so `until=0.5` would mean 1970."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "must be an ISO 8601 date-time with a UTC offset, e.g. 2026-11-01T09:00:00Z"
        ) from None


def valid_text(value: str) -> str:
    """Text must be storable and printable everywhere: no NUL (PostgreSQL refuses it in
    text columns) and no lone UTF-16 surrogates (not Unicode; they cannot be encoded as
    UTF-8, so they could be neither stored nor echoed back)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
    return value


def valid_url_text(value: str) -> str:
    """valid_text for path and query values. The server decodes percent-escapes that are
    not UTF-8 to U+FFFD, so that character there means the client sent invalid text."""
    if "\ufffd" in valid_text(value):
        raise ValueError("must be percent-encoded UTF-8")
    return value


def _valid_texts(value: Any) -> Any:
    """valid_text on a field's raw string, or on each string of a list. Nested objects are
    left to their own model (a TextChecked too), which names the inner field."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list | tuple):
        for item in value:
            _valid_texts(item)
    return value


_HTTP_URL = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    # Checked as an http(s) URL, kept as text: it is stored and rendered into messages.
    try:
        return str(_HTTP_URL.validate_python(value))
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from None


def _known_locale(value: str) -> str:
    # Checked against CLDR (babel), which formats the contact's dates in it.
    try:
        Locale.parse(value, sep="-" if "-" in value else "_")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown locale {value!r}; use a BCP 47 tag such as es or pt-BR") from exc
    return value


E164Phone = Annotated[str, AfterValidator(_e164)]
IanaTimezone = Annotated[str, Field(max_length=64), AfterValidator(_iana_timezone)]
# Any time a client sends: ISO 8601 text with a UTC offset.
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]
BookableDatetime = Annotated[
    IsoDatetime,
    AfterValidator(_bookable),
    Field(
        description="ISO 8601 with a UTC offset; must be in the future and at most "
        f"{BOOKING_HORIZON.days} days ahead"
    ),
]
OccurrenceDatetime = Annotated[
    IsoDatetime,
    AfterValidator(_plausible_occurrence),
    Field(
        description="ISO 8601 with a UTC offset; must not be in the future (beyond "
        f"{int(CLOCK_SKEW.total_seconds() // 60)} minutes of clock skew) nor more than "
        f"{OLDEST_EVENT.days} days ago"
    ),
]
# Query and path values: also text, checked like body text.
QueryDatetime = Annotated[IsoDatetime, Field(description="ISO 8601 with a UTC offset")]
PathId = Annotated[str, Field(max_length=200), AfterValidator(valid_url_text)]
QueryText = Annotated[str, AfterValidator(valid_url_text)]
WebUrl = Annotated[
    str,
    Field(min_length=1, max_length=2000, json_schema_extra={"format": "uri"}),
    AfterValidator(_http_url),
]
Identifier = Annotated[str, Field(min_length=1, max_length=128)]
LocaleTag = Annotated[
    str,
    Field(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", max_length=35),
    AfterValidator(_known_locale),
]
PlaybookName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class TextChecked(BaseModel):
    """Every string field of the body (and of its nested models, which are TextChecked
    too) is valid_text, checked before anything else reads it."""

    @field_validator("*", mode="before")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return _valid_texts(value)


class StrictBody(TextChecked):
    """A request body: text-checked, and unknown fields refused (most likely a platform
    typo; refusing them surfaces it early)."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- requests


class ContactIn(StrictBody):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: E164Phone | None = None
    whatsapp: E164Phone | None = None
    preferred_channel: Channel | None = None
    # Omitted: the workspace's timezone (GET /v1/workspace).
    timezone: IanaTimezone | None = None
    locale: LocaleTag | None = Field(
        default=None, description="language of the messages, e.g. es or pt-BR"
    )


class HostIn(StrictBody):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)


class ExperimentIn(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    variants: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: list(DEFAULT_VARIANTS), min_length=1
    )

    @field_validator("variants")
    @classmethod
    def _assignable(cls, variants: list[str]) -> list[str]:
        # The assignment's own rule, so the API never accepts arms it could not assign.
        return list(validate_variants(variants))


class AppointmentCreate(StrictBody):
    external_id: str = Field(min_length=1, max_length=200)
    starts_at: BookableDatetime
    duration_minutes: int = Field(ge=1, le=1440)
    kind: AppointmentKind
    topic: str = Field(min_length=1, max_length=500)
    reschedule_url: WebUrl
    contact: ContactIn
    booked_via: BookedVia
    host: HostIn
    content_url: WebUrl | None = None
    alternative_url: WebUrl | None = None
    experiment: ExperimentIn | None = None
    location: str | None = Field(
        default=None, min_length=1, max_length=500, description="where to meet, in person"
    )
    join_url: WebUrl | None = Field(default=None, description="the video call link")
    instructions: str | None = Field(
        default=None, min_length=1, max_length=2000, description="what to prepare or bring"
    )
    interest: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="what the contact wants from it; with the topic, it picks content",
    )
    playbook: PlaybookName | None = Field(
        default=None, description="the playbook to run; unset: chosen by kind and booked_via"
    )

    def to_appointment(self, default_timezone: str) -> AppointmentDetails:
        """The appointment this body books, under a fresh id and with its experiment arm
        drawn for that id (both are kept only if the booking turns out to be new); a
        contact sent without a timezone gets default_timezone (the workspace's)."""
        appointment_id = new_appointment_id()
        experiment = None
        if self.experiment:
            name, variants = self.experiment.name, tuple(self.experiment.variants)
            experiment = ExperimentAssignment(name, assign_variant(name, appointment_id, variants))
        fields = self.model_dump(exclude={"experiment"})
        fields["contact"]["timezone"] = self.contact.timezone or default_timezone
        return _APPOINTMENT.validate_python(
            {**fields, "appointment_id": appointment_id, "experiment": experiment}
        )

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of the validated body: defaults filled in, keys
        sorted and times as UTC instants, so two requests that mean the same thing (the
        same start written with another UTC offset) fingerprint the same. Fields added
        later count only when set, so a platform retrying a booking made before they
        existed gets the same answer rather than a 409."""
        return _sha256(self._canonical(starts_at=self.starts_at.astimezone(UTC).isoformat()))

    def legacy_fingerprint(self) -> str:
        """The fingerprint as bookings stored before instants were compared have it: the
        start as written (its own UTC offset). A retry of such a booking still matches."""
        return _sha256(self._canonical())

    def _canonical(self, *, starts_at: str | None = None) -> str:
        """The body as JSON, keys sorted; starts_at replaces the start as written."""
        body = self.model_dump(mode="json")
        for name in _ADDED_LATER:
            if body[name] is None:
                del body[name]
        if body["contact"]["locale"] is None:
            del body["contact"]["locale"]
        if starts_at is not None:
            body["starts_at"] = starts_at
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Builds the core dataclass (and its nested contact and host) from the parsed body's fields.
_APPOINTMENT = TypeAdapter(AppointmentDetails)
_ADDED_LATER = ("location", "join_url", "instructions", "interest", "playbook")


class EventIn(StrictBody):
    type: EventType
    event_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the platform's id of this event: a repeat is acknowledged as a "
        "duplicate and applied once",
    )
    occurred_at: OccurrenceDatetime | None = None
    # Declared after `type` so its validator can see the event type.
    new_starts_at: BookableDatetime | None = Field(
        default=None,
        validate_default=True,
        description="required for `rescheduled`: the new start, ISO 8601 with a UTC offset; "
        f"must be in the future and at most {BOOKING_HORIZON.days} days ahead",
    )
    reason: str | None = Field(default=None, max_length=2000)

    @field_validator("new_starts_at")
    @classmethod
    def _required_for_rescheduled(
        cls, value: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        if value is None and info.data.get("type") is EventType.RESCHEDULED:
            raise ValueError("new_starts_at is required for a rescheduled event")
        return value


# --------------------------------------------------------------------------- responses


class ContactOut(BaseModel):
    id: str
    name: str
    email: str | None
    phone: str | None
    whatsapp: str | None
    preferred_channel: Channel | None
    timezone: str
    locale: str | None


class HostOut(BaseModel):
    id: str
    name: str
    email: str | None


class ExperimentOut(BaseModel):
    name: str
    variant: str


class CommunicationOut(BaseModel):
    id: str
    appointment_id: str
    idempotency_key: str = Field(description="appointment, step and channel: one message each")
    channel: Channel
    recipient: Recipient
    step: str
    template: str
    variant: str
    status: CommunicationStatus
    subject: str
    body: str
    to_address: str
    provider: str | None
    provider_message_id: str | None
    error: str | None
    attempts: int = Field(
        description="send attempts begun (one killed before reaching the provider counts)"
    )
    scheduled_for: datetime
    sent_at: datetime | None
    provider_status: str | None = Field(
        description="latest state the provider reported: queued, processed, sending, sent, "
        "deferred, delivered, opened, clicked, undelivered, failed, bounced, dropped, "
        "unsubscribed, spam_reported (the most significant one when events arrive out of "
        "order)"
    )
    delivered_at: datetime | None = Field(description="first delivery the provider reported")
    opened_at: datetime | None = Field(description="first open (email) or read (WhatsApp)")
    clicked_at: datetime | None = Field(description="first link click (email)")
    in_doubt_since: datetime | None = Field(
        description="since when the send's outcome has been unknown (status checking, or "
        "unconfirmed when no evidence came within the reconciliation window)"
    )
    created_at: datetime


class CommunicationPageOut(BaseModel):
    items: list[CommunicationOut]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )


class InboxMessageOut(BaseModel):
    id: str
    appointment_id: str
    step: str
    subject: str
    body: str
    read_at: datetime | None
    created_at: datetime


def _details(name: str) -> Any:
    """A field read from the view's record.details (see AppointmentOut)."""
    return Field(validation_alias=AliasPath("record", "details", name))


def _progress(name: str) -> Any:
    """A field read from the view's progress (see AppointmentOut)."""
    return Field(validation_alias=AliasPath("progress", name))


# Read from rebook.services.appointments.AppointmentView with from_attributes: each field
# names where in the view it comes from; the JSON stays flat. (A comment, not a docstring:
# docstrings of response models become descriptions in the public OpenAPI document.)
class AppointmentOut(BaseModel):
    # Validating by name too lets FastAPI re-check the model it is handed.
    model_config = ConfigDict(validate_by_name=True)

    id: str = _details("appointment_id")
    external_id: str = _details("external_id")
    workflow_id: str = Field(validation_alias=AliasPath("record", "workflow_id"))
    starts_at: datetime = _progress("starts_at")  # in the offset the platform booked with
    duration_minutes: int = _details("duration_minutes")
    kind: AppointmentKind = _details("kind")
    topic: str = _details("topic")
    reschedule_url: str = _details("reschedule_url")
    booked_via: BookedVia = _details("booked_via")
    content_url: str | None = _details("content_url")
    alternative_url: str | None = _details("alternative_url")
    contact: ContactOut = _details("contact")
    host: HostOut = _details("host")
    experiment: ExperimentOut | None = _details("experiment")
    location: str | None = _details("location")
    join_url: str | None = _details("join_url")
    instructions: str | None = _details("instructions")
    interest: str | None = _details("interest")
    playbook: str | None = _details("playbook")  # as asked for; None: chosen by the rules
    status: AppointmentStatus = _progress("status")
    no_show_count: int = _progress("no_show_count")
    reschedule_count: int = _progress("reschedule_count")
    flagged: bool = _progress("flagged")
    next_step: str | None = _progress("next_step")
    next_step_at: datetime | None = _progress("next_step_at")
    # "workflow" when the running workflow answered the progress query, else "database"
    # (the mirror the workflow writes; used once it closed or when Temporal is unreachable).
    progress_source: Literal["workflow", "database"]
    created_at: datetime = Field(validation_alias=AliasPath("record", "created_at"))


class AppointmentDetailOut(AppointmentOut):
    communications: list[CommunicationOut]


class EventAccepted(BaseModel):
    appointment_id: str
    event_id: str
    type: EventType
    accepted: Literal[True] = True
    duplicate: bool = Field(
        default=False,
        description="true when this event_id had been accepted before: nothing new happens",
    )


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="ok when follow-ups would go out: database, Temporal and a worker"
    )
    database: Literal["ok", "error"]
    temporal: Literal["ok", "error"]
    worker: Literal["ok", "error", "unknown"] = Field(
        description="a worker polls the task queue (unknown while Temporal is unreachable)"
    )


class ErrorOut(BaseModel):
    detail: Any


class OutcomesOut(BaseModel):
    appointments: int
    missed: int = Field(description="appointments with at least one no-show")
    rebooked_after_miss: int = Field(description="missed, then rescheduled: won back")
    attended: int
    cancelled: int
    lost: int
    expired: int
    no_show_rate: float | None = Field(description="missed / appointments")
    rebook_rate: float | None = Field(description="rebooked_after_miss / missed")


class VariantOutcomesOut(BaseModel):
    experiment: str
    variant: str
    outcomes: OutcomesOut


class ChannelDeliveriesOut(BaseModel):
    channel: Channel
    status: CommunicationStatus
    messages: int
    delivered: int = Field(description="of these, reported delivered by the provider")
    opened: int = Field(description="of these, reported opened (email) or read (WhatsApp)")
    clicked: int = Field(description="of these, with a link click reported (email)")


class FollowUpReportOut(BaseModel):
    since: datetime
    until: datetime
    experiment: str | None
    totals: OutcomesOut
    variants: list[VariantOutcomesOut]
    deliveries: list[ChannelDeliveriesOut]
    unconfirmed_messages: int = Field(
        description="messages whose delivery could not be confirmed with the provider and "
        "that were not resent (list them: GET /v1/communications?status=unconfirmed)"
    )


# --------------------------------------------------------------------------- webhooks


class SendGridEventIn(TextChecked):
    """One event of SendGrid's Event Webhook; other fields SendGrid sends are ignored."""

    event: str = Field(max_length=64)
    # Unix seconds, up to year 9999; strict: `false` or "12" is not a time.
    timestamp: StrictInt = Field(ge=0, le=253402300799)
    sg_message_id: str | None = Field(default=None, max_length=400)
    # Our custom_args, which SendGrid echoes at the top level of every event.
    idempotency_key: str | None = Field(default=None, max_length=400)
    workspace_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class TwilioStatusCallbackIn(TextChecked):
    """Twilio's message status callback (form fields keep Twilio's capitalisation)."""

    MessageSid: str = Field(min_length=1, max_length=200)
    MessageStatus: str = Field(min_length=1, max_length=32)
    ErrorCode: str | None = Field(default=None, max_length=16)


class WebhookResultOut(BaseModel):
    received: int = Field(description="events in the request")
    applied: int = Field(description="events matched to a message we sent; the rest ignored")

"""Cal.com webhooks (payload version 2021-10-20) read into Rebook's neutral dataclasses.

Signature: header `X-Cal-Signature-256` = hex HMAC-SHA256 of the raw body with the
webhook's secret. Cal.com sends the literal "no-secret-provided" when the webhook has no
secret: that is refused, as an unsigned delivery would let anyone post bookings.

Triggers used (shapes from Cal.com's webhook documentation and its payload builder):
- BOOKING_CREATED      {triggerEvent, createdAt, payload: booking} -> a booking to create.
  The contact is `attendees[0]`, the booker; later attendees are guests.
- BOOKING_RESCHEDULED  the new booking (new `uid`) with `rescheduleUid` = the old one
                       -> RESCHEDULED of the old uid, `replacement` = the new booking.
- BOOKING_CANCELLED    -> CANCELLED with `cancellationReason`. A host's "request
                       reschedule" also arrives here (`requestReschedule: true`): the slot
                       is gone, so it is a cancellation whose reason says so.
- BOOKING_NO_SHOW_UPDATED  {bookingUid, attendees: [{email, noShow}]} -> per attendee,
                       MISSED when marked, ATTENDED when un-marked (the host corrected it).
                       A host-only no-show (`noShowHost`) is not the contact's: ignored.
- MEETING_ENDED        the booking row at the top level (no `payload` wrapper), sent when
                       the slot ends -> SlotEnded, plus MISSED for attendees already
                       flagged `noShow`. It fires whether or not anyone joined, so it is
                       never read as ATTENDED.
Every other trigger (BOOKING_REQUESTED, BOOKING_REJECTED, BOOKING_PAID, MEETING_STARTED,
PING, ...) is recognised and ignored. A custom payload template on the Cal.com webhook
changes these shapes and is not supported (the delivery fails with a PayloadError).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field, StrictBool

from rebook.core.contracts import ContactDetails, HostDetails
from rebook.core.domain import BookedVia, EventType
from rebook.platforms.common import (
    IanaZone,
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    ParsedWebhook,
    PayloadError,
    PayloadModel,
    Platform,
    PlatformBooking,
    PlatformEvent,
    SlotEnded,
    WebhookItem,
    contact_id,
    decode_json,
    event_id,
    guess_kind,
    header,
    hmac_sha256_hex,
    minutes_between,
    optional_phone,
    read_model,
    require_secret,
    same_digest,
)

SIGNATURE_HEADER = "X-Cal-Signature-256"
DEFAULT_BOOKER_URL = "https://app.cal.com"
_NO_SECRET = "no-secret-provided"

CREATED = "BOOKING_CREATED"
RESCHEDULED = "BOOKING_RESCHEDULED"
CANCELLED = "BOOKING_CANCELLED"
NO_SHOW_UPDATED = "BOOKING_NO_SHOW_UPDATED"
MEETING_ENDED = "MEETING_ENDED"

# Cal.com's location codes for its video integrations, shown to people by name.
_VIDEO_LOCATIONS = {
    "integrations:daily": "Cal Video",
    "integrations:zoom": "Zoom",
    "integrations:google:meet": "Google Meet",
    "integrations:office365_video": "Microsoft Teams",
    "integrations:whereby_video": "Whereby",
    "integrations:jitsi": "Jitsi",
}


class _Language(PayloadModel):
    locale: str | None = None


class _Attendee(PayloadModel):
    name: str = Field(min_length=1)
    email: str = Field(min_length=3)
    timeZone: IanaZone
    language: _Language | None = None
    phoneNumber: str | None = None


class _Organizer(PayloadModel):
    id: int | None = None
    name: str = Field(min_length=1)
    email: str | None = None


class _VideoCallData(PayloadModel):
    url: str | None = None


class _Booking(PayloadModel):
    uid: str = Field(min_length=1)
    title: str = ""
    type: str | None = None  # the event type's slug
    eventTitle: str | None = None
    startTime: AwareDatetime
    endTime: AwareDatetime
    organizer: _Organizer
    attendees: list[_Attendee] = Field(min_length=1)
    location: str | None = None
    videoCallData: _VideoCallData | None = None
    metadata: dict[str, Any] | None = None
    responses: dict[str, Any] | None = None
    bookerUrl: str | None = None
    smsReminderNumber: str | None = None
    rescheduleUid: str | None = None


class _NoShowAttendee(PayloadModel):
    email: str = Field(min_length=3)
    noShow: StrictBool


class _NoShowUpdate(PayloadModel):
    bookingUid: str = Field(min_length=1)
    attendees: list[_NoShowAttendee] = Field(default_factory=list)
    noShowHost: bool | None = None


class _EndedAttendee(PayloadModel):
    email: str = Field(min_length=3)
    noShow: StrictBool | None = None


class _MeetingEnded(PayloadModel):
    uid: str = Field(min_length=1)
    endTime: AwareDatetime
    attendees: list[_EndedAttendee] = Field(default_factory=list)


class _Cancelled(PayloadModel):
    uid: str = Field(min_length=1)
    cancellationReason: str | None = None
    requestReschedule: StrictBool | None = None


class _Envelope(PayloadModel):
    createdAt: AwareDatetime


class CalcomWebhooks:
    """Reads Cal.com deliveries for one webhook (one secret)."""

    platform = Platform.CALCOM

    def __init__(self, secret: str, *, booker_url: str = DEFAULT_BOOKER_URL) -> None:
        """
        Args:
            secret: the secret set on the Cal.com webhook.
            booker_url: where reschedule links point when the payload has no `bookerUrl`
                (older or self-hosted Cal.com), e.g. "https://cal.example.com".
        Raises:
            ValueError: empty secret.
        """
        self._secret = require_secret(secret)
        self._booker_url = booker_url.rstrip("/")

    def read(self, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedWebhook:
        """Verify then parse one delivery. `now` is unused: Cal.com signs no timestamp, so
        its deliveries cannot be checked for age (replays dedupe on event ids instead).

        Raises:
            SignatureError: missing, malformed or wrong signature.
            PayloadError: a signed body without a field Rebook needs (names the field).
        """
        self.verify(body, headers)
        return self.parse(body)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        given = header(headers, SIGNATURE_HEADER)
        if not given:
            raise MissingSignature(f"{SIGNATURE_HEADER} header is missing")
        if given.strip() == _NO_SECRET:
            raise MalformedSignature(
                "Cal.com sent no signature: set the secret on the Cal.com webhook"
            )
        if len(given.strip()) != 64 or not _is_hex(given.strip()):
            raise MalformedSignature(f"{SIGNATURE_HEADER} must be 64 hex characters")
        if not same_digest(hmac_sha256_hex(self._secret, body), given):
            raise InvalidSignature(f"{SIGNATURE_HEADER} does not match the body")

    def parse(self, body: bytes) -> ParsedWebhook:
        """Read a body already verified. Raises PayloadError."""
        document = decode_json(body)
        trigger = document.get("triggerEvent")
        if not isinstance(trigger, str) or not trigger:
            raise PayloadError("triggerEvent", "field required")
        if trigger == MEETING_ENDED:
            return _meeting_ended(document)
        handler = {
            CREATED: self._created,
            RESCHEDULED: self._rescheduled,
            CANCELLED: self._cancelled,
            NO_SHOW_UPDATED: self._no_show_updated,
        }.get(trigger)
        if handler is None:
            return ParsedWebhook(
                self.platform, trigger, ignored_reason=f"Rebook does not act on {trigger}"
            )
        occurred_at = _created_at(document)
        payload = document.get("payload")
        if not isinstance(payload, dict):
            raise PayloadError("payload", "must be an object")
        return handler(trigger, payload, occurred_at)

    # ------------------------------------------------------------------ triggers

    def _created(self, trigger: str, payload: dict[str, Any], _: datetime) -> ParsedWebhook:
        warnings: list[str] = []
        booking = self._booking(read_model(_Booking, payload), warnings)
        return ParsedWebhook(self.platform, trigger, (booking,), warnings=tuple(warnings))

    def _rescheduled(
        self, trigger: str, payload: dict[str, Any], occurred_at: datetime
    ) -> ParsedWebhook:
        warnings: list[str] = []
        new = read_model(_Booking, payload)
        if not new.rescheduleUid:
            raise PayloadError("payload.rescheduleUid", f"field required for {trigger}")
        event = PlatformEvent(
            platform=self.platform,
            external_id=new.rescheduleUid,
            type=EventType.RESCHEDULED,
            occurred_at=occurred_at,
            event_id=event_id(self.platform, trigger, new.rescheduleUid, new.uid),
            reason=_response_text(new.responses, "rescheduleReason"),
            replacement=self._booking(new, warnings),
        )
        return ParsedWebhook(self.platform, trigger, (event,), warnings=tuple(warnings))

    def _cancelled(
        self, trigger: str, payload: dict[str, Any], occurred_at: datetime
    ) -> ParsedWebhook:
        cancelled = read_model(_Cancelled, payload)
        reason = (cancelled.cancellationReason or "").strip() or None
        if cancelled.requestReschedule:
            asked = "the host asked the contact to book a new time"
            reason = f"{asked}: {reason}" if reason else asked
        event = PlatformEvent(
            platform=self.platform,
            external_id=cancelled.uid,
            type=EventType.CANCELLED,
            occurred_at=occurred_at,
            event_id=event_id(self.platform, trigger, cancelled.uid),
            reason=reason,
        )
        return ParsedWebhook(self.platform, trigger, (event,))

    def _no_show_updated(
        self, trigger: str, payload: dict[str, Any], occurred_at: datetime
    ) -> ParsedWebhook:
        update = read_model(_NoShowUpdate, payload)
        events = tuple(
            PlatformEvent(
                platform=self.platform,
                external_id=update.bookingUid,
                type=EventType.MISSED if attendee.noShow else EventType.ATTENDED,
                occurred_at=occurred_at,
                event_id=event_id(
                    self.platform,
                    trigger,
                    update.bookingUid,
                    attendee.email.lower(),
                    str(attendee.noShow),
                    occurred_at.isoformat(),
                ),
                attendee_email=attendee.email.strip().lower(),
            )
            for attendee in update.attendees
        )
        if events:
            return ParsedWebhook(self.platform, trigger, events)
        why = (
            "a host no-show is not the contact's"
            if update.noShowHost
            else "no attendee's no-show changed"
        )
        return ParsedWebhook(self.platform, trigger, ignored_reason=why)

    # ------------------------------------------------------------------ mapping

    def _booking(self, booking: _Booking, warnings: list[str]) -> PlatformBooking:
        booker = booking.attendees[0]
        phone = optional_phone(
            booker.phoneNumber
            or _response_text(booking.responses, "attendeePhoneNumber")
            or booking.smsReminderNumber,
            "payload.attendees.0.phoneNumber",
            warnings,
        )
        organizer = booking.organizer
        host_id = str(organizer.id) if organizer.id is not None else organizer.email
        if not host_id:
            raise PayloadError("payload.organizer.id", "field required when there is no email")
        location, join_url = _location(booking)
        return PlatformBooking(
            platform=self.platform,
            external_id=booking.uid,
            starts_at=booking.startTime,
            duration_minutes=minutes_between(booking.startTime, booking.endTime, "payload.endTime"),
            kind=guess_kind(booking.type, booking.eventTitle, booking.title),
            topic=(booking.eventTitle or booking.title or booking.type or "Appointment").strip(),
            reschedule_url=f"{(booking.bookerUrl or self._booker_url).rstrip('/')}"
            f"/reschedule/{booking.uid}",
            booked_via=BookedVia.WEB,
            contact=ContactDetails(
                id=contact_id(booker.email, phone, booking.uid),
                name=booker.name.strip(),
                email=booker.email.strip(),
                phone=phone,
                timezone=booker.timeZone,
            ),
            host=HostDetails(
                id=host_id,
                name=organizer.name.strip(),
                email=organizer.email,
            ),
            contact_locale=booker.language.locale if booker.language else None,
            location=location,
            join_url=join_url,
        )


def _meeting_ended(document: dict[str, Any]) -> ParsedWebhook:
    platform = Platform.CALCOM
    # Older Cal.com versions wrapped it like every other trigger.
    wrapped = document.get("payload")
    if isinstance(wrapped, dict):
        ended = read_model(_MeetingEnded, wrapped)
    else:
        ended = read_model(_MeetingEnded, document, prefix="")
    items: list[WebhookItem] = [
        SlotEnded(
            platform=platform,
            external_id=ended.uid,
            ended_at=ended.endTime,
            event_id=event_id(platform, MEETING_ENDED, ended.uid, ended.endTime.isoformat()),
        )
    ]
    items.extend(
        PlatformEvent(
            platform=platform,
            external_id=ended.uid,
            type=EventType.MISSED,
            occurred_at=ended.endTime,
            event_id=event_id(platform, MEETING_ENDED, ended.uid, attendee.email.lower()),
            attendee_email=attendee.email.strip().lower(),
        )
        for attendee in ended.attendees
        if attendee.noShow
    )
    return ParsedWebhook(platform, MEETING_ENDED, tuple(items))


def _created_at(document: dict[str, Any]) -> datetime:
    return read_model(_Envelope, document, prefix="").createdAt


def _response_text(responses: dict[str, Any] | None, name: str) -> str | None:
    """A booking-form answer ({"label", "value"}) as text, when it is text."""
    entry = (responses or {}).get(name)
    value = entry.get("value") if isinstance(entry, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _location(booking: _Booking) -> tuple[str | None, str | None]:
    """(where, join URL): the video link from videoCallData or metadata, else a URL location."""
    raw = (booking.location or "").strip()
    from_metadata = (booking.metadata or {}).get("videoCallUrl")
    join_url = (booking.videoCallData.url if booking.videoCallData else None) or (
        from_metadata if isinstance(from_metadata, str) and from_metadata else None
    )
    if raw.startswith(("https://", "http://")):
        return None, join_url or raw
    if raw.startswith("integrations:"):
        label = _VIDEO_LOCATIONS.get(raw) or raw.split(":")[-1].replace("_", " ").title()
        return label, join_url
    return raw or None, join_url


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)
